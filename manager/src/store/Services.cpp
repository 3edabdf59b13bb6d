#include "store/Services.h"

#include "chatiere/manager/Error.h"

#include <algorithm>

namespace chatiere::manager {

namespace {

// The columns serviceFrom reads, in its order.
#define CHATIERE_SERVICE_SELECT                                                                          \
    "SELECT id, association_id, name, template, state, suspended_for, vcpus, memory_mib, disk_gib, "     \
    "host_port, volume_generation, endpoint, last_error, health, health_checked_at, health_detail, "     \
    "created_at, updated_at, (SELECT group_concat(p.name || ':' || p.guest_port || ':' || p.host_port) " \
    "FROM service_ports p WHERE p.service_id = services.id), public_hostname, domain, proxy_error, "     \
    "mail_domain FROM services "

constexpr const char* kFind = CHATIERE_SERVICE_SELECT "WHERE id = ?";
constexpr const char* kOfAssociation =
    CHATIERE_SERVICE_SELECT "WHERE association_id = ? AND state != 'deleted' ORDER BY name";
constexpr const char* kOfAssociationAll =
    CHATIERE_SERVICE_SELECT "WHERE association_id = ? ORDER BY name, id";
constexpr const char* kLive = CHATIERE_SERVICE_SELECT "WHERE state != 'deleted' ORDER BY id";

#undef CHATIERE_SERVICE_SELECT

constexpr const char* kInsert =
    "INSERT INTO services (id, association_id, name, template, state, suspended_for, vcpus, memory_mib, "
    "disk_gib, host_port, created_at, updated_at, mail_domain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?)";
constexpr const char* kNameTaken =
    "SELECT 1 FROM services WHERE association_id = ? AND name = ? AND state != 'deleted' LIMIT 1";
constexpr const char* kSetDefaultName =
    "UPDATE services SET public_hostname = ?, updated_at = ? WHERE id = ? AND public_hostname IS NULL";
constexpr const char* kSetDomain = "UPDATE services SET domain = ?, updated_at = ? WHERE id = ?";
constexpr const char* kSetProxyError = "UPDATE services SET proxy_error = ? WHERE id = ?";
constexpr const char* kNameHolder =
    "SELECT id FROM services WHERE state != 'deleted' AND (public_hostname = ?1 OR domain = ?1) LIMIT 1";
constexpr const char* kMailDomainHolder =
    "SELECT id FROM services WHERE state != 'deleted' AND mail_domain = ? LIMIT 1";
constexpr const char* kAssociationOf = "SELECT association_id FROM services WHERE id = ?";
constexpr const char* kAssociationNameOf =
    "SELECT a.name FROM services s JOIN associations a ON a.id = s.association_id WHERE s.id = ?";
constexpr const char* kSetState =
    "UPDATE services SET state = ?, last_error = ?, updated_at = ? WHERE id = ?";
constexpr const char* kSetActive =
    "UPDATE services SET state = 'active', endpoint = ?, last_error = NULL, updated_at = ? WHERE id = ?";
constexpr const char* kMarkProvisioning =
    "UPDATE services SET state = 'provisioning', updated_at = ? WHERE id = ? AND state = 'requested'";
constexpr const char* kSetSuspendedFor = "UPDATE services SET suspended_for = ?, updated_at = ? WHERE id = ?";
constexpr const char* kSetResources =
    "UPDATE services SET vcpus = ?, memory_mib = ?, disk_gib = ?, updated_at = ? WHERE id = ?";
constexpr const char* kSetVolumeGeneration =
    "UPDATE services SET volume_generation = ?, updated_at = ? WHERE id = ?";
constexpr const char* kRelease =
    "UPDATE services SET state = 'deleted', host_port = NULL, endpoint = NULL, updated_at = ? WHERE id = ?";
constexpr const char* kPortsInUse =
    "SELECT host_port FROM services WHERE state != 'deleted' AND host_port IS NOT NULL";
constexpr const char* kPendingConfigure =
    "SELECT id FROM jobs WHERE service_id = ? AND status = 'pending' AND kind = 'apply' AND step = "
    "'configure' "
    "AND leased = 0 LIMIT 1";
constexpr const char* kEnqueueJob =
    "INSERT INTO jobs (service_id, kind, step, next_attempt_at, step_started_at, payload, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";

// The oldest unfinished job of each service goes first: a service's jobs run in order.
constexpr const char* kNextDueJob =
    "SELECT id, service_id, kind, step, attempts, step_started_at, payload, rollback_reason FROM jobs j "
    "WHERE status = 'pending' AND next_attempt_at <= ? AND id = (SELECT MIN(id) FROM jobs k "
    "WHERE k.service_id = j.service_id AND k.status = 'pending') ORDER BY next_attempt_at, id LIMIT 1";
constexpr const char* kLeaseJob = "UPDATE jobs SET next_attempt_at = ?, leased = 1 WHERE id = ?";
constexpr const char* kStepDone =
    "UPDATE jobs SET step = ?, attempts = 0, step_started_at = ?, last_error = NULL WHERE id = ?";
constexpr const char* kRetryAt =
    "UPDATE jobs SET attempts = ?, next_attempt_at = ?, last_error = ?, leased = 0 WHERE id = ?";
constexpr const char* kRollBack =
    "UPDATE jobs SET step = ?, attempts = 0, step_started_at = ?, next_attempt_at = ?, leased = 0, "
    "rollback_reason = ?, last_error = ? WHERE id = ?";
constexpr const char* kFinish = "UPDATE jobs SET status = ?, last_error = ?, finished_at = ? WHERE id = ?";
constexpr const char* kServicesWithPendingJob =
    "SELECT DISTINCT service_id FROM jobs WHERE status = 'pending'";
constexpr const char* kReleaseLeases =
    "UPDATE jobs SET leased = 0, next_attempt_at = ? WHERE status = 'pending' AND leased = 1";
constexpr const char* kPendingOfKind =
    "SELECT id, service_id, kind, step, attempts, step_started_at, payload, rollback_reason FROM jobs "
    "WHERE status = 'pending' AND kind = ? ORDER BY id";
constexpr const char* kPendingJobs = "SELECT COUNT(*) FROM jobs WHERE status = 'pending'";

}  // namespace

std::string joinReasons(const std::set<std::string>& reasons) {
    std::string out;
    for (const auto& r : reasons) {
        out += (out.empty() ? "" : ",") + r;
    }
    return out;
}

std::set<std::string> splitReasons(const std::string& text) {
    std::set<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto comma = text.find(',', start);
        const auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) {
            out.insert(item);
        }
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

Service serviceFrom(const Row& r) {
    Service s;
    s.id = r.text(0);
    s.associationId = r.text(1);
    s.name = r.text(2);
    s.templateName = r.text(3);
    s.state = storedState<ServiceState>(r.text(4), "services.state");
    s.suspendedFor = splitReasons(r.text(5));
    s.vcpus = static_cast<int>(r.integer(6));
    s.memoryMib = static_cast<int>(r.integer(7));
    s.diskGib = static_cast<int>(r.integer(8));
    if (const auto port = r.optInteger(9)) {
        s.hostPort = static_cast<int>(*port);
    }
    s.volumeGeneration = r.integer(10);
    s.endpoint = r.optText(11);
    s.lastError = r.optText(12);
    s.health = storedState<ServiceHealth>(r.text(13), "services.health");
    s.healthCheckedAt = r.optText(14);
    s.healthDetail = r.optText(15);
    s.createdAt = r.text(16);
    s.updatedAt = r.text(17);
    // name:guest_port:host_port,… (port names are [a-z0-9_-]: see templates' isName)
    for (const auto& item : splitReasons(r.optText(18).value_or(""))) {
        const auto first = item.find(':');
        const auto second = item.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) {
            continue;
        }
        s.ports.push_back({item.substr(0, first), std::stoi(item.substr(first + 1, second - first - 1)),
                           std::stoi(item.substr(second + 1))});
    }
    std::sort(s.ports.begin(), s.ports.end(),
              [](const ServicePort& a, const ServicePort& b) { return a.name < b.name; });
    s.defaultName = r.optText(19);
    s.domain = r.optText(20);
    s.proxyError = r.optText(21);
    s.mailDomain = r.optText(22);
    return s;
}

