#pragma once

#include "chatiere/manager/Database.h"
#include "chatiere/provisioning/Jobs.h"
#include "chatiere/provisioning/Reconciler.h"
#include "chatiere/templates/Catalogue.h"
#include "store/Services.h"

namespace chatiere::manager {

// The provisioner's job queue and service registry, over the manager's SQLite store
// (dependency inversion: provisioning declares the interfaces, the manager implements them).
class ProvisioningStore final : public provisioning::JobStore,
                                public provisioning::ServiceRegistry,
                                public provisioning::ReconcileSource {
public:
    // The catalogue says which configuration values a service's template takes (specOf);
    // `mailHostname` is the name mail guests give (mail.hostname: Settings::mailHostname()).
    ProvisioningStore(Database& db, base::Clock& clock, const templates::Catalogue& catalogue,
                      std::string mailHostname = "")
        : db_(db), clock_(clock), catalogue_(catalogue), mailHostname_(std::move(mailHostname)) {}

    std::optional<provisioning::Job> claim(base::Clock::TimePoint now,
                                           base::Clock::TimePoint leaseUntil) override;
    void stepDone(int64_t id, provisioning::JobStep nextStep, base::Clock::TimePoint now) override;
    void retryAt(int64_t id, int attempts, base::Clock::TimePoint at, const std::string& error) override;
    void rollBack(int64_t id, provisioning::JobStep step, const std::string& reason,
                  base::Clock::TimePoint now) override;
    void finish(int64_t id, const std::string& outcome, const std::string& error) override;

    std::optional<provisioning::ServiceSpec> spec(const std::string& serviceId) override;
    void reportActive(const std::string& serviceId, const std::string& endpoint) override;
    void reportFailed(const std::string& serviceId, const std::string& reason) override;
    void reportRolledBack(const std::string& serviceId, const std::string& endpoint,
                          const std::string& error) override;
    void setVolumeGeneration(const std::string& serviceId, int64_t generation) override;
    void restoreResources(const std::string& serviceId, const provisioning::Resources& resources) override;
    void reportDeleted(const std::string& serviceId) override;
    void audit(const std::string& serviceId, const std::string& action, const std::string& detail) override;

    std::vector<provisioning::DesiredService> desiredServices() override;
    void enqueueRepair(const std::string& serviceId, provisioning::JobKind kind,
                       const std::string& reason) override;
    void auditGuest(const std::string& guestName, const std::string& action,
                    const std::string& detail) override;

    // At start: the jobs a previous daemon had claimed when it died run again at once (this daemon
    // holds the database's lock, so no other one is running them). Returns how many.
    int releaseLeases();

    // Jobs not finished yet (the admin console, /metrics later).
    int pendingJobs();

private:
    std::string nowText() const;
    provisioning::ServiceSpec specOf(Session& s, const Service& service);
    Database& db_;
    base::Clock& clock_;
    const templates::Catalogue& catalogue_;
    std::string mailHostname_;
};

}  // namespace chatiere::manager
