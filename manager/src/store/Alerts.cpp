#include "store/Alerts.h"

namespace chatiere::manager {

namespace {

constexpr const char* kIsOpen = "SELECT COUNT(*) FROM alerts WHERE key = ? AND closed_at IS NULL";
constexpr const char* kUpdate =
    "UPDATE alerts SET message = ?, severity = ?, updated_at = ? WHERE key = ? AND closed_at IS NULL";
constexpr const char* kInsert =
    "INSERT INTO alerts (key, kind, severity, association_id, service_id, message, opened_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kResolve =
    "UPDATE alerts SET closed_at = ?, updated_at = ? WHERE key = ? AND closed_at IS NULL";
constexpr const char* kListOpen =
    "SELECT id, key, kind, severity, association_id, service_id, message, opened_at, updated_at, closed_at "
    "FROM alerts WHERE closed_at IS NULL ORDER BY closed_at IS NOT NULL, id DESC LIMIT ?";
constexpr const char* kListAll =
    "SELECT id, key, kind, severity, association_id, service_id, message, opened_at, updated_at, closed_at "
    "FROM alerts ORDER BY closed_at IS NOT NULL, id DESC LIMIT ?";
constexpr const char* kOpenCount = "SELECT COUNT(*) FROM alerts WHERE closed_at IS NULL";
constexpr const char* kOpenByKind = "SELECT kind, COUNT(*) FROM alerts WHERE closed_at IS NULL GROUP BY kind";
constexpr const char* kIncidents =
    "SELECT a.kind, a.severity, a.opened_at, a.closed_at, s.template FROM alerts a "
    "LEFT JOIN services s ON s.id = a.service_id "
    "WHERE a.kind IN ('health', 'host') AND (a.opened_at >= ? OR a.closed_at IS NULL) "
    "ORDER BY a.opened_at DESC, a.id DESC LIMIT ?";

Alert alertFrom(const Row& r) {
    return Alert{r.integer(0), r.text(1), r.text(2), r.text(3), r.optText(4),
                 r.optText(5), r.text(6), r.text(7), r.text(8), r.optText(9)};
}

}  // namespace

bool AlertBook::raise(const Alert& alert, const std::string& at) {
    if (session_.integer(kIsOpen, alert.key).value_or(0) > 0) {
        session_.execute(kUpdate, alert.message, alert.severity, at, alert.key);
        return false;
    }
    session_.execute(kInsert, alert.key, alert.kind, alert.severity, alert.associationId, alert.serviceId,
                     alert.message, at, at);
    return true;
}

bool AlertBook::resolve(const std::string& key, const std::string& at) {
    return session_.execute(kResolve, at, at, key) > 0;
}

std::vector<Alert> AlertBook::list(bool includeClosed, int limit) {
    return session_.query(includeClosed ? kListAll : kListOpen, alertFrom, limit);
}

int AlertBook::openCount() {
    return static_cast<int>(session_.integer(kOpenCount).value_or(0));
}

std::map<std::string, int> AlertBook::openByKind() {
    std::map<std::string, int> out;
    session_.each(kOpenByKind, [&out](const Row& r) { out[r.text(0)] = static_cast<int>(r.integer(1)); });
    return out;
}

std::vector<AlertIncident> AlertBook::incidents(const std::string& since, int limit) {
    return session_.query(
        kIncidents,
        [](const Row& r) {
            return AlertIncident{r.text(0), r.text(1), r.text(2), r.optText(3), r.optText(4)};
        },
        since, limit);
}

}  // namespace chatiere::manager
