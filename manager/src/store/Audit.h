#pragma once

#include "chatiere/manager/Database.h"

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

// The audit_log table: appended to, read newest first.
class AuditRepository {
public:
    explicit AuditRepository(Session& session) : session_(session) {}
    void insert(const AuditEntry& entry);
    std::vector<AuditEntry> list(const AuditFilter& filter);

private:
    Session& session_;
};

}  // namespace chatiere::manager
