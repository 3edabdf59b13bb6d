#include "hosting/ServiceManager.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/provisioning/Jobs.h"
#include "chatiere/provisioning/SiteArchive.h"
#include "core/PublicName.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"
#include "hosting/DkimKey.h"
#include "hosting/MailConfig.h"
#include "store/Plans.h"
#include "store/ServicePorts.h"
#include "store/ServiceSecrets.h"
#include "store/Subscriptions.h"

#include <filesystem>
#include <fstream>

#include <Poco/Net/ServerSocket.h>

namespace chatiere::manager {

namespace {

bool isServiceName(const std::string& s) {
    if (s.empty() || s.size() > 40 || s.front() == '-' || s.back() == '-') {
        return false;
    }
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool portIsFree(int port) {
    try {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)),
                                      1);
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

Error planLimit(const std::string& code, const std::string& message) {
    return Error(ErrorKind::Conflict, code, message);
}

// Hard limits: the association's services, with `candidate` new or in place of its current row,
// stay within the plan's limits.
void checkPlanLimits(const Plan& plan, const std::vector<Service>& existing, const Service& candidate) {
    std::map<std::string, int64_t> totals = {{"services", 1},
                                             {"vcpus", candidate.vcpus},
                                             {"memory_mib", candidate.memoryMib},
                                             {"disk_gib", candidate.diskGib}};
    for (const auto& other : existing) {
        if (other.id == candidate.id) {
            continue;
        }
        totals["services"] += 1;
        totals["vcpus"] += other.vcpus;
        totals["memory_mib"] += other.memoryMib;
        totals["disk_gib"] += other.diskGib;
    }
    for (const auto& [metric, total] : totals) {
        const auto quota = plan.quotas.find(metric);
        if (quota != plan.quotas.end() && total > quota->second.limit) {
            throw planLimit("quota_exceeded", "The plan " + plan.slug + " allows " +
                                                  std::to_string(quota->second.limit) + " " + metric +
                                                  "; this would bring the association to " +
                                                  std::to_string(total) + ".");
        }
    }
}

}  // namespace

ServiceManager::ServiceManager(Database& db, base::Clock& clock, const Settings& settings,
                               const templates::Catalogue& catalogue, AssociationService& associations,
                               std::function<void()> jobQueued)
    : db_(db),
      clock_(clock),
      settings_(settings),
      catalogue_(catalogue),
      associations_(associations),
      jobQueued_(std::move(jobQueued)) {}

std::string ServiceManager::nowText() const {
    return formatTime(clock_.now());
}

int ServiceManager::allocatePort(std::set<int>& taken) {
    for (int port = settings_.portsFirst; port <= settings_.portsLast; ++port) {
        if (!taken.count(port) && portIsFree(port)) {
            taken.insert(port);
            return port;
        }
    }
    throw Error(ErrorKind::Unavailable, "no_free_port",
                "No free port left in " + std::to_string(settings_.portsFirst) + "-" +
                    std::to_string(settings_.portsLast) + " (settings ports.first, ports.last).");
}

Service ServiceManager::create(const Actor& actor, const std::string& associationId,
                               const CreateService& command) {
    const Association association = associations_.authorize(actor, associationId, Permission::ManageServices);
    FieldErrors errors;
    CommandFields f(errors);
    const auto templateName = f.text("template", command.templateName, true, 40);
    const auto name = f.text("name", command.name, true, 40);
    const templates::Manifest* manifest = templateName ? catalogue_.find(*templateName) : nullptr;
    if (templateName && !manifest) {
        errors.add("template", "unknown_template", "There is no template named " + *templateName + ".");
    }
    if (name && !isServiceName(*name)) {
        errors.add("name", "invalid_name", "1 to 40 characters: lower-case letters, digits and hyphens.");
    }
    // A mail service's domain: its own field, so that the website and the mail of an association
    // can both use son-asso.fr.
    std::optional<std::string> mailDomain;
    const bool mail = manifest && manifest->kind == "mail";
    if (mail && (!command.mailDomain || command.mailDomain->empty())) {
        errors.add("mail_domain", "invalid_domain", "A mail service needs its domain (son-asso.fr).");
    } else if (mail) {
        try {
            mailDomain = validateDomainName(*command.mailDomain, "mail_domain");
            if (*mailDomain == settings_.publicHost()) {
                errors.add("mail_domain", "invalid_domain", "This is the address of Chatière's own pages.");
            }
        } catch (const Error& e) {
            errors.add("mail_domain", "invalid_domain", e.what());
        }
    } else if (manifest && command.mailDomain) {
        errors.add("mail_domain", "not_a_mail_service", "Only a mail service has a mail domain.");
    }
    errors.throwIfAny();
    if (association.status != AssociationStatus::Active) {
        throw Error(
            ErrorKind::Conflict, "association_not_active",
            "The association is " + wireName(association.status) + ": services come once it is active.");
    }

    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    if (mailDomain && services.mailDomainHolder(*mailDomain)) {
        throw Error(ErrorKind::Conflict, "mail_domain_taken",
                    "Another mail service already receives the mail of " + *mailDomain + ".",
                    {{"mail_domain", "mail_domain_taken", "Already the domain of another mail service."}});
    }
    if (services.nameTaken(associationId, *name)) {
        throw Error(ErrorKind::Conflict, "name_taken",
                    "The association already has a service named " + *name + ".",
                    {{"name", "name_taken", "Already used in this association."}});
    }
    if (!association.planSlug) {
        throw planLimit("no_plan", "The association has no plan yet: choose one before creating services.");
    }
    const auto plan = PlanRepository(s).find(*association.planSlug);
    if (!plan) {
        throw planLimit("no_plan", "The association's plan no longer exists.");
    }
    if (!plan->free && !SubscriptionRepository(s).activeOf(associationId)) {
        throw Error(ErrorKind::Conflict, "no_subscription",
                    "The association has no subscription: subscribe to a plan before creating services "
                    "(/associations/" +
                        associationId + "/subscription).");
    }
    if (!plan->templates.empty() &&
        std::find(plan->templates.begin(), plan->templates.end(), manifest->name) == plan->templates.end()) {
        throw planLimit("template_not_in_plan",
                        "The plan " + plan->slug + " does not include " + manifest->name + ".");
    }
    Service service;
    service.id = newId("svc");
    service.associationId = associationId;
    service.name = *name;
    service.templateName = manifest->name;
    service.state = ServiceState::Requested;
    service.vcpus = manifest->vcpus;
    service.memoryMib = manifest->memoryMib;
    service.diskGib = manifest->diskGib;
    service.mailDomain = mailDomain;

    checkPlanLimits(*plan, services.ofAssociation(associationId), service);
    // One host port for each port of the template; the HTTP endpoint's is also the service's own.
    std::set<int> taken = ServicePortRepository(s).inUse();
    std::vector<ServicePort> ports;
    for (const auto& port : manifest->ports) {
        ports.push_back({port.name, port.guestPort, allocatePort(taken)});
        if (manifest->httpEndpoint == port.name) {
            service.hostPort = ports.back().hostPort;
        }
    }
    service.ports = ports;
    service.createdAt = service.updatedAt = nowText();
    services.insert(service);
    giveDefaultName(s, settings_, service, association.name, service.createdAt);
    if (command.domain && !command.domain->empty()) {
        service.domain = checkOwnDomain(s, settings_, *command.domain, service);
        services.setDomain(service.id, service.domain, service.createdAt);
    }
    Poco::JSON::Object portDetails(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& port : ports) {
        ServicePortRepository(s).insert(service.id, port, service.createdAt);
        portDetails.set(port.name, port.hostPort);
    }
    // Its secrets are made now, once (the guest gets them at each start; never in the audit).
    for (const auto& value : manifest->config) {
        if (value.source == "generated_secret") {
            ServiceSecretRepository(s).ensure(service.id, value.name, newSecretToken, service.createdAt);
        } else if (value.source == "mail.dkim_key") {
            ServiceSecretRepository(s).ensure(service.id, kDkimSecret, newDkimKey, service.createdAt);
        }
    }
    services.enqueueJob(service.id, "create", service.createdAt);
    Poco::JSON::Object details;
    details.set("name", service.name);
    details.set("template", service.templateName);
    if (service.hostPort) {
        details.set("host_port", *service.hostPort);
    }
    details.set("ports", portDetails);
    if (service.mailDomain) {
        details.set("mail_domain", *service.mailDomain);
    }
    if (const auto name = service.publicName()) {
        details.set("public_name", *name);
    }
    AuditLog::record(s, actor, service.createdAt, "service.create", "service", service.id, associationId,
                     details);
    tx.commit();
    jobQueued_();
    return service;
}

std::vector<Service> ServiceManager::list(const Actor& actor, const std::string& associationId) {
    return list(associations_.access(actor, associationId, Permission::ViewServices));
}

std::vector<Service> ServiceManager::list(const AssociationAccess& access) {
    access.require(Permission::ViewServices);
    auto s = db_.session();
    return ServiceRepository(s).ofAssociation(access.id());
}

Service ServiceManager::authorized(const Actor& actor, const std::string& serviceId, Permission permission) {
    std::optional<Service> service;
    {
        auto s = db_.session();
        service = ServiceRepository(s).find(serviceId);
    }
    if (!service || service->state == ServiceState::Deleted) {
        if (!actor.userId) {
            throw Error::unauthenticated();
        }
        throw Error::notFound("Service");
    }
    try {
        associations_.authorize(actor, service->associationId, permission);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::NotFound) {
            throw Error::notFound("Service");  // another association's service: it does not exist for you
        }
        throw;
    }
    return *service;
}

