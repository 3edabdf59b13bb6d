#pragma once

#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/base/Clock.h"
#include "monitoring/HealthMonitor.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chatiere::manager {

// Counts by name (a state, a status), in the order they are shown; every expected name is there.
using Counts = std::vector<std::pair<std::string, int64_t>>;

// The storage pool's space, in GiB.
struct PoolSpace {
    double capacityGib = 0;
    double usedGib = 0;
    double availableGib = 0;
};

struct HostOverview {
    std::optional<std::string> checkedAt;  // nullopt before the first check of the host
    bool libvirtReachable = false;
    int cpus = 0;
    std::vector<double> load;  // 1, 5 and 15 minutes; empty when unknown
    int64_t memoryTotalMib = 0;
    int64_t memoryAvailableMib = 0;
    std::optional<PoolSpace> disk;
};

// The server at a glance (ServerOverview::overview).
struct Overview {
    std::string at;
    HostOverview host;
    int64_t allocatedVcpus = 0;  // what the services were given
    int64_t allocatedMemoryMib = 0;
    int64_t allocatedDiskGib = 0;
    Counts services;  // by state, then `suspended`
    int64_t jobsPending = 0;
    int64_t jobsFailed24h = 0;
    std::optional<std::string> oldestPendingJobAt;
    Counts outbox;        // pending, failed
    Counts associations;  // by status
    int64_t invoiceDrafts = 0;
    int64_t invoicesOverdue = 0;
    int64_t openAlerts = 0;
};

// The server at a glance, for the admin volunteer: the host (CPUs and load, memory, the storage
// pool's space) against what the services were given, the guests by state, the job queue, the
// mail outbox, the sign-ups waiting, the overdue invoices and the open alerts.
class ServerOverview {
public:
    ServerOverview(Database& db, base::Clock& clock, const Calendar& calendar,
                   std::function<HostHealth()> host, std::string loadavgPath = "/proc/loadavg");

    Overview overview();

private:
    Database& db_;
    base::Clock& clock_;
    const Calendar& calendar_;
    std::function<HostHealth()> host_;
    std::string loadavgPath_;
};

}  // namespace chatiere::manager
