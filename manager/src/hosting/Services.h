#pragma once

#include "chatiere/manager/Database.h"

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
    std::string state;  // requested | provisioning | active | failed | deleting | deleted
    std::set<std::string> suspendedFor;
    int vcpus = 1;
    int memoryMib = 128;
    int diskGib = 1;
    std::optional<int> hostPort;
    int64_t volumeGeneration = 0;  // which data volume is current (provisioning::ServiceSpec)
    std::optional<std::string> endpoint;
    std::optional<std::string> lastError;
    std::string health = "unknown";  // unknown | ok | degraded: its own field, apart from the state
    std::optional<std::string> healthCheckedAt;
    std::optional<std::string> healthDetail;  // what the last failed check saw
    std::string createdAt;
    std::string updatedAt;

    // What the API shows: `suspended` while there are reasons and the service is otherwise up.
    std::string displayState() const {
        return !suspendedFor.empty() && (state == "active" || state == "provisioning") ? "suspended" : state;
    }
};

std::string joinReasons(const std::set<std::string>& reasons);
std::set<std::string> splitReasons(const std::string& text);

class ServiceRepository {
public:
    explicit ServiceRepository(Session& session) : session_(session) {}
    void insert(const Service& s);
    std::optional<Service> find(const std::string& id);
    // Not deleted, of one association, by name.
    std::vector<Service> ofAssociation(const std::string& associationId, bool includeDeleted = false);
    bool nameTaken(const std::string& associationId, const std::string& name);
    void setState(const std::string& id, const std::string& state, const std::optional<std::string>& error,
                  const std::string& at);
    void setActive(const std::string& id, const std::string& endpoint, const std::string& at);
    void setSuspendedFor(const std::string& id, const std::set<std::string>& reasons, const std::string& at);
    void setResources(const std::string& id, int vcpus, int memoryMib, int diskGib, const std::string& at);
    void release(const std::string& id, const std::string& at);  // deleted: the port goes back to the pool
    std::set<int> portsInUse();
    // Enqueues a job for the service (in the caller's transaction).
    int64_t enqueueJob(const std::string& serviceId, const std::string& kind, const std::string& at,
                       const std::string& payload = "");

private:
    std::vector<Service> select(const std::string& where, const std::string& a, const std::string& b);
    Session& session_;
};

}  // namespace chatiere::manager
