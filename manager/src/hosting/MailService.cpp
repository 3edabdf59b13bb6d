#include "hosting/MailService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "core/MailPassword.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"
#include "hosting/DkimKey.h"
#include "hosting/MailAddresses.h"
#include "hosting/MailConfig.h"
#include "store/Plans.h"
#include "store/ServiceSecrets.h"
#include "store/Services.h"

#include <set>

namespace chatiere::manager {

namespace {

constexpr int64_t kMaxQuotaMib = 1 << 20;  // 1 TiB: anything above is a typo
constexpr std::size_t kMaxDestinations = 50;

// Runs `check`, turning its Validation error into the fields of `errors`.
template <typename F>
auto collect(FieldErrors& errors, F&& check) -> std::optional<decltype(check())> {
    try {
        return check();
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Validation) {
            throw;
        }
        for (const auto& field : e.fields()) {
            errors.add(field.field, field.code, field.message);
        }
        if (e.fields().empty()) {
            errors.add("", e.code(), e.what());
        }
        return std::nullopt;
    }
}

void checkQuota(FieldErrors& errors, const std::optional<int64_t>& quota) {
    if (quota && (*quota < 1 || *quota > kMaxQuotaMib)) {
        errors.add("quota_mib", "invalid_quota", "A whole number of MiB from 1 to 1048576.");
    }
}

void checkPassword(FieldErrors& errors, const std::optional<std::string>& password) {
    if (!password) {
        return;
    }
    if (const auto problem = passwordProblem(*password)) {
        errors.add("password", "weak_password", *problem);
    } else if (password->find_first_of(std::string("\0\r\n", 3)) != std::string::npos) {
        errors.add("password", "weak_password", "No line break or NUL character.");
    }
}

std::optional<std::string> checkName(FieldErrors& errors, const std::optional<std::string>& name) {
    if (!name) {
        return std::nullopt;
    }
    CommandFields f(errors);
    return f.text("name", *name, false, 100).value_or("");
}

Error quotaExceeded(const std::string& message) {
    return Error(ErrorKind::Conflict, "quota_exceeded", message);
}

}  // namespace

MailService::MailService(Database& db, base::Clock& clock, const templates::Catalogue& catalogue,
                         AssociationService& associations, ServiceManager& services, DoveadmApi& doveadm,
                         std::string mailHost, DnsLookup lookup)
    : db_(db),
      clock_(clock),
      catalogue_(catalogue),
      associations_(associations),
      services_(services),
      doveadm_(doveadm),
      mailHost_(std::move(mailHost)),
      lookup_(std::move(lookup)) {}

std::vector<MailDnsRecord> MailService::dnsRecords(const Actor& actor, const std::string& serviceId) {
    const Service service = reach(actor, serviceId, Permission::ViewServices);
    std::string key;
    std::string host;
    {
        auto s = db_.session();
        key = ServiceSecretRepository(s).ensure(service.id, kDkimSecret, newDkimKey, nowText());
        host = mailConfigValue(s, service, "mail.hostname", mailHost_);
    }
    return mailDnsRecords(*service.mailDomain, host, kDkimSelector, dkimRecordOf(key), lookup_);
}

std::optional<DoveadmEndpoint> MailService::doveadmOf(const Service& service) {
    const auto port = std::find_if(service.ports.begin(), service.ports.end(),
                                   [](const ServicePort& p) { return p.name == "doveadm"; });
    if (port == service.ports.end()) {
        return std::nullopt;
    }
    auto s = db_.session();
    const auto key = ServiceSecretRepository(s).find(service.id, "doveadm_key");
    if (!key) {
        return std::nullopt;
    }
    return DoveadmEndpoint{port->hostPort, *key};
}

