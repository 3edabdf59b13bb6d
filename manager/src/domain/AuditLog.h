#pragma once

#include "chatiere/manager/Database.h"
#include "domain/Actor.h"
#include "store/Audit.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// Who did what, when, from where. Written in the same transaction as the change it records.
class AuditLog {
public:
    static void record(Session& session, const Actor& actor, const std::string& at, const std::string& action,
                       const std::string& targetType, const std::string& targetId,
                       const std::optional<std::string>& associationId,
                       const Poco::JSON::Object& details = Poco::JSON::Object());
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
