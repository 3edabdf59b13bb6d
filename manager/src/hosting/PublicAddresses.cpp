#include "hosting/PublicAddresses.h"

#include "chatiere/manager/Error.h"
#include "core/PublicName.h"

namespace chatiere::manager {

namespace {

Error invalidDomain(const std::string& message) {
    return Error(ErrorKind::Validation, "invalid_domain", message, {{"domain", "invalid_domain", message}});
}

bool isUnder(const std::string& name, const std::string& domain) {
    return name.size() > domain.size() && name.ends_with("." + domain);
}

}  // namespace

std::optional<std::string> giveDefaultName(Session& s, const Settings& settings, Service& service,
                                           const std::string& associationName, const std::string& at) {
    if (service.defaultName || settings.publicDomain.empty()) {
        return service.defaultName;
    }
    const std::string slug =
        AssociationRepository(s).giveSlug(service.associationId, slugify(associationName), at);
    const std::string name = defaultPublicName(service.name, slug, settings.publicDomain);
    ServiceRepository(s).setDefaultName(service.id, name, at);
    service.defaultName = name;
    return name;
}

int giveMissingNames(Session& s, const Settings& settings, const std::string& at) {
    if (settings.publicDomain.empty()) {
        return 0;
    }
    int given = 0;
    AssociationRepository associations(s);
    for (auto& service : ServiceRepository(s).live()) {
        if (service.defaultName) {
            continue;
        }
        const auto association = associations.find(service.associationId);
        if (!association) {
            continue;
        }
        giveDefaultName(s, settings, service, association->name, at);
        ++given;
    }
    return given;
}

std::optional<std::string> checkOwnDomain(Session& s, const Settings& settings, const std::string& input,
                                          const Service& service) {
    const std::string name = validateDomainName(input, "domain");
    if (service.defaultName && name == *service.defaultName) {
        return std::nullopt;
    }
    const std::string pagesHost = settings.publicHost();
    if (name == pagesHost) {
        throw invalidDomain("This is the address of Chatière's own pages.");
    }
    const auto pagesSite = registrableDomain(pagesHost);
    if (pagesSite && registrableDomain(name) == pagesSite) {
        throw invalidDomain("A name under " + *pagesSite +
                            ", the domain of Chatière's own pages, cannot be a site's.");
    }
    if (!settings.publicDomain.empty() &&
        (name == settings.publicDomain || isUnder(name, settings.publicDomain))) {
        throw invalidDomain("Names under " + settings.publicDomain +
                            " are given by Chatière: use your association's own domain.");
    }
    if (const auto holder = ServiceRepository(s).nameHolder(name); holder && *holder != service.id) {
        throw Error(ErrorKind::Conflict, "domain_taken", "Another service already answers at " + name + ".",
                    {{"domain", "domain_taken", "Already used by another service."}});
    }
    return name;
}

std::optional<std::string> publicUrlOf(const Settings& settings, const Service& service) {
    const auto name = service.publicName();
    if (settings.proxy.mode == ProxySettings::Mode::Off || !name || service.state == ServiceState::Deleted) {
        return std::nullopt;
    }
    const int port = settings.proxy.publicHttpsPort;
    return "https://" + *name + (port == 443 ? "" : ":" + std::to_string(port)) + "/";
}

std::optional<TlsView> tlsOf(Session& s, const Service& service) {
    const auto name = service.publicName();
    if (!name) {
        return std::nullopt;
    }
    const auto record = CertificateRepository(s).find(*name);
    if (!record) {
        return TlsView{};  // not written yet: the proxy gives it a self-signed one first
    }
    return TlsView{record->status, record->issuer, record->notAfter, record->lastError};
}

}  // namespace chatiere::manager
