#pragma once

#include "chatiere/manager/Database.h"

#include <functional>
#include <optional>
#include <string>

namespace chatiere::manager {

// Secrets Chatière makes for a service and hands to its guest (an editor's API key), by name
// (schema v15). Made once, kept for the service's life, deleted with it. Never logged, never shown
// by the API, never in an audit entry.
class ServiceSecretRepository {
public:
    explicit ServiceSecretRepository(Session& session) : session_(session) {}
    std::optional<std::string> find(const std::string& serviceId, const std::string& name);
    // The secret `name` of the service: the stored one, or a new one from `generator`, stored.
    std::string ensure(const std::string& serviceId, const std::string& name,
                       const std::function<std::string()>& generator, const std::string& at);
    void deleteOf(const std::string& serviceId);

private:
    Session& session_;
};

}  // namespace chatiere::manager
