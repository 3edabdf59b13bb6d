#include "hosting/ProvisioningStore.h"

#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"
#include "domain/Rows.h"
#include "hosting/Services.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include <set>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

std::string ProvisioningStore::nowText() const {
    return formatTime(clock_.now());
}

std::optional<provisioning::Job> ProvisioningStore::claim(base::Clock::TimePoint at,
                                                          base::Clock::TimePoint leaseUntil) {
    auto s = db_.session();
    Transaction tx(s);
    const std::string atText = formatTime(at);
    Poco::Data::Statement select(s);
    // The oldest unfinished job of each service goes first: a service's jobs run in order.
    select
        << "SELECT id, service_id, kind, step, attempts, step_started_at, payload, rollback_reason "
           "FROM jobs j "
           "WHERE status = 'pending' AND next_attempt_at <= ? AND id = (SELECT MIN(id) FROM jobs k "
           "WHERE k.service_id = j.service_id AND k.status = 'pending') ORDER BY next_attempt_at, id LIMIT 1",
        bind(atText);
    select.execute();
    Poco::Data::RecordSet rs(select);
    if (!rs.moveFirst()) {
        return std::nullopt;
    }
    provisioning::Job job;
    job.id = integer(rs, "id");
    job.serviceId = text(rs, "service_id");
    job.kind = provisioning::jobKindFrom(text(rs, "kind")).value_or(provisioning::JobKind::Apply);
    const std::string stepName = text(rs, "step");
    const auto step = provisioning::jobStepFrom(stepName);
    job.step = step.value_or(provisioning::firstStep(job.kind));
    job.attempts = static_cast<int>(integer(rs, "attempts"));
    job.stepStartedAt = parseTime(text(rs, "step_started_at")).value_or(at);
    job.payload = text(rs, "payload");
    job.rollbackReason = optText(rs, "rollback_reason").value_or("");
    s << "UPDATE jobs SET next_attempt_at = ?, leased = 1 WHERE id = ?", bind(formatTime(leaseUntil)),
        bind(job.id), now;
    if (job.kind == provisioning::JobKind::Create) {
        s << "UPDATE services SET state = 'provisioning', updated_at = ? WHERE id = ? AND state = "
             "'requested'",
            bind(atText), bind(job.serviceId), now;
    }
    tx.commit();
    if (!step) {
        // A step this program does not know (one a newer version wrote): never guessed, the job fails.
        finish(job.id, "failed", "the job is at a step this version does not know: '" + stepName + "'");
        return claim(at, leaseUntil);
    }
    return job;
}

void ProvisioningStore::stepDone(int64_t id, provisioning::JobStep nextStep,
                                 base::Clock::TimePoint at) {
    auto s = db_.session();
    s << "UPDATE jobs SET step = ?, attempts = 0, step_started_at = ?, last_error = NULL WHERE id = ?",
        bind(provisioning::toString(nextStep)), bind(formatTime(at)), bind(id), now;
}

void ProvisioningStore::retryAt(int64_t id, int attempts, base::Clock::TimePoint at,
                                const std::string& error) {
    auto s = db_.session();
    s << "UPDATE jobs SET attempts = ?, next_attempt_at = ?, last_error = ?, leased = 0 WHERE id = ?",
        bind(attempts), bind(formatTime(at)), bind(error), bind(id), now;
}

void ProvisioningStore::rollBack(int64_t id, provisioning::JobStep step, const std::string& reason,
                                 base::Clock::TimePoint at) {
    auto s = db_.session();
    s << "UPDATE jobs SET step = ?, attempts = 0, step_started_at = ?, next_attempt_at = ?, leased = 0, "
         "rollback_reason = ?, last_error = ? WHERE id = ?",
        bind(provisioning::toString(step)), bind(formatTime(at)), bind(formatTime(at)), bind(reason),
        bind(reason), bind(id), now;
}

void ProvisioningStore::finish(int64_t id, const std::string& outcome, const std::string& error) {
    auto s = db_.session();
    s << "UPDATE jobs SET status = ?, last_error = ?, finished_at = ? WHERE id = ?", bind(outcome),
        bind(nullable(error.empty() ? std::nullopt : std::optional<std::string>(error))), bind(nowText()),
        bind(id), now;
}

provisioning::ServiceSpec ProvisioningStore::specOf(Session& s, const Service& service) {
    std::string associationName;
    s << "SELECT name FROM associations WHERE id = ?", bind(service.associationId), into(associationName),
        now;
    provisioning::ServiceSpec spec;
    spec.id = service.id;
    spec.associationId = service.associationId;
    spec.associationName = associationName;
    spec.name = service.name;
    spec.templateName = service.templateName;
    spec.vcpus = service.vcpus;
    spec.memoryMib = service.memoryMib;
    spec.diskGib = service.diskGib;
    spec.hostPort = service.hostPort.value_or(0);
    spec.volumeGeneration = service.volumeGeneration;
    spec.shouldRun =
        service.suspendedFor.empty() && service.state != "deleting" && service.state != "deleted";
    return spec;
}

std::optional<provisioning::ServiceSpec> ProvisioningStore::spec(const std::string& serviceId) {
    auto s = db_.session();
    const auto service = ServiceRepository(s).find(serviceId);
    if (!service) {
        return std::nullopt;
    }
    return specOf(s, *service);
}

