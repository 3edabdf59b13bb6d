#pragma once

#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/base/Clock.h"
#include "monitoring/HealthMonitor.h"

#include <Poco/JSON/Object.h>

#include <functional>
#include <string>

namespace chatiere::manager {

// The server at a glance, for the admin volunteer: the host (CPUs and load, memory, the storage
// pool's space) against what the services were given, the guests by state, the job queue, the
// mail outbox, the sign-ups waiting, the overdue invoices and the open alerts.
class ServerOverview {
public:
    ServerOverview(Database& db, base::Clock& clock, const Calendar& calendar,
                   std::function<HostHealth()> host, std::string loadavgPath = "/proc/loadavg");

    // {"at", "host": {…}, "allocated": {…}, "services": {…}, "jobs": {…}, "outbox": {…},
    //  "associations": {…}, "invoices": {…}, "alerts": [...]}
    Poco::JSON::Object overview();

private:
    Database& db_;
    base::Clock& clock_;
    const Calendar& calendar_;
    std::function<HostHealth()> host_;
    std::string loadavgPath_;
};

}  // namespace chatiere::manager
