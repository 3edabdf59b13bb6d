#include "store/ServiceSecrets.h"

namespace chatiere::manager {

namespace {

constexpr const char* kFind = "SELECT value FROM service_secrets WHERE service_id = ? AND name = ?";
// Two writers asking at once: the first one's value stays, both read it back.
constexpr const char* kInsert =
    "INSERT OR IGNORE INTO service_secrets (service_id, name, value, created_at) VALUES (?, ?, ?, ?)";
constexpr const char* kDeleteOf = "DELETE FROM service_secrets WHERE service_id = ?";

}  // namespace

std::optional<std::string> ServiceSecretRepository::find(const std::string& serviceId,
                                                         const std::string& name) {
    return session_.text(kFind, serviceId, name);
}

std::string ServiceSecretRepository::ensure(const std::string& serviceId, const std::string& name,
                                            const std::function<std::string()>& generator,
                                            const std::string& at) {
    if (auto existing = find(serviceId, name)) {
        return *existing;
    }
    session_.execute(kInsert, serviceId, name, generator(), at);
    return find(serviceId, name).value_or("");
}

void ServiceSecretRepository::deleteOf(const std::string& serviceId) {
    session_.execute(kDeleteOf, serviceId);
}

}  // namespace chatiere::manager