int MailService::collectUsage() {
    std::vector<Service> mail;
    {
        auto s = db_.session();
        for (auto& service : ServiceRepository(s).live()) {
            if (isMail(service) && service.mailDomain && service.state == ServiceState::Active) {
                mail.push_back(std::move(service));
            }
        }
    }
    int measured = 0;
    for (const auto& service : mail) {
        const auto at = doveadmOf(service);
        if (!at) {
            continue;
        }
        std::vector<Mailbox> boxes;
        {
            auto s = db_.session();
            boxes = MailRepository(s).mailboxes(service.id);
        }
        try {
            for (const auto& box : boxes) {
                const MailboxQuota q = doveadm_.quota(*at, box.localPart + "@" + *service.mailDomain);
                auto s = db_.session();
                MailRepository(s).setMailboxUsage(box.id, q.bytes, q.messages, nowText());
                ++measured;
            }
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unavailable) {
                throw;
            }
            // The guest is booting or reloading: the next pass measures it.
        }
    }
    return measured;
}

ExportedMail MailService::exportOf(const Service& service) {
    ExportedMail out;
    out.serviceName = service.name;
    out.domain = service.mailDomain.value_or("");
    std::vector<Mailbox> boxes;
    {
        auto s = db_.session();
        boxes = MailRepository(s).mailboxes(service.id);
        out.aliases = MailRepository(s).aliases(service.id);
    }
    const auto at = doveadmOf(service);
    if (service.state != ServiceState::Active || !at) {
        out.unavailable = "the mail service is " + service.displayState() + ": its mail could not be read";
        return out;
    }
    try {
        for (const auto& box : boxes) {
            const std::string address = box.localPart + "@" + out.domain;
            out.mailboxes.push_back({address, doveadm_.messages(*at, address)});
        }
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unavailable) {
            throw;
        }
        out.mailboxes.clear();
        out.unavailable = e.what();
    }
    return out;
}

std::string MailService::nowText() const {
    return formatTime(clock_.now());
}

bool MailService::isMail(const Service& service) const {
    const auto* manifest = catalogue_.find(service.templateName);
    return manifest && manifest->kind == "mail";
}

Service MailService::reach(const Actor& actor, const std::string& serviceId, Permission permission) {
    Service service = services_.authorized(actor, serviceId, Permission::ViewServices);
    associations_.authorize(actor, service.associationId, permission);
    if (!isMail(service) || !service.mailDomain) {
        throw Error(ErrorKind::Conflict, "not_a_mail_service",
                    "Only a mail service has mailboxes and aliases.");
    }
    if (permission != Permission::ViewServices && service.state == ServiceState::Deleting) {
        throw Error(ErrorKind::Conflict, "invalid_state", "The service is being deleted.");
    }
    return service;
}

std::string MailService::localPartIn(const Service& service, const std::string& address) const {
    const std::string domain = domainOf(address);
    if (!domain.empty() && domain != *service.mailDomain) {
        throw Error::notFound("Mailbox");
    }
    return localPartOf(address);
}

std::vector<MailboxResult> MailService::mailboxes(const Actor& actor, const std::string& serviceId) {
    const Service service = reach(actor, serviceId, Permission::ViewServices);
    auto s = db_.session();
    std::vector<MailboxResult> out;
    for (auto& mailbox : MailRepository(s).mailboxes(serviceId)) {
        const std::string address = mailbox.localPart + "@" + *service.mailDomain;
        out.push_back({std::move(mailbox), address, std::nullopt});
    }
    return out;
}

