#pragma once

#include "chatiere/manager/Database.h"
#include "core/States.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A service whose health is checked: active, not suspended, with a port to probe.
struct HealthCandidate {
    std::string id;
    std::string associationId;
    std::string name;
    std::string templateName;
    int hostPort = 0;
    int failures = 0;
    ServiceHealth health = ServiceHealth::Unknown;
    std::optional<std::string> checkedAt;
    std::map<std::string, int> ports;  // every forwarded port by name (the health check's among them)
};

// The checks of one local day, and how many passed.
struct ServiceUptimeDay {
    std::string day;
    int64_t checks = 0;
    int64_t ok = 0;
};

// The same, for every service of a template.
struct TemplateUptimeDay {
    std::string templateName;
    std::string day;
    int64_t checks = 0;
    int64_t ok = 0;
};

// The health of the services (their `health*` columns) and their daily uptime: what the health
// monitor writes and the usage API and status page read.
class ServiceHealthRepository {
public:
    explicit ServiceHealthRepository(Session& session) : session_(session) {}

    // Services with a known health that are no longer up (suspended, stopped, deleted).
    std::vector<std::string> idleWithHealth();
    // Back to `unknown`, no failures counted.
    void forget(const std::string& serviceId);
    std::vector<HealthCandidate> candidates();
    // One check's outcome: the service's health (if it is still active) and its day's uptime.
    void recordCheck(const std::string& serviceId, ServiceHealth health, int failures, const std::string& at,
                     const std::optional<std::string>& detail, const std::string& day, bool ok);
    // The service's days of [firstDay, endDay), oldest first.
    std::vector<ServiceUptimeDay> uptime(const std::string& serviceId, const std::string& firstDay,
                                         const std::string& endDay);
    // Per template and day over [firstDay, lastDay].
    std::vector<TemplateUptimeDay> uptimeByTemplate(const std::string& firstDay, const std::string& lastDay);

private:
    Session& session_;
};

}  // namespace chatiere::manager