void ServiceRepository::insert(const Service& s) {
    session_.execute(kInsert, s.id, s.associationId, s.name, s.templateName, wireName(s.state),
                     joinReasons(s.suspendedFor), s.vcpus, s.memoryMib, s.diskGib, s.hostPort, s.createdAt,
                     s.createdAt, s.mailDomain);
}

void ServiceRepository::setDefaultName(const std::string& id, const std::string& name,
                                       const std::string& at) {
    session_.execute(kSetDefaultName, name, at, id);
}

void ServiceRepository::setDomain(const std::string& id, const std::optional<std::string>& domain,
                                  const std::string& at) {
    session_.execute(kSetDomain, domain, at, id);
}

void ServiceRepository::setProxyError(const std::string& id, const std::optional<std::string>& error) {
    session_.execute(kSetProxyError, error, id);
}

std::optional<std::string> ServiceRepository::nameHolder(const std::string& name) {
    return session_.text(kNameHolder, name);
}

std::optional<std::string> ServiceRepository::mailDomainHolder(const std::string& domain) {
    return session_.text(kMailDomainHolder, domain);
}

std::optional<Service> ServiceRepository::find(const std::string& id) {
    return session_.first(kFind, serviceFrom, id);
}

std::vector<Service> ServiceRepository::ofAssociation(const std::string& associationId, bool includeDeleted) {
    return session_.query(includeDeleted ? kOfAssociationAll : kOfAssociation, serviceFrom, associationId);
}

std::vector<Service> ServiceRepository::live() {
    return session_.query(kLive, serviceFrom);
}

bool ServiceRepository::nameTaken(const std::string& associationId, const std::string& name) {
    return session_.integer(kNameTaken, associationId, name).has_value();
}