Service ServiceManager::setDomain(const Actor& actor, const std::string& serviceId,
                                  const std::optional<std::string>& domain) {
    authorized(actor, serviceId, Permission::ManageServices);
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    auto service = services.find(serviceId);
    if (!service || service->state == ServiceState::Deleting || service->state == ServiceState::Deleted) {
        throw Error(ErrorKind::Conflict, "invalid_state", "The service is being deleted.");
    }
    const auto wanted = domain && !domain->empty() ? checkOwnDomain(s, settings_, *domain, *service)
                                                   : std::optional<std::string>();
    if (wanted == service->domain) {
        return *service;
    }
    const std::string at = nowText();
    Poco::JSON::Object details;
    details.set("from",
                service->publicName() ? Poco::Dynamic::Var(*service->publicName()) : Poco::Dynamic::Var());
    service->domain = wanted;
    services.setDomain(serviceId, wanted, at);
    service->updatedAt = at;
    details.set("to",
                service->publicName() ? Poco::Dynamic::Var(*service->publicName()) : Poco::Dynamic::Var());
    AuditLog::record(s, actor, at, "service.domain", "service", serviceId, service->associationId, details);
    tx.commit();
    jobQueued_();
    return *service;
}

ServiceManager::Address ServiceManager::addressOf(const Service& service) {
    Address address;
    address.publicUrl = publicUrlOf(settings_, service);
    if (address.publicUrl) {
        auto s = db_.session();
        address.tls = tlsOf(s, service);
    }
    return address;
}