std::vector<provisioning::DesiredService> ProvisioningStore::desiredServices() {
    auto s = db_.session();
    std::vector<std::string> ids;
    s << "SELECT id FROM services WHERE state != 'deleted' ORDER BY id", into(ids), now;
    std::vector<std::string> busy;
    s << "SELECT DISTINCT service_id FROM jobs WHERE status = 'pending'", into(busy), now;
    const std::set<std::string> withJob(busy.begin(), busy.end());
    std::vector<provisioning::DesiredService> out;
    ServiceRepository services(s);
    for (const auto& id : ids) {
        const auto service = services.find(id);
        if (service) {
            out.push_back({specOf(s, *service), service->state, withJob.count(id) > 0});
        }
    }
    return out;
}

void ProvisioningStore::enqueueRepair(const std::string& serviceId, provisioning::JobKind kind,
                                      const std::string& reason) {
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    const auto service = services.find(serviceId);
    if (!service) {
        return;
    }
    services.enqueueJob(serviceId, provisioning::toString(kind), nowText());
    Poco::JSON::Object details;
    details.set("reason", reason);
    AuditLog::record(s, Actor::system("reconciler"), nowText(), "service.repair", "service", serviceId,
                     service->associationId, details);
    tx.commit();
}

void ProvisioningStore::auditGuest(const std::string& guestName, const std::string& action,
                                   const std::string& detail) {
    auto s = db_.session();
    Poco::JSON::Object details;
    details.set("detail", detail);
    AuditLog::record(s, Actor::system("reconciler"), nowText(), action, "guest", guestName, std::nullopt,
                     details);
}

void ProvisioningStore::reportActive(const std::string& serviceId, const std::string& endpoint) {
    auto s = db_.session();
    Transaction tx(s);
    const auto service = ServiceRepository(s).find(serviceId);
    if (service && (service->state != "active" || service->lastError)) {
        // Active again, or still: an error a previous change left is over.
        ServiceRepository(s).setActive(serviceId, endpoint, nowText());
        if (service->state != "active") {
            AuditLog::record(s, Actor::system("provisioner"), nowText(), "service.active", "service",
                             serviceId, service->associationId);
        }
    }
    tx.commit();
}

void ProvisioningStore::reportRolledBack(const std::string& serviceId, const std::string& endpoint,
                                         const std::string& error) {
    auto s = db_.session();
    Transaction tx(s);
    const auto service = ServiceRepository(s).find(serviceId);
    if (service && service->state != "deleting" && service->state != "deleted") {
        ServiceRepository(s).setActive(serviceId, endpoint, nowText());
        ServiceRepository(s).setState(serviceId, "active", error, nowText());
    }
    tx.commit();
}

void ProvisioningStore::setVolumeGeneration(const std::string& serviceId, int64_t generation) {
    auto s = db_.session();
    s << "UPDATE services SET volume_generation = ?, updated_at = ? WHERE id = ?",
        bind(static_cast<Poco::Int64>(generation)), bind(nowText()), bind(serviceId), now;
}

void ProvisioningStore::restoreResources(const std::string& serviceId, const provisioning::Resources& r) {
    auto s = db_.session();
    ServiceRepository(s).setResources(serviceId, r.vcpus, r.memoryMib, r.diskGib, nowText());
}

void ProvisioningStore::reportFailed(const std::string& serviceId, const std::string& reason) {
    auto s = db_.session();
    Transaction tx(s);
    const auto service = ServiceRepository(s).find(serviceId);
    if (service && service->state != "deleted") {
        // A failed delete keeps its state (deleting) so that it is retried; anything else fails.
        if (service->state != "deleting") {
            ServiceRepository(s).setState(serviceId, "failed", reason, nowText());
        } else {
            ServiceRepository(s).setState(serviceId, "deleting", reason, nowText());
        }
    }
    tx.commit();
}

void ProvisioningStore::reportDeleted(const std::string& serviceId) {
    auto s = db_.session();
    Transaction tx(s);
    const auto service = ServiceRepository(s).find(serviceId);
    ServiceRepository(s).release(serviceId, nowText());
    if (service) {
        AuditLog::record(s, Actor::system("provisioner"), nowText(), "service.deleted", "service", serviceId,
                         service->associationId);
    }
    tx.commit();
}

void ProvisioningStore::audit(const std::string& serviceId, const std::string& action,
                              const std::string& detail) {
    auto s = db_.session();
    std::vector<std::string> association;
    s << "SELECT association_id FROM services WHERE id = ?", bind(serviceId), into(association), now;
    Poco::JSON::Object details;
    details.set("detail", detail);
    AuditLog::record(s, Actor::system("provisioner"), nowText(), action, "service", serviceId,
                     association.empty() ? std::nullopt : std::optional<std::string>(association.front()),
                     details);
}

int ProvisioningStore::releaseLeases() {
    auto s = db_.session();
    Poco::Data::Statement stmt(s);
    stmt << "UPDATE jobs SET leased = 0, next_attempt_at = ? WHERE status = 'pending' AND leased = 1",
        bind(nowText());
    return static_cast<int>(stmt.execute());
}

int ProvisioningStore::pendingJobs() {
    auto s = db_.session();
    int count = 0;
    s << "SELECT COUNT(*) FROM jobs WHERE status = 'pending'", into(count), now;
    return count;
}

}  // namespace chatiere::manager
