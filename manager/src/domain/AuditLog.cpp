#include "domain/AuditLog.h"

#include "chatiere/manager/Error.h"
#include "domain/Access.h"
#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include <sstream>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

void AuditLog::record(Session& session, const Actor& actor, const std::string& at,
                      const std::string& action, const std::string& targetType, const std::string& targetId,
                      const std::optional<std::string>& associationId, const Poco::JSON::Object& details) {
    std::ostringstream json;
    details.stringify(json);
    session
        << "INSERT INTO audit_log (at, actor_user_id, actor, client_address, action, target_type, target_id, "
           "association_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(at), bind(nullable(actor.userId)), bind(actor.label), bind(actor.clientAddress), bind(action),
        bind(targetType), bind(targetId), bind(nullable(associationId)), bind(json.str()), now;
}

std::vector<AuditEntry> AuditLog::list(Session& session, const AuditFilter& filter) {
    const std::string association = filter.associationId.value_or("");
    const std::string action = filter.action.value_or("");
    const std::string actor = filter.actorUserId.value_or("");
    const std::string label = filter.actorLabel.value_or("");
    const std::string since = filter.since.value_or("");
    const std::string until = filter.until.value_or("");
    const int64_t before = filter.before.value_or(INT64_MAX);
    const int limit = filter.limit;
    Poco::Data::Statement select(session);
    select << "SELECT id, at, actor_user_id, actor, client_address, action, target_type, target_id, "
              "association_id, "
              "details FROM audit_log WHERE id < ? AND (? = '' OR association_id = ?) "
              "AND (? = '' OR substr(action, 1, length(?)) = ?) AND (? = '' OR actor_user_id = ?) "
              "AND (? = '' OR actor = ?) AND (? = '' OR at >= ?) AND (? = '' OR at < ?) "
              "ORDER BY id DESC LIMIT ?",
        bind(before), bind(association), bind(association), bind(action), bind(action), bind(action),
        bind(actor), bind(actor), bind(label), bind(label), bind(since), bind(since), bind(until),
        bind(until), bind(limit);
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<AuditEntry> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        AuditEntry e;
        e.id = integer(rs, "id");
        e.at = text(rs, "at");
        e.actorUserId = optText(rs, "actor_user_id");
        e.actor = text(rs, "actor");
        e.clientAddress = text(rs, "client_address");
        e.action = text(rs, "action");
        e.targetType = text(rs, "target_type");
        e.targetId = text(rs, "target_id");
        e.associationId = optText(rs, "association_id");
        e.details = text(rs, "details");
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<AuditEntry> AuditQuery::list(const Actor& actor, const AuditFilter& filter) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    if (decide(actor.staffRole, std::nullopt, Permission::ViewAudit) != Decision::Allow) {
        throw Error::forbidden("This is reserved to the host's staff.");
    }
    auto s = db_.session();
    return AuditLog::list(s, filter);
}

}  // namespace chatiere::manager
