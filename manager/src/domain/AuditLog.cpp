#include "domain/AuditLog.h"

#include "chatiere/manager/Error.h"
#include "domain/Access.h"

#include <sstream>

namespace chatiere::manager {

void AuditLog::record(Session& session, const Actor& actor, const std::string& at, const std::string& action,
                      const std::string& targetType, const std::string& targetId,
                      const std::optional<std::string>& associationId, const Poco::JSON::Object& details) {
    std::ostringstream json;
    details.stringify(json);
    AuditEntry e;
    e.at = at;
    e.actorUserId = actor.userId;
    e.actor = actor.label;
    e.clientAddress = actor.clientAddress;
    e.action = action;
    e.targetType = targetType;
    e.targetId = targetId;
    e.associationId = associationId;
    e.details = json.str();
    AuditRepository(session).insert(e);
}

std::vector<AuditEntry> AuditQuery::list(const Actor& actor, const AuditFilter& filter) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    if (decide(actor.staffRole, std::nullopt, Permission::ViewAudit) != Decision::Allow) {
        throw Error::forbidden("This is reserved to the host's staff.");
    }
    auto s = db_.session();
    return AuditRepository(s).list(filter);
}

}  // namespace chatiere::manager