MailboxResult MailService::addMailbox(const Actor& actor, const std::string& serviceId,
                                      const NewMailbox& command) {
    const Service service = reach(actor, serviceId, Permission::ManageServices);
    FieldErrors errors;
    const auto local = collect(errors, [&] { return checkLocalPart(command.localPart); });
    CommandFields(errors).required("quota_mib", command.quotaMib);
    checkQuota(errors, command.quotaMib);
    checkPassword(errors, command.password);
    const auto name = checkName(errors, command.name);
    errors.throwIfAny();

    auto s = db_.session();
    Transaction tx(s);
    MailRepository mail(s);
    const std::string address = *local + "@" + *service.mailDomain;
    if (mail.findMailbox(serviceId, *local) || mail.findAlias(serviceId, *local)) {
        throw Error(ErrorKind::Conflict, "address_taken", address + " is already a mailbox or an alias.",
                    {{"local_part", "address_taken", "Already a mailbox or an alias."}});
    }
    const Association association =
        associations_.authorize(actor, service.associationId, Permission::ManageServices);
    if (const auto plan =
            association.planSlug ? PlanRepository(s).find(*association.planSlug) : std::nullopt) {
        const auto count = plan->quotas.find("mailboxes");
        const int64_t mailboxes = mail.mailboxCountOfAssociation(service.associationId) + 1;
        if (count != plan->quotas.end() && mailboxes > count->second.limit) {
            throw quotaExceeded("The plan " + plan->slug + " allows " + std::to_string(count->second.limit) +
                                " mailboxes; this would bring the association to " +
                                std::to_string(mailboxes) + ".");
        }
        const auto gib = plan->quotas.find("mail_gib");
        const int64_t mib = mail.quotaMibOfAssociation(service.associationId) + *command.quotaMib;
        if (gib != plan->quotas.end() && mib > gib->second.limit * 1024) {
            throw quotaExceeded(
                "The plan " + plan->slug + " allows " + std::to_string(gib->second.limit) +
                " GiB of mailbox quotas (mail_gib); " +
                std::to_string(gib->second.limit * 1024 - mail.quotaMibOfAssociation(service.associationId)) +
                " MiB are left.");
        }
    }
    MailboxResult result;
    result.address = address;
    result.password = command.password ? std::nullopt : std::optional<std::string>(newMailPassword());
    Mailbox& m = result.mailbox;
    m.serviceId = serviceId;
    m.localPart = *local;
    m.name = name.value_or("");
    m.passwordHash = mailPasswordHash(command.password ? *command.password : *result.password);
    m.quotaMib = *command.quotaMib;
    m.createdAt = m.updatedAt = nowText();
    mail.insertMailbox(m);
    ServiceRepository(s).enqueueConfigure(serviceId, m.createdAt);
    Poco::JSON::Object details;
    details.set("address", address);
    details.set("quota_mib", m.quotaMib);
    AuditLog::record(s, actor, m.createdAt, "mailbox.create", "service", serviceId, service.associationId,
                     details);
    tx.commit();
    services_.jobQueued();
    return result;
}

MailboxResult MailService::changeMailbox(const Actor& actor, const std::string& serviceId,
                                         const std::string& address, const MailboxChange& command) {
    const Service service = reach(actor, serviceId, Permission::ManageServices);
    const std::string local = localPartIn(service, address);
    FieldErrors errors;
    checkQuota(errors, command.quotaMib);
    checkPassword(errors, command.password);
    const auto name = checkName(errors, command.name);
    if (command.password && command.newPassword) {
        errors.add("password", "conflicting_fields", "Give a password or ask for a new one, not both.");
    }
    if (!command.name && !command.quotaMib && !command.password && !command.newPassword) {
        errors.add("", "missing", "Give at least one of name, quota_mib, password, new_password.");
    }
    errors.throwIfAny();

    auto s = db_.session();
    Transaction tx(s);
    MailRepository mail(s);
    auto mailbox = mail.findMailbox(serviceId, local);
    if (!mailbox) {
        throw Error::notFound("Mailbox");
    }
    if (command.quotaMib && *command.quotaMib > mailbox->quotaMib) {
        const Association association =
            associations_.authorize(actor, service.associationId, Permission::ManageServices);
        const auto plan = association.planSlug ? PlanRepository(s).find(*association.planSlug) : std::nullopt;
        const auto gib = plan ? plan->quotas.find("mail_gib") : decltype(plan->quotas.end()){};
        const int64_t mib =
            mail.quotaMibOfAssociation(service.associationId) - mailbox->quotaMib + *command.quotaMib;
        if (plan && gib != plan->quotas.end() && mib > gib->second.limit * 1024) {
            throw quotaExceeded("The plan " + plan->slug + " allows " + std::to_string(gib->second.limit) +
                                " GiB of mailbox quotas (mail_gib); this would bring the association to " +
                                std::to_string(mib) + " MiB.");
        }
    }
    MailboxResult result;
    result.address = local + "@" + *service.mailDomain;
    Poco::JSON::Object details;
    details.set("address", result.address);
    if (name) {
        mailbox->name = *name;
        details.set("name", *name);
    }
    if (command.quotaMib) {
        mailbox->quotaMib = *command.quotaMib;
        details.set("quota_mib", *command.quotaMib);
    }
    if (command.newPassword) {
        result.password = newMailPassword();
    }
    if (command.password || command.newPassword) {
        mailbox->passwordHash = mailPasswordHash(command.password ? *command.password : *result.password);
        details.set("password", command.newPassword ? "reset" : "changed");
    }
    mailbox->updatedAt = nowText();
    mail.updateMailbox(*mailbox);
    ServiceRepository(s).enqueueConfigure(serviceId, mailbox->updatedAt);
    AuditLog::record(s, actor, mailbox->updatedAt, "mailbox.update", "service", serviceId,
                     service.associationId, details);
    tx.commit();
    services_.jobQueued();
    result.mailbox = *mailbox;
    return result;
}

