#pragma once

#include "domain/Actor.h"
#include "store/Audit.h"

#include <Poco/JSON/Object.h>
#include "chatiere/manager/Database.h"

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
    // Newest first.
    static std::vector<AuditEntry> list(Session& session, const AuditFilter& filter);
};

}  // namespace chatiere::manager
