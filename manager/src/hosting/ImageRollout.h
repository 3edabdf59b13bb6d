#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "chatiere/templates/Catalogue.h"
#include "domain/Actor.h"
#include "store/Services.h"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

// The build of its template's image a service's guest runs (docs/images.md).
struct ServiceImage {
    std::string build;     // the key of the build its domain names; empty when it names none
    bool current = false;  // that build is the template's current one
};

// A rollout job not finished yet.
struct RolloutInProgress {
    std::string serviceId;
    std::string serviceName;
    std::string templateName;
    std::string step;       // the step it runs next (provisioning::toString(JobStep))
    std::string fromBuild;  // the build it leaves (where a failure takes it back)
};

// A live service whose guest runs another build than its template's current one.
struct OutdatedService {
    std::string serviceId;
    std::string serviceName;
    std::string templateName;
    std::string build;
    std::string currentBuild;
    bool failed = false;  // its rollout onto currentBuild failed: not tried again unless asked
};

struct RolloutStatus {
    bool automatic = true;               // images.auto_rollout
    std::vector<std::string> requested;  // templates the admin asked to roll out now ("" for all)
    std::vector<RolloutInProgress> inProgress;
    std::vector<OutdatedService> outdated;
};

// Rolls a rebuilt image out: one service at a time, a `rollout` job restarts its guest on its
// template's current build (provisioning::Provisioner); the next one is queued once that job
// ended. Automatic unless images.auto_rollout is off; the admin starts it for a template at once
// (`chatiere templates rollout`). A service with another job pending is skipped until it ends; a
// service whose rollout failed (rolled back onto its build) is not tried again on the same build
// unless the admin asks.
class ImageRollout {
public:
    ImageRollout(Database& db, base::Clock& clock, const Settings& settings,
                 const templates::Catalogue& catalogue, provisioning::GuestBuilder& builder,
                 Poco::Logger& logger, std::function<void()> jobQueued);

    // Which build the service's guest runs; nullopt for a service without a guest (not created
    // yet, deleted) or whose template has no image built.
    std::optional<ServiceImage> imageOf(const Service& service);
    // Admin only (403 otherwise); 400 unknown_template for a template not in the catalogue.
    RolloutStatus status(const Actor& actor, const std::optional<std::string>& templateName);
    // Admin only: rolls the template's (every template's) outdated services out now, even with
    // automatic rollout off, and even those whose rollout failed before; returns the status after
    // the first job was queued.
    RolloutStatus start(const Actor& actor, const std::optional<std::string>& templateName);
    // One pass of the daemon's task: notes how the last rollout ended, queues the next one when
    // none is in progress. Returns the service queued.
    std::optional<std::string> runOnce();

private:
    void authorize(const Actor& actor, const std::optional<std::string>& templateName) const;
    RolloutStatus statusLocked(const std::optional<std::string>& templateName);
    std::optional<std::string> runLocked();
    std::vector<OutdatedService> outdatedLocked(Session& s);
    provisioning::ServiceSpec specOf(const Service& service) const;

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const templates::Catalogue& catalogue_;
    provisioning::GuestBuilder& builder_;
    Poco::Logger& logger_;
    std::function<void()> jobQueued_;

    std::mutex mutex_;
    std::set<std::string> requested_;  // templates asked for now; "" for all
    struct Queued {
        std::string serviceId;
        std::string target;
    };
    std::optional<Queued> last_;                 // the rollout queued last, until it ends
    std::map<std::string, std::string> failed_;  // service → the build its rollout failed onto
};

}  // namespace chatiere::manager
