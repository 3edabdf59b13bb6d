#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "chatiere/provisioning/Jobs.h"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace chatiere::provisioning {

// A service as the database wants it, for the reconciler.
struct DesiredService {
    ServiceSpec spec;
    std::string state;              // only `active` services are compared with libvirt
    bool hasUnfinishedJob = false;  // then the job owns the service for now
};

// What the reconciler reads and asks of the manager.
class ReconcileSource {
public:
    virtual ~ReconcileSource() = default;
    virtual std::vector<DesiredService> desiredServices() = 0;
    // Queues a job to bring the service back to what it should be, with an audit entry.
    virtual void enqueueRepair(const std::string& serviceId, JobKind kind, const std::string& reason) = 0;
    virtual void auditGuest(const std::string& guestName, const std::string& action,
                            const std::string& detail) = 0;
};

// Compares the database's desired state with libvirt's, and repairs the drift: a guest deleted or
// stopped by hand is recreated from its data volume, or started; a guest that runs while
// suspended is paused. A service's data volume that is not its current one (left by a content
// replacement) is deleted once no job runs for the service. An owned guest that no service wants is reported,
// then removed once it has been an orphan for the grace period. Guests of other installations are never
// looked at.
class Reconciler {
public:
    Reconciler(Hypervisor& hypervisor, GuestBuilder& builder, ReconcileSource& source, base::Clock& clock,
               Poco::Logger& logger, std::chrono::seconds orphanGrace);

    struct Report {
        int repairs = 0;
        std::vector<std::string> orphans;  // seen this pass
        int orphansRemoved = 0;
        int leftoverVolumesRemoved = 0;  // a service's volumes that are not its current one
    };
    Report runOnce();

private:
    Hypervisor& hypervisor_;
    GuestBuilder& builder_;
    ReconcileSource& source_;
    base::Clock& clock_;
    Poco::Logger& logger_;
    std::chrono::seconds orphanGrace_;
    std::map<std::string, base::Clock::TimePoint> orphanSince_;  // guest name → first seen without a service
};

}  // namespace chatiere::provisioning