Service ServiceManager::get(const Actor& actor, const std::string& serviceId) {
    return authorized(actor, serviceId, Permission::ViewServices);
}

Service ServiceManager::changeReasons(const Actor& actor, const std::string& serviceId, bool add) {
    Service service = authorized(actor, serviceId, Permission::ManageServices);
    const std::string reason = actor.isAdmin() ? "admin" : "association";
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    auto current = services.find(serviceId);
    if (!current || current->state == ServiceState::Deleting || current->state == ServiceState::Deleted) {
        throw Error(ErrorKind::Conflict, "invalid_state", "The service is being deleted.");
    }
    const bool changed = changeReason(s, actor, *current, reason, add, nowText());
    tx.commit();
    if (changed) {
        jobQueued_();
    }
    return *current;
}

bool ServiceManager::changeReason(Session& s, const Actor& actor, Service& service, const std::string& reason,
                                  bool add, const std::string& at) {
    std::set<std::string> reasons = service.suspendedFor;
    const bool changed = add ? reasons.insert(reason).second : reasons.erase(reason) > 0;
    if (!changed) {
        return false;
    }
    ServiceRepository services(s);
    services.setSuspendedFor(service.id, reasons, at);
    services.enqueueJob(service.id, "apply", at);
    Poco::JSON::Object details;
    details.set("reason", reason);
    AuditLog::record(s, actor, at, add ? "service.suspend" : "service.resume", "service", service.id,
                     service.associationId, details);
    service.suspendedFor = reasons;
    return true;
}

Service ServiceManager::suspend(const Actor& actor, const std::string& serviceId) {
    return changeReasons(actor, serviceId, true);
}

Service ServiceManager::resume(const Actor& actor, const std::string& serviceId) {
    return changeReasons(actor, serviceId, false);
}

Service ServiceManager::remove(const Actor& actor, const std::string& serviceId) {
    authorized(actor, serviceId, Permission::ManageServices);
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    auto current = services.find(serviceId);
    if (current->state != ServiceState::Deleting) {
        const std::string at = nowText();
        services.setState(serviceId, ServiceState::Deleting, std::nullopt, at);
        services.enqueueJob(serviceId, "delete", at);
        AuditLog::record(s, actor, at, "service.delete", "service", serviceId, current->associationId);
        current->state = ServiceState::Deleting;
    }
    tx.commit();
    jobQueued_();
    return *current;
}

