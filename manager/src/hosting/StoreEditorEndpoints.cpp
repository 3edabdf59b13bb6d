#include "hosting/StoreEditorEndpoints.h"

#include "store/ServiceSecrets.h"
#include "store/Services.h"

namespace chatiere::manager {

std::optional<EditorEndpoint> StoreEditorEndpoints::find(const std::string& serviceId) {
    auto s = db_.session();
    const auto service = ServiceRepository(s).find(serviceId);
    if (!service || service->state == ServiceState::Deleted || !service->hostPort) {
        return std::nullopt;
    }
    auto key = ServiceSecretRepository(s).find(serviceId, "api_key");
    if (!key) {
        return std::nullopt;
    }
    return EditorEndpoint{*service->hostPort, std::move(*key)};
}

}  // namespace chatiere::manager
