#include "store/ServiceHealth.h"

#include "store/Services.h"

namespace chatiere::manager {

namespace {

constexpr const char* kIdle =
    "SELECT id FROM services WHERE health != 'unknown' AND NOT (state = 'active' AND suspended_for = '')";
constexpr const char* kForget = "UPDATE services SET health = 'unknown', health_failures = 0 WHERE id = ?";
constexpr const char* kCandidates =
    "SELECT id, association_id, name, template, host_port, health_failures, health, health_checked_at, "
    "(SELECT group_concat(p.name || ':' || p.host_port) FROM service_ports p WHERE p.service_id = "
    "services.id) "
    "FROM services WHERE state = 'active' AND suspended_for = '' AND (host_port IS NOT NULL OR EXISTS "
    "(SELECT 1 FROM service_ports p WHERE p.service_id = services.id))";
constexpr const char* kRecordHealth =
    "UPDATE services SET health = ?, health_failures = ?, health_checked_at = ?, health_detail = ? "
    "WHERE id = ? AND state = 'active'";
constexpr const char* kRecordUptime =
    "INSERT INTO service_uptime_daily (service_id, day, checks, ok) VALUES (?, ?, 1, ?) "
    "ON CONFLICT (service_id, day) DO UPDATE SET checks = checks + 1, ok = ok + excluded.ok";
constexpr const char* kUptime =
    "SELECT day, checks, ok FROM service_uptime_daily WHERE service_id = ? AND day >= ? AND day < ? "
    "ORDER BY day";
constexpr const char* kUptimeByTemplate =
    "SELECT s.template, u.day, SUM(u.checks), SUM(u.ok) FROM service_uptime_daily u "
    "JOIN services s ON s.id = u.service_id WHERE u.day >= ? AND u.day <= ? GROUP BY s.template, u.day";

}  // namespace

std::vector<std::string> ServiceHealthRepository::idleWithHealth() {
    return session_.query(kIdle, [](const Row& r) { return r.text(0); });
}

void ServiceHealthRepository::forget(const std::string& serviceId) {
    session_.execute(kForget, serviceId);
}

std::vector<HealthCandidate> ServiceHealthRepository::candidates() {
    return session_.query(kCandidates, [](const Row& r) {
        HealthCandidate c{r.text(0),
                          r.text(1),
                          r.text(2),
                          r.text(3),
                          static_cast<int>(r.optInteger(4).value_or(0)),
                          static_cast<int>(r.integer(5)),
                          storedState<ServiceHealth>(r.text(6), "services.health"),
                          r.optText(7),
                          {}};
        // name:host_port,… (port names are [a-z0-9_-])
        for (const auto& item : splitReasons(r.optText(8).value_or(""))) {
            const auto colon = item.find(':');
            if (colon != std::string::npos) {
                c.ports[item.substr(0, colon)] = std::stoi(item.substr(colon + 1));
            }
        }
        return c;
    });
}

void ServiceHealthRepository::recordCheck(const std::string& serviceId, ServiceHealth health, int failures,
                                          const std::string& at, const std::optional<std::string>& detail,
                                          const std::string& day, bool ok) {
    session_.execute(kRecordHealth, wireName(health), failures, at, detail, serviceId);
    session_.execute(kRecordUptime, serviceId, day, ok ? 1 : 0);
}

std::vector<ServiceUptimeDay> ServiceHealthRepository::uptime(const std::string& serviceId,
                                                              const std::string& firstDay,
                                                              const std::string& endDay) {
    return session_.query(
        kUptime,
        [](const Row& r) {
            return ServiceUptimeDay{r.text(0), r.integer(1), r.integer(2)};
        },
        serviceId, firstDay, endDay);
}

std::vector<TemplateUptimeDay> ServiceHealthRepository::uptimeByTemplate(const std::string& firstDay,
                                                                         const std::string& lastDay) {
    return session_.query(
        kUptimeByTemplate,
        [](const Row& r) {
            return TemplateUptimeDay{r.text(0), r.text(1), r.integer(2), r.integer(3)};
        },
        firstDay, lastDay);
}

}  // namespace chatiere::manager
