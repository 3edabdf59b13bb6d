#include "hosting/ProvisioningStore.h"

#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"
#include "hosting/MailConfig.h"
#include "store/Mail.h"
#include "store/ServicePorts.h"
#include "store/ServiceSecrets.h"
#include "store/Services.h"

namespace chatiere::manager {

std::string ProvisioningStore::nowText() const {
    return formatTime(clock_.now());
}

// Each method that runs several statements is one unit of work: one connection for all of them.

std::optional<provisioning::Job> ProvisioningStore::claim(base::Clock::TimePoint at,
                                                          base::Clock::TimePoint leaseUntil) {
    UnitOfWork unit(db_);
    auto s = db_.session();
    Transaction tx(s);
    const std::string atText = formatTime(at);
    JobRepository jobs(s);
    const auto row = jobs.nextDue(atText);
    if (!row) {
        return std::nullopt;
    }
    provisioning::Job job;
    job.id = row->id;
    job.serviceId = row->serviceId;
    job.kind = provisioning::jobKindFrom(row->kind).value_or(provisioning::JobKind::Apply);
    const auto step = provisioning::jobStepFrom(row->step);
    job.step = step.value_or(provisioning::firstStep(job.kind));
    job.attempts = row->attempts;
    job.stepStartedAt = parseTime(row->stepStartedAt).value_or(at);
    job.payload = row->payload;
    job.rollbackReason = row->rollbackReason.value_or("");
    jobs.lease(job.id, formatTime(leaseUntil));
    if (job.kind == provisioning::JobKind::Create) {
        ServiceRepository(s).markProvisioning(job.serviceId, atText);
    }
    tx.commit();
    if (!step) {
        // A step this program does not know (one a newer version wrote): never guessed, the job fails.
        finish(job.id, wireName(JobStatus::Failed),
               "the job is at a step this version does not know: '" + row->step + "'");
        return claim(at, leaseUntil);
    }
    return job;
}

void ProvisioningStore::stepDone(int64_t id, provisioning::JobStep nextStep, base::Clock::TimePoint at) {
    auto s = db_.session();
    JobRepository(s).stepDone(id, nextStep, formatTime(at));
}

void ProvisioningStore::retryAt(int64_t id, int attempts, base::Clock::TimePoint at,
                                const std::string& error) {
    auto s = db_.session();
    JobRepository(s).retryAt(id, attempts, formatTime(at), error);
}

void ProvisioningStore::rollBack(int64_t id, provisioning::JobStep step, const std::string& reason,
                                 base::Clock::TimePoint at) {
    auto s = db_.session();
    JobRepository(s).rollBack(id, step, reason, formatTime(at));
}

void ProvisioningStore::finish(int64_t id, const std::string& outcome, const std::string& error) {
    auto s = db_.session();
    // The provisioner names its outcome with the words of the jobs table.
    JobRepository(s).finish(id, storedState<JobStatus>(outcome, "the provisioner's outcome"),
                            error.empty() ? std::nullopt : std::optional<std::string>(error), nowText());
}

provisioning::ServiceSpec ProvisioningStore::specOf(Session& s, const Service& service) {
    provisioning::ServiceSpec spec;
    spec.id = service.id;
    spec.associationId = service.associationId;
    spec.associationName = ServiceRepository(s).associationNameOf(service.id).value_or("");
    spec.name = service.name;
    spec.templateName = service.templateName;
    spec.vcpus = service.vcpus;
    spec.memoryMib = service.memoryMib;
    spec.diskGib = service.diskGib;
    spec.hostPort = service.hostPort.value_or(0);
    for (const auto& port : ServicePortRepository(s).of(service.id)) {
        spec.ports[port.name] = port.hostPort;
    }
    spec.volumeGeneration = service.volumeGeneration;
    const auto* manifest = catalogue_.find(service.templateName);
    // A suspended mail service keeps running: suspension stops access (at the front), never
    // delivery (docs/mail.md).
    const bool keepsRunning = manifest && manifest->kind == "mail";
    spec.shouldRun = (service.suspendedFor.empty() || keepsRunning) &&
                     service.state != ServiceState::Deleting && service.state != ServiceState::Deleted;
    if (manifest) {
        for (const auto& value : manifest->config) {
            if (value.source == "association.name") {
                spec.config[value.name] = spec.associationName;
            } else if (value.source == "association.id") {
                spec.config[value.name] = service.associationId;
            } else if (value.source == "service.name") {
                spec.config[value.name] = service.name;
            } else if (value.source == "service.id") {
                spec.config[value.name] = service.id;
            } else if (value.source.rfind("mail.", 0) == 0) {
                if (service.state != ServiceState::Deleted) {
                    spec.config[value.name] = mailConfigValue(s, service, value.source, mailHostname_);
                }
            } else if (value.source == "generated_secret" && service.state != ServiceState::Deleted) {
                // Made at create; made here for a service older than its template's secret.
                spec.config[value.name] =
                    ServiceSecretRepository(s).ensure(service.id, value.name, newSecretToken, nowText());
            }
        }
    }
    return spec;
}

std::optional<provisioning::ServiceSpec> ProvisioningStore::spec(const std::string& serviceId) {
    UnitOfWork unit(db_);
    auto s = db_.session();
    const auto service = ServiceRepository(s).find(serviceId);
    if (!service) {
        return std::nullopt;
    }
    return specOf(s, *service);
}

std::vector<provisioning::DesiredService> ProvisioningStore::desiredServices() {
    UnitOfWork unit(db_);
    auto s = db_.session();
    const auto live = ServiceRepository(s).live();
    const std::set<std::string> withJob = JobRepository(s).servicesWithPendingJob();
    std::vector<provisioning::DesiredService> out;
    out.reserve(live.size());
    for (const auto& service : live) {
        out.push_back({specOf(s, service), wireName(service.state), withJob.count(service.id) > 0});
    }
    return out;
}

void ProvisioningStore::enqueueRepair(const std::string& serviceId, provisioning::JobKind kind,
                                      const std::string& reason) {
    UnitOfWork unit(db_);
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
    UnitOfWork unit(db_);
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    const auto service = services.find(serviceId);
    if (service && (service->state != ServiceState::Active || service->lastError)) {
        // Active again, or still: an error a previous change left is over.
        services.setActive(serviceId, endpoint, nowText());
        if (service->state != ServiceState::Active) {
            AuditLog::record(s, Actor::system("provisioner"), nowText(), "service.active", "service",
                             serviceId, service->associationId);
        }
    }
    tx.commit();
}

void ProvisioningStore::reportRolledBack(const std::string& serviceId, const std::string& endpoint,
                                         const std::string& error) {
    UnitOfWork unit(db_);
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    const auto service = services.find(serviceId);
    if (service && service->state != ServiceState::Deleting && service->state != ServiceState::Deleted) {
        services.setActive(serviceId, endpoint, nowText());
        services.setState(serviceId, ServiceState::Active, error, nowText());
    }
    tx.commit();
}

void ProvisioningStore::setVolumeGeneration(const std::string& serviceId, int64_t generation) {
    auto s = db_.session();
    ServiceRepository(s).setVolumeGeneration(serviceId, generation, nowText());
}

void ProvisioningStore::restoreResources(const std::string& serviceId, const provisioning::Resources& r) {
    auto s = db_.session();
    ServiceRepository(s).setResources(serviceId, r.vcpus, r.memoryMib, r.diskGib, nowText());
}

void ProvisioningStore::reportFailed(const std::string& serviceId, const std::string& reason) {
    UnitOfWork unit(db_);
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    const auto service = services.find(serviceId);
    if (service && service->state != ServiceState::Deleted) {
        // A failed delete keeps its state (deleting) so that it is retried; anything else fails.
        if (service->state != ServiceState::Deleting) {
            services.setState(serviceId, ServiceState::Failed, reason, nowText());
        } else {
            services.setState(serviceId, ServiceState::Deleting, reason, nowText());
        }
    }
    tx.commit();
}

void ProvisioningStore::reportDeleted(const std::string& serviceId) {
    UnitOfWork unit(db_);
    auto s = db_.session();
    Transaction tx(s);
    ServiceRepository services(s);
    const auto service = services.find(serviceId);
    services.release(serviceId, nowText());
    ServicePortRepository(s).release(serviceId);
    ServiceSecretRepository(s).deleteOf(serviceId);
    MailRepository(s).deleteOf(serviceId, nowText());
    if (service) {
        AuditLog::record(s, Actor::system("provisioner"), nowText(), "service.deleted", "service", serviceId,
                         service->associationId);
    }
    tx.commit();
}

void ProvisioningStore::audit(const std::string& serviceId, const std::string& action,
                              const std::string& detail) {
    UnitOfWork unit(db_);
    auto s = db_.session();
    const auto association = ServiceRepository(s).associationOf(serviceId);
    Poco::JSON::Object details;
    details.set("detail", detail);
    AuditLog::record(s, Actor::system("provisioner"), nowText(), action, "service", serviceId, association,
                     details);
}

int ProvisioningStore::releaseLeases() {
    auto s = db_.session();
    return JobRepository(s).releaseLeases(nowText());
}

int ProvisioningStore::pendingJobs() {
    auto s = db_.session();
    return JobRepository(s).pending();
}

}  // namespace chatiere::manager