Service ServiceManager::resize(const Actor& actor, const std::string& serviceId,
                               const ResizeService& command) {
    const Service service = authorized(actor, serviceId, Permission::ManageServices);
    FieldErrors errors;
    Service wanted = service;
    const auto read = [&](const std::string& key, const std::optional<int64_t>& value, int& into, int64_t min,
                          int64_t max) {
        if (!value) {
            return false;
        }
        if (*value < min || *value > max) {
            errors.add(key, "out_of_range",
                       "Between " + std::to_string(min) + " and " + std::to_string(max) + ".");
            return false;
        }
        into = static_cast<int>(*value);
        return true;
    };
    // Every field is read, so that each one out of range is reported, not only the first.
    const bool vcpus = read("vcpus", command.vcpus, wanted.vcpus, 1, 64);
    const bool memory = read("memory_mib", command.memoryMib, wanted.memoryMib, 64, 1 << 20);
    const bool disk = read("disk_gib", command.diskGib, wanted.diskGib, 1, 1 << 16);
    const bool any = vcpus || memory || disk;
    if (wanted.diskGib < service.diskGib) {
        errors.add("disk_gib", "cannot_shrink",
                   "A data disk only grows (it is " + std::to_string(service.diskGib) + " GiB).");
    }
    if (!any && errors.empty()) {
        errors.add("vcpus", "missing", "Give at least one of vcpus, memory_mib, disk_gib.");
    }
    errors.throwIfAny();
    const Association association =
        associations_.authorize(actor, service.associationId, Permission::ManageServices);
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    const ServiceState state = services.find(serviceId)->state;
    if (state != ServiceState::Active) {
        throw Error(ErrorKind::Conflict, "invalid_state",
                    "The service is " + wireName(state) + ": it can be resized once it is active.");
    }
    const auto plan = association.planSlug ? PlanRepository(s).find(*association.planSlug) : std::nullopt;
    if (!plan) {
        throw planLimit("no_plan", "The association has no plan: its services cannot grow.");
    }
    checkPlanLimits(*plan, services.ofAssociation(service.associationId), wanted);
    const std::string at = nowText();
    services.setResources(serviceId, wanted.vcpus, wanted.memoryMib, wanted.diskGib, at);
    services.setState(serviceId, ServiceState::Provisioning, std::nullopt, at);
    // The resources before: the job restores them if the guest cannot run with the new ones.
    services.enqueueJob(serviceId, "resize", at,
                        provisioning::formatResources({service.vcpus, service.memoryMib, service.diskGib}));
    Poco::JSON::Object details;
    const auto resources = [](const Service& x) {
        Poco::JSON::Object r;
        r.set("vcpus", x.vcpus);
        r.set("memory_mib", x.memoryMib);
        r.set("disk_gib", x.diskGib);
        return r;
    };
    details.set("from", resources(service));
    details.set("to", resources(wanted));
    AuditLog::record(s, actor, at, "service.resize", "service", serviceId, service.associationId, details);
    tx.commit();
    jobQueued_();
    wanted.state = ServiceState::Provisioning;
    wanted.updatedAt = at;
    return wanted;
}

Service ServiceManager::replaceContent(const Actor& actor, const std::string& serviceId,
                                       const std::string& upload) {
    Service service = authorized(actor, serviceId, Permission::ManageServices);
    const auto* manifest = catalogue_.find(service.templateName);
    if (!manifest || manifest->kind != "website") {
        throw Error(ErrorKind::Conflict, "not_a_website", "Only a website's content is uploaded this way.");
    }
    if (service.state != ServiceState::Active) {
        throw Error(
            ErrorKind::Conflict, "invalid_state",
            "The service is " + wireName(service.state) + ": content can be replaced once it is active.");
    }
    std::string archive;
    try {
        archive = provisioning::normalizeSiteArchive(upload, static_cast<uint64_t>(service.diskGib) << 30);
    } catch (const provisioning::ArchiveError& e) {
        if (e.code() == "too_large") {
            throw Error(ErrorKind::PayloadTooLarge, "content_too_large", e.what());
        }
        if (e.code() == "unsupported_archive") {
            throw Error(ErrorKind::UnsupportedMediaType, "unsupported_archive", e.what());
        }
        throw Error(ErrorKind::BadRequest, e.code(), e.what());
    }
    // The checked archive waits in data.dir/uploads until its job puts it on the volume.
    std::filesystem::create_directories(settings_.uploadsDir());
    const auto file = settings_.uploadsDir() / (serviceId + "-" + base32(secureRandomBytes(5)) + ".tar");
    {
        std::ofstream out(file, std::ios::binary);
        out.write(archive.data(), static_cast<std::streamsize>(archive.size()));
        if (!out) {
            throw Error(ErrorKind::Unavailable, "disk_full",
                        "Cannot keep the upload in " + file.string() + ".");
        }
    }
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = nowText();
    ServiceRepository(s).enqueueJob(serviceId, "replace_content", at, file.string());
    Poco::JSON::Object details;
    details.set("bytes", static_cast<Poco::Int64>(archive.size()));
    AuditLog::record(s, actor, at, "service.replace_content", "service", serviceId, service.associationId,
                     details);
    tx.commit();
    jobQueued_();
    return service;
}

}  // namespace chatiere::manager