void MailService::deleteMailbox(const Actor& actor, const std::string& serviceId,
                                const std::string& address) {
    const Service service = reach(actor, serviceId, Permission::ManageServices);
    const std::string local = localPartIn(service, address);
    auto s = db_.session();
    Transaction tx(s);
    MailRepository mail(s);
    const auto mailbox = mail.findMailbox(serviceId, local);
    if (!mailbox) {
        throw Error::notFound("Mailbox");
    }
    const std::string full = local + "@" + *service.mailDomain;
    for (const auto& alias : mail.aliases(serviceId)) {
        if (std::find(alias.destinations.begin(), alias.destinations.end(), full) !=
            alias.destinations.end()) {
            throw Error(ErrorKind::Conflict, "mailbox_in_use",
                        "The alias " + alias.localPart + "@" + *service.mailDomain +
                            " delivers to this mailbox: change or delete it first.");
        }
    }
    const std::string at = nowText();
    mail.markMailboxDeleted(mailbox->id, at);
    ServiceRepository(s).enqueueConfigure(serviceId, at);
    Poco::JSON::Object details;
    details.set("address", full);
    AuditLog::record(s, actor, at, "mailbox.delete", "service", serviceId, service.associationId, details);
    tx.commit();
    services_.jobQueued();
}

std::vector<MailAlias> MailService::aliases(const Actor& actor, const std::string& serviceId) {
    reach(actor, serviceId, Permission::ViewServices);
    auto s = db_.session();
    return MailRepository(s).aliases(serviceId);
}

