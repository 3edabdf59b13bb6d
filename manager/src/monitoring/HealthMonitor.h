#pragma once

#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/base/Clock.h"
#include "chatiere/provisioning/HealthProbe.h"
#include "chatiere/provisioning/Hypervisor.h"
#include "chatiere/templates/Catalogue.h"

#include <mutex>
#include <optional>
#include <string>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

struct HealthSettings {
    int failuresForDegraded = 3;     // K checks failed in a row → degraded
    int intervalSeconds = 0;         // 0: each template's own health interval
    int poolFreeAlertPercent = 10;   // the storage pool's free space under this → alert
    int memoryFreeAlertPercent = 5;  // the host's available memory under this → alert
    std::string pool;
    std::string meminfoPath = "/proc/meminfo";
};

struct HealthReport {
    int checked = 0;
    int failed = 0;
    int degraded = 0;   // became degraded this pass
    int recovered = 0;  // became healthy again this pass
};

// The host as last checked: libvirtd reachable, the storage pool's space, the memory left.
struct HostHealth {
    std::string checkedAt;
    bool libvirtReachable = false;
    std::optional<provisioning::PoolInfo> pool;
    uint64_t memoryTotalKib = 0;
    uint64_t memoryAvailableKib = 0;
};

// Each active, running service's health check on its own interval; health is its own field
// (`unknown`, `ok`, `degraded`), apart from the lifecycle state. K failures in a row make a service
// degraded and open an alert; the first success closes it. Every check counts in the service's
// uptime of that local day. The host is checked on each pass too.
class HealthMonitor {
public:
    HealthMonitor(Database& db, provisioning::Hypervisor& hypervisor, provisioning::HealthProbe& probe,
                  const templates::Catalogue& catalogue, const Calendar& calendar, base::Clock& clock,
                  Poco::Logger& logger, HealthSettings settings);

    // Checks the services whose check is due.
    HealthReport checkDue();
    HostHealth checkHost();
    HostHealth lastHost();

private:
    Database& db_;
    provisioning::Hypervisor& hypervisor_;
    provisioning::HealthProbe& probe_;
    const templates::Catalogue& catalogue_;
    const Calendar& calendar_;
    base::Clock& clock_;
    Poco::Logger& logger_;
    HealthSettings settings_;
    std::mutex mutex_;
    HostHealth host_;
};

}  // namespace chatiere::manager
