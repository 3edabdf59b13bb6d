#pragma once

#include "chatiere/manager/Database.h"
#include "chatiere/provisioning/Jobs.h"
#include "core/States.h"
#include "store/ServicePorts.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chatiere::manager {

// The reasons a service is suspended; it runs only when there are none. Each part of the system
// adds and removes only its own.
// `no_subscription`: the association has had services without a subscription (nor a free plan)
// for billing.unsubscribed_grace_days.
inline const std::set<std::string> kSuspensionReasons = {"admin", "quota", "unpaid", "association",
                                                         "no_subscription"};

struct Service {
    std::string id;
    std::string associationId;
    std::string name;
    std::string templateName;
    ServiceState state = ServiceState::Requested;
    std::set<std::string> suspendedFor;
    int vcpus = 1;
    int memoryMib = 128;
    int diskGib = 1;
    std::optional<int> hostPort;     // the HTTP endpoint's, as in `ports`
    std::vector<ServicePort> ports;  // by name; none once deleted
    int64_t volumeGeneration = 0;    // which data volume is current (provisioning::ServiceSpec)
    std::optional<std::string> endpoint;
    std::optional<std::string> lastError;
    ServiceHealth health = ServiceHealth::Unknown;  // its own field, apart from the state
    std::optional<std::string> healthCheckedAt;
    std::optional<std::string> healthDetail;  // what the last failed check saw
    std::string createdAt;
    std::string updatedAt;
    // Public addresses (docs/public-addresses.md): the default name, given once, and the
    // association's own domain, which replaces it while set; what nginx last said of its file.
    std::optional<std::string> defaultName;
    std::optional<std::string> domain;
    std::optional<std::string> proxyError;
    // A mail service's domain (son-asso.fr), apart from `domain`: docs/mail.md.
    std::optional<std::string> mailDomain;

    // The name the service answers at: its own domain, else its default name.
    std::optional<std::string> publicName() const { return domain ? domain : defaultName; }

    // What the API shows: `suspended` while there are reasons and the service is otherwise up.
    std::string displayState() const {
        return !suspendedFor.empty() && (state == ServiceState::Active || state == ServiceState::Provisioning)
                   ? "suspended"
                   : wireName(state);
    }
};

std::string joinReasons(const std::set<std::string>& reasons);
std::set<std::string> splitReasons(const std::string& text);

// The row mapper of a service, for the columns of ServiceRepository's selects (by index).
Service serviceFrom(const Row& r);

class ServiceRepository {
public:
    explicit ServiceRepository(Session& session) : session_(session) {}
    void insert(const Service& s);
    std::optional<Service> find(const std::string& id);
    // Not deleted, of one association, by name.
    std::vector<Service> ofAssociation(const std::string& associationId, bool includeDeleted = false);
    // Every service not deleted, by id.
    std::vector<Service> live();
    bool nameTaken(const std::string& associationId, const std::string& name);
    // The association a service belongs to (nullopt: no such service), and that association's name.
    std::optional<std::string> associationOf(const std::string& id);
    // Gives the service its default public name unless it has one.
    void setDefaultName(const std::string& id, const std::string& name, const std::string& at);
    void setDomain(const std::string& id, const std::optional<std::string>& domain, const std::string& at);
    void setProxyError(const std::string& id, const std::optional<std::string>& error);
    // The live service whose default name or own domain `name` is.
    std::optional<std::string> nameHolder(const std::string& name);
    // The live mail service whose mail domain `domain` is.
    std::optional<std::string> mailDomainHolder(const std::string& domain);
    std::optional<std::string> associationNameOf(const std::string& id);
    void setState(const std::string& id, ServiceState state, const std::optional<std::string>& error,
                  const std::string& at);
    void setActive(const std::string& id, const std::string& endpoint, const std::string& at);
    // requested → provisioning, when its create job is first claimed; other states stay.
    void markProvisioning(const std::string& id, const std::string& at);
    void setSuspendedFor(const std::string& id, const std::set<std::string>& reasons, const std::string& at);
    void setResources(const std::string& id, int vcpus, int memoryMib, int diskGib, const std::string& at);
    void setVolumeGeneration(const std::string& id, int64_t generation, const std::string& at);
    void release(const std::string& id, const std::string& at);  // deleted: the port goes back to the pool
    std::set<int> portsInUse();
    // Enqueues a job for the service (in the caller's transaction), at its kind's first step.
    // Throws on a kind that is not one (a programmer error).
    int64_t enqueueJob(const std::string& serviceId, const std::string& kind, const std::string& at,
                       const std::string& payload = "");
    // Enqueues an `apply` job at its `configure` step (the guest's configuration written again
    // through its agent: a mail service's new mailboxes), unless one is waiting that has not
    // started yet. Returns its id.
    int64_t enqueueConfigure(const std::string& serviceId, const std::string& at);

private:
    Session& session_;
};

// One row of the provisioner's job queue, as stored (times as text).
struct JobRecord {
    int64_t id = 0;
    std::string serviceId;
    std::string kind;  // create | apply | replace_content | resize | delete | rollout
    std::string step;  // the name of the step it runs next (provisioning::toString(JobStep))
    int attempts = 0;
    std::string stepStartedAt;
    std::string payload;
    std::optional<std::string> rollbackReason;
};

// The provisioner's job queue (jobs are enqueued by ServiceRepository::enqueueJob).
class JobRepository {
public:
    explicit JobRepository(Session& session) : session_(session) {}
    // The next due job: the oldest pending one of its service (a service's jobs run in order),
    // due at or before `at`.
    std::optional<JobRecord> nextDue(const std::string& at);
    // Claimed: not due again before `until`, and marked leased.
    void lease(int64_t id, const std::string& until);
    void stepDone(int64_t id, provisioning::JobStep nextStep, const std::string& at);
    void retryAt(int64_t id, int attempts, const std::string& at, const std::string& error);
    void rollBack(int64_t id, provisioning::JobStep step, const std::string& reason, const std::string& at);
    // outcome: done or failed; no error → NULL.
    void finish(int64_t id, JobStatus outcome, const std::optional<std::string>& error,
                const std::string& at);
    // The pending jobs of one kind, oldest first.
    std::vector<JobRecord> pendingOfKind(const std::string& kind);
    // The services that have a pending job.
    std::set<std::string> servicesWithPendingJob();
    // Leased pending jobs become due at `at`; returns how many.
    int releaseLeases(const std::string& at);
    int pending();

private:
    Session& session_;
};

}  // namespace chatiere::manager
