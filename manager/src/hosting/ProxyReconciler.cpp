#include "hosting/ProxyReconciler.h"

#include "chatiere/manager/Time.h"
#include "hosting/PublicAddresses.h"
#include "hosting/SelfSignedCertificate.h"
#include "hosting/SuspendedPage.h"
#include "store/Alerts.h"
#include "store/Associations.h"
#include "store/Certificates.h"
#include "store/Services.h"

#include <Poco/Logger.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace chatiere::manager {

namespace {

constexpr const char* kSharedAlert = "proxy:nginx";
constexpr auto kSelfSignedValidity = std::chrono::hours(24 * 365);

std::string alertKeyOf(const std::string& serviceId) {
    return "proxy:" + serviceId;
}

// The live states a public name answers in: a guest coming, running, or failed (502 until it is
// back); `deleting` and `deleted` answer 404 (no file).
bool published(const Service& s) {
    return s.state == ServiceState::Requested || s.state == ServiceState::Provisioning ||
           s.state == ServiceState::Active || s.state == ServiceState::Failed;
}

std::string firstLine(const std::string& text) {
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

ProxyReconciler::ProxyReconciler(Database& db, base::Clock& clock, const Settings& settings,
                                 const templates::Catalogue& catalogue, ProxyDriver& driver,
                                 std::function<int()> pagesPort, Poco::Logger& logger)
    : db_(db),
      clock_(clock),
      settings_(settings),
      catalogue_(catalogue),
      driver_(driver),
      pagesPort_(std::move(pagesPort)),
      log_(logger) {}

void ProxyReconciler::certificatesChanged() {
    const std::lock_guard lock(mutex_);
    certificatesChanged_ = true;
}

SiteCertificate ProxyReconciler::certificateFor(Session& s, const std::string& name,
                                                const std::optional<std::string>& serviceId,
                                                const std::string& at) {
    CertificateRepository certificates(s);
    auto installed = driver_.findCertificate(name);
    if (installed && certificates.find(name)) {
        return *installed;
    }
    // A new name: a self-signed certificate at once, so that HTTPS answers before ACME does.
    std::string pem;
    if (!installed) {
        const auto pair = makeSelfSignedCertificate(name, clock_.now(), kSelfSignedValidity);
        installed = driver_.installCertificate(name, pair);
        pem = pair.certificatePem;
        certificatesChanged_ = true;
    } else {
        std::ifstream in(installed->certificate);
        pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    certificates.ensure(name, serviceId, formatTime(readCertificate(pem).notAfter), at, at);
    return *installed;
}

ProxyReconciler::Desired ProxyReconciler::desired(Session& s, const std::string& at) {
    Desired want;
    giveMissingNames(s, settings_, at);
    const ProxyLayout layout = driver_.layout();
    const ProxyListen listen{settings_.proxy.mode == ProxySettings::Mode::Own ? settings_.proxy.address : "",
                             settings_.proxy.httpPort, settings_.proxy.httpsPort,
                             settings_.proxy.publicHttpsPort};

    want.shared[kHttpContextFile] = renderHttpContext(layout, listen);
    PagesSite pages;
    pages.host = settings_.publicHost();
    pages.upstreamAddress = settings_.httpAddress == "0.0.0.0" || settings_.httpAddress.empty()
                                ? "127.0.0.1"
                                : settings_.httpAddress;
    pages.upstreamPort = pagesPort_();
    pages.maxBodyMib = std::max(64, settings_.uploadMaxMib + 1);
    pages.tls = certificateFor(s, pages.host, std::nullopt, at);
    want.shared[kPagesSiteFile] = renderPagesSite(pages, layout, listen);

    for (const auto& service : ServiceRepository(s).live()) {
        const auto name = service.publicName();
        const templates::Manifest* manifest = catalogue_.find(service.templateName);
        if (!published(service) || !name || !manifest || !manifest->proxy) {
            continue;
        }
        int upstream = 0;
        for (const auto& port : service.ports) {
            if (port.name == manifest->proxy->port) {
                upstream = port.hostPort;
            }
        }
        if (upstream == 0) {
            continue;
        }
        ServiceSite site;
        site.serviceId = service.id;
        site.names = {*name};
        site.upstreamPort = upstream;
        site.maxBodyMib = manifest->proxy->maxBodyMib;
        site.websocket = manifest->proxy->websocket;
        site.privatePaths = manifest->proxy->privatePaths;
        site.suspended = !service.suspendedFor.empty();
        try {
            site.tls = certificateFor(s, *name, service.id, at);
            want.services[service.id] = renderServiceSite(site, layout, listen);
        } catch (const std::exception& e) {
            want.renderErrors[service.id] = e.what();
        }
    }
    return want;
}

// The whole new set was refused: from the working set, each change alone, so that one service's
// bad file neither blocks the others' changes nor replaces its own working file.
void ProxyReconciler::isolateRefusals(const Desired& want, std::map<std::string, std::string>& refused,
                                      ProxyPass& pass) {
    std::map<std::string, std::string> shared;
    if (!appliedShared_ || *appliedShared_ != want.shared) {
        const auto base = appliedShared_ ? appliedServices_ : std::map<std::string, std::string>{};
        if (const auto error = driver_.apply(filesOf(want.shared, base)); error) {
            pass.error = "nginx refused Chatière's shared files: " + firstLine(*error);
            if (!appliedShared_) {
                return;  // nothing works yet: no service is to blame
            }
            shared = *appliedShared_;
        } else {
            shared = want.shared;
            appliedShared_ = shared;
            appliedServices_ = base;
            pass.applied = true;
        }
    } else {
        shared = *appliedShared_;
    }
    std::map<std::string, std::string> services;
    for (const auto& [id, text] : appliedServices_) {
        if (want.services.count(id) || want.renderErrors.count(id)) {
            services[id] = text;  // services gone lose their file
        }
    }
    for (const auto& [id, text] : want.services) {
        if (const auto old = services.find(id); old != services.end() && old->second == text) {
            continue;
        }
        auto trial = services;
        trial[id] = text;
        if (const auto error = driver_.apply(filesOf(shared, trial)); error) {
            refused[id] = *error;
            refusedFiles_[id] = {text, *error};
        } else {
            services = std::move(trial);
            appliedServices_ = services;
            pass.applied = true;
        }
    }
    if (services != appliedServices_ && !driver_.apply(filesOf(shared, services))) {
        appliedServices_ = services;
        pass.applied = true;
    }
}

std::vector<SiteFile> ProxyReconciler::filesOf(const std::map<std::string, std::string>& shared,
                                               const std::map<std::string, std::string>& services) const {
    std::vector<SiteFile> files;
    for (const auto& [name, text] : shared) {
        files.push_back({name, text});
    }
    for (const auto& [id, text] : services) {
        files.push_back({serviceSiteFile(id), text});
    }
    return files;
}

bool ProxyReconciler::referenced(const std::string& path) const {
    for (const auto& [id, text] : appliedServices_) {
        if (text.find(path) != std::string::npos) {
            return true;
        }
    }
    return false;
}

void ProxyReconciler::forgetFreedNames(Session& s, const std::vector<std::string>& names) {
    CertificateRepository certificates(s);
    for (const auto& name : names) {
        const auto installed = driver_.findCertificate(name);
        if (installed && referenced(installed->certificate)) {
            continue;  // a refused change left a file that still names it
        }
        if (installed) {
            std::error_code ignored;
            std::filesystem::remove_all(std::filesystem::path(installed->certificate).parent_path(), ignored);
        }
        certificates.remove(name);
        log_.information("proxy: %s freed", name);
    }
}

void ProxyReconciler::recordOutcome(Session& s, const std::map<std::string, std::string>& refused,
                                    const std::string& at) {
    ServiceRepository services(s);
    AlertBook alerts(s);
    for (const auto& service : services.live()) {
        const auto it = refused.find(service.id);
        if (it != refused.end()) {
            if (service.proxyError != it->second) {
                services.setProxyError(service.id, it->second);
            }
            alerts.raise({0, alertKeyOf(service.id), "proxy", "critical", service.associationId, service.id,
                          "nginx refused the new configuration of " + service.name + ": " +
                              firstLine(it->second) + " (its previous one keeps serving)",
                          at, at, std::nullopt},
                         at);
        } else if (service.proxyError) {
            services.setProxyError(service.id, std::nullopt);
            alerts.resolve(alertKeyOf(service.id), at);
        }
    }
}

ProxyPass ProxyReconciler::runOnce() {
    const std::lock_guard lock(mutex_);
    ProxyPass pass;
    const std::string at = formatTime(clock_.now());
    auto s = db_.session();

    if (!pageInstalled_) {
        const std::string contact = !settings_.proxy.contact.empty()         ? settings_.proxy.contact
                                    : !settings_.billing.sellerEmail.empty() ? settings_.billing.sellerEmail
                                                                             : settings_.mailFrom;
        driver_.installPage(kSuspendedPageFile, renderSuspendedPage(settings_.publicHost(), contact));
        pageInstalled_ = true;
    }

    Desired want;
    std::vector<std::string> freed;
    {
        Transaction tx(s);
        want = desired(s, at);
        // Names that no live service answers at any more (deleted, or moved to another name).
        std::set<std::string> inUse{settings_.publicHost()};
        for (const auto& service : ServiceRepository(s).live()) {
            if (const auto name = service.publicName(); name && published(service)) {
                inUse.insert(*name);
            }
        }
        for (const auto& record : CertificateRepository(s).all()) {
            if (!inUse.count(record.name)) {
                freed.push_back(record.name);
            }
        }
        tx.commit();
    }

    std::map<std::string, std::string> refused = want.renderErrors;
    // A file nginx refused before is not tried again until it changes: its service keeps its
    // working file (or none) and its error.
    for (auto it = want.services.begin(); it != want.services.end();) {
        const auto known = refusedFiles_.find(it->first);
        if (known == refusedFiles_.end() || known->second.first != it->second) {
            ++it;
            continue;
        }
        refused[it->first] = known->second.second;
        if (const auto working = appliedServices_.find(it->first); working != appliedServices_.end()) {
            it->second = working->second;
            ++it;
        } else {
            it = want.services.erase(it);
        }
    }
    const bool changed = certificatesChanged_ || !appliedShared_ || *appliedShared_ != want.shared ||
                         appliedServices_ != want.services;
    if (changed) {
        if (const auto error = driver_.apply(filesOf(want.shared, want.services)); !error) {
            appliedShared_ = want.shared;
            appliedServices_ = want.services;
            pass.applied = true;
        } else {
            log_.warning("proxy: nginx refused the new set: %s", firstLine(*error));
            isolateRefusals(want, refused, pass);
        }
        certificatesChanged_ = false;
    }
    std::map<std::string, std::pair<std::string, std::string>> stillRefused;
    for (const auto& [id, error] : refused) {
        if (const auto known = refusedFiles_.find(id);
            known != refusedFiles_.end() && known->second.second == error) {
            stillRefused[id] = known->second;
        }
    }
    refusedFiles_ = std::move(stillRefused);
    pass.services = static_cast<int>(appliedServices_.size());
    pass.refused = static_cast<int>(refused.size());

    try {
        driver_.ensureRunning();
    } catch (const std::exception& e) {
        pass.error = std::string("nginx does not run: ") + e.what();
    }

    Transaction tx(s);
    recordOutcome(s, refused, at);
    AlertBook alerts(s);
    if (pass.error) {
        alerts.raise({0, kSharedAlert, "proxy", "critical", std::nullopt, std::nullopt, *pass.error, at, at,
                      std::nullopt},
                     at);
    } else {
        alerts.resolve(kSharedAlert, at);
    }
    tx.commit();
    if (!freed.empty()) {
        Transaction freeTx(s);
        forgetFreedNames(s, freed);
        freeTx.commit();
    }
    return pass;
}

}  // namespace chatiere::manager
