#include "store/Audit.h"

#include <cstdint>

namespace chatiere::manager {

namespace {

AuditEntry auditEntryFrom(const Row& r) {
    AuditEntry e;
    e.id = r.integer(0);
    e.at = r.text(1);
    e.actorUserId = r.optText(2);
    e.actor = r.text(3);
    e.clientAddress = r.text(4);
    e.action = r.text(5);
    e.targetType = r.text(6);
    e.targetId = r.text(7);
    e.associationId = r.optText(8);
    e.details = r.text(9);
    return e;
}

// An empty filter value filters nothing, as an absent one.
std::optional<std::string> filterValue(const std::optional<std::string>& v) {
    return v && !v->empty() ? v : std::nullopt;
}

}  // namespace

void AuditRepository::insert(const AuditEntry& e) {
    session_.execute(
        "INSERT INTO audit_log (at, actor_user_id, actor, client_address, action, target_type, target_id, "
        "association_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e.at, e.actorUserId, e.actor, e.clientAddress, e.action, e.targetType, e.targetId, e.associationId,
        e.details);
}

std::vector<AuditEntry> AuditRepository::list(const AuditFilter& filter) {
    return session_.query(
        "SELECT id, at, actor_user_id, actor, client_address, action, target_type, target_id, "
        "association_id, "
        "details FROM audit_log WHERE id < ?1 AND (?2 IS NULL OR association_id = ?2) "
        "AND (?3 IS NULL OR substr(action, 1, length(?3)) = ?3) AND (?4 IS NULL OR actor_user_id = ?4) "
        "AND (?5 IS NULL OR actor = ?5) AND (?6 IS NULL OR at >= ?6) AND (?7 IS NULL OR at < ?7) "
        "ORDER BY id DESC LIMIT ?8",
        auditEntryFrom, filter.before.value_or(INT64_MAX), filterValue(filter.associationId),
        filterValue(filter.action), filterValue(filter.actorUserId), filterValue(filter.actorLabel),
        filterValue(filter.since), filterValue(filter.until), filter.limit);
}

}  // namespace chatiere::manager