std::optional<std::string> ServiceRepository::associationOf(const std::string& id) {
    return session_.text(kAssociationOf, id);
}

std::optional<std::string> ServiceRepository::associationNameOf(const std::string& id) {
    return session_.text(kAssociationNameOf, id);
}

void ServiceRepository::setState(const std::string& id, ServiceState state,
                                 const std::optional<std::string>& error, const std::string& at) {
    session_.execute(kSetState, wireName(state), error, at, id);
}

void ServiceRepository::setActive(const std::string& id, const std::string& endpoint, const std::string& at) {
    // No endpoint (a service without an HTTP one): NULL.
    session_.execute(kSetActive, endpoint.empty() ? std::nullopt : std::optional<std::string>(endpoint), at,
                     id);
}

void ServiceRepository::markProvisioning(const std::string& id, const std::string& at) {
    session_.execute(kMarkProvisioning, at, id);
}

void ServiceRepository::setSuspendedFor(const std::string& id, const std::set<std::string>& reasons,
                                        const std::string& at) {
    session_.execute(kSetSuspendedFor, joinReasons(reasons), at, id);
}

void ServiceRepository::setResources(const std::string& id, int vcpus, int memoryMib, int diskGib,
                                     const std::string& at) {
    session_.execute(kSetResources, vcpus, memoryMib, diskGib, at, id);
}

void ServiceRepository::setVolumeGeneration(const std::string& id, int64_t generation,
                                            const std::string& at) {
    session_.execute(kSetVolumeGeneration, generation, at, id);
}

void ServiceRepository::release(const std::string& id, const std::string& at) {
    session_.execute(kRelease, at, id);
}

std::set<int> ServiceRepository::portsInUse() {
    std::set<int> ports;
    session_.each(kPortsInUse, [&](const Row& r) { ports.insert(static_cast<int>(r.integer(0))); });
    return ports;
}

int64_t ServiceRepository::enqueueJob(const std::string& serviceId, const std::string& kind,
                                      const std::string& at, const std::string& payload) {
    const auto jobKind = provisioning::jobKindFrom(kind);
    if (!jobKind) {
        throw Error(ErrorKind::Internal, "job_kind", "no such job kind: " + kind);
    }
    const std::string step = provisioning::toString(provisioning::firstStep(*jobKind));
    session_.execute(kEnqueueJob, serviceId, kind, step, at, at, payload, at);
    return session_.lastInsertRowid();
}

int64_t ServiceRepository::enqueueConfigure(const std::string& serviceId, const std::string& at) {
    // One pending is enough: the job reads the service's configuration when it runs.
    if (const auto pending = session_.integer(kPendingConfigure, serviceId)) {
        return *pending;
    }
    session_.execute(kEnqueueJob, serviceId, "apply",
                     provisioning::toString(provisioning::JobStep::Configure), at, at, "", at);
    return session_.lastInsertRowid();
}

namespace {

JobRecord jobFrom(const Row& r) {
    JobRecord job;
    job.id = r.integer(0);
    job.serviceId = r.text(1);
    job.kind = r.text(2);
    job.step = r.text(3);
    job.attempts = static_cast<int>(r.integer(4));
    job.stepStartedAt = r.text(5);
    job.payload = r.text(6);
    job.rollbackReason = r.optText(7);
    return job;
}

}  // namespace

std::optional<JobRecord> JobRepository::nextDue(const std::string& at) {
    return session_.first(kNextDueJob, jobFrom, at);
}

std::vector<JobRecord> JobRepository::pendingOfKind(const std::string& kind) {
    return session_.query(kPendingOfKind, jobFrom, kind);
}

void JobRepository::lease(int64_t id, const std::string& until) {
    session_.execute(kLeaseJob, until, id);
}

void JobRepository::stepDone(int64_t id, provisioning::JobStep nextStep, const std::string& at) {
    session_.execute(kStepDone, provisioning::toString(nextStep), at, id);
}

void JobRepository::retryAt(int64_t id, int attempts, const std::string& at, const std::string& error) {
    session_.execute(kRetryAt, attempts, at, error, id);
}

void JobRepository::rollBack(int64_t id, provisioning::JobStep step, const std::string& reason,
                             const std::string& at) {
    session_.execute(kRollBack, provisioning::toString(step), at, at, reason, reason, id);
}

void JobRepository::finish(int64_t id, JobStatus outcome, const std::optional<std::string>& error,
                           const std::string& at) {
    session_.execute(kFinish, wireName(outcome), error, at, id);
}

std::set<std::string> JobRepository::servicesWithPendingJob() {
    std::set<std::string> out;
    session_.each(kServicesWithPendingJob, [&](const Row& r) { out.insert(r.text(0)); });
    return out;
}

int JobRepository::releaseLeases(const std::string& at) {
    return session_.execute(kReleaseLeases, at);
}

int JobRepository::pending() {
    return static_cast<int>(session_.integer(kPendingJobs).value_or(0));
}

}  // namespace chatiere::manager