MailAlias MailService::addAlias(const Actor& actor, const std::string& serviceId, const NewAlias& command) {
    const Service service = reach(actor, serviceId, Permission::ManageServices);
    const std::string& domain = *service.mailDomain;
    FieldErrors errors;
    const auto local = collect(errors, [&] { return checkLocalPart(command.localPart); });
    std::vector<std::string> destinations;
    if (command.destinations.empty()) {
        errors.add("destinations", "missing", "At least one address to deliver to.");
    } else if (command.destinations.size() > kMaxDestinations) {
        errors.add("destinations", "too_many", "At most 50 addresses.");
    }
    for (std::size_t i = 0; i < command.destinations.size() && i < kMaxDestinations; ++i) {
        const std::string field = "destinations." + std::to_string(i);
        if (const auto d =
                collect(errors, [&] { return checkDestination(command.destinations[i], domain, field); })) {
            if (std::find(destinations.begin(), destinations.end(), *d) == destinations.end()) {
                destinations.push_back(*d);
            }
        }
    }
    errors.throwIfAny();
    const std::string address = *local + "@" + domain;
    if (std::find(destinations.begin(), destinations.end(), address) != destinations.end()) {
        throw Error(ErrorKind::Validation, "alias_loop", "An alias cannot deliver to itself.",
                    {{"destinations", "alias_loop", "An alias cannot deliver to itself."}});
    }

    auto s = db_.session();
    Transaction tx(s);
    MailRepository mail(s);
    if (mail.findMailbox(serviceId, *local) || mail.findAlias(serviceId, *local)) {
        throw Error(ErrorKind::Conflict, "address_taken", address + " is already a mailbox or an alias.",
                    {{"local_part", "address_taken", "Already a mailbox or an alias."}});
    }
    // The domain's own destinations must exist; an alias reached through others must not come back.
    std::map<std::string, std::vector<std::string>> graph;
    for (const auto& alias : mail.aliases(serviceId)) {
        graph[alias.localPart + "@" + domain] = alias.destinations;
    }
    graph[address] = destinations;
    bool external = false;
    for (std::size_t i = 0; i < destinations.size(); ++i) {
        const std::string& d = destinations[i];
        if (domainOf(d) != domain) {
            external = true;
        } else if (!mail.findMailbox(serviceId, localPartOf(d)) && !graph.count(d)) {
            errors.add("destinations." + std::to_string(i), "unknown_destination",
                       d + " is neither a mailbox nor an alias of " + domain + ".");
        }
    }
    errors.throwIfAny();
    std::set<std::string> seen;
    std::vector<std::string> todo(destinations.begin(), destinations.end());
    while (!todo.empty()) {
        const std::string next = todo.back();
        todo.pop_back();
        if (next == address) {
            throw Error(ErrorKind::Validation, "alias_loop",
                        "Through other aliases, " + address + " would deliver to itself.",
                        {{"destinations", "alias_loop",
                          "Through other aliases, this alias would deliver to itself."}});
        }
        if (seen.insert(next).second && graph.count(next)) {
            todo.insert(todo.end(), graph[next].begin(), graph[next].end());
        }
    }
    if (external) {
        const Association association =
            associations_.authorize(actor, service.associationId, Permission::ManageServices);
        const auto plan = association.planSlug ? PlanRepository(s).find(*association.planSlug) : std::nullopt;
        if (!plan || !plan->externalForwards) {
            throw Error(ErrorKind::Conflict, "external_forwards_not_allowed",
                        "The association's plan does not forward mail to other domains: every destination "
                        "must be of " +
                            domain + ".");
        }
    }
    MailAlias alias;
    alias.serviceId = serviceId;
    alias.localPart = *local;
    alias.destinations = destinations;
    alias.createdAt = alias.updatedAt = nowText();
    mail.insertAlias(alias);
    ServiceRepository(s).enqueueConfigure(serviceId, alias.createdAt);
    Poco::JSON::Object details;
    details.set("address", address);
    Poco::JSON::Array to;
    for (const auto& d : destinations) {
        to.add(d);
    }
    details.set("destinations", to);
    AuditLog::record(s, actor, alias.createdAt, "alias.create", "service", serviceId, service.associationId,
                     details);
    tx.commit();
    services_.jobQueued();
    return alias;
}

void MailService::deleteAlias(const Actor& actor, const std::string& serviceId,
                              const std::string& localPart) {
    const Service service = reach(actor, serviceId, Permission::ManageServices);
    const std::string local = localPartIn(service, localPart);
    auto s = db_.session();
    Transaction tx(s);
    MailRepository mail(s);
    if (!mail.findAlias(serviceId, local)) {
        throw Error::notFound("Alias");
    }
    const std::string address = local + "@" + *service.mailDomain;
    for (const auto& other : mail.aliases(serviceId)) {
        if (std::find(other.destinations.begin(), other.destinations.end(), address) !=
            other.destinations.end()) {
            throw Error(ErrorKind::Conflict, "alias_in_use",
                        "The alias " + other.localPart + "@" + *service.mailDomain +
                            " delivers to this one: change or delete it first.");
        }
    }
    const std::string at = nowText();
    mail.deleteAlias(serviceId, local);
    ServiceRepository(s).enqueueConfigure(serviceId, at);
    Poco::JSON::Object details;
    details.set("address", address);
    AuditLog::record(s, actor, at, "alias.delete", "service", serviceId, service.associationId, details);
    tx.commit();
    services_.jobQueued();
}

}  // namespace chatiere::manager
