#pragma once

#include "chatiere/manager/Database.h"
#include "domain/Actor.h"

#include "chatiere/manager/Database.h"
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

struct AuditEntry {
    int64_t id = 0;
    std::string at;
    std::optional<std::string> actorUserId;
    std::string actor;
    std::string clientAddress;
    std::string action;      // "association.approve", "user.login_failed", …
    std::string targetType;  // "association", "user", "plan", …
    std::string targetId;
    std::optional<std::string> associationId;
    std::string details = "{}";  // JSON object
};

struct AuditFilter {
    std::optional<std::string> associationId;
    std::optional<std::string> action;  // prefix match: "association." matches every association action
    std::optional<std::string> actorUserId;
    std::optional<std::string> actorLabel;  // who, as written in the entry (an e-mail address, "billing"…)
    std::optional<std::string> since;       // "YYYY-MM-DD" (UTC), included
    std::optional<std::string> until;       // "YYYY-MM-DD" (UTC), excluded
    std::optional<int64_t> before;          // cursor: entries with a smaller id
    int limit = 50;
};

// Who did what, when, from where. Written in the same transaction as the change it records.
class AuditLog {
public:
    static void record(Session& session, const Actor& actor, const std::string& at,
                       const std::string& action, const std::string& targetType, const std::string& targetId,
                       const std::optional<std::string>& associationId,
                       const Poco::JSON::Object& details = Poco::JSON::Object());
    // Newest first.
    static std::vector<AuditEntry> list(Session& session, const AuditFilter& filter);
};

// The audit log as the staff reads it (the API and the admin console): the entries of a filter,
// newest first, for who may see them (401 for anyone anonymous, 403 for anyone but the staff
// with Permission::ViewAudit).
class AuditQuery {
public:
    explicit AuditQuery(Database& db) : db_(db) {}
    std::vector<AuditEntry> list(const Actor& actor, const AuditFilter& filter);

private:
    Database& db_;
};

}  // namespace chatiere::manager
