#include "hosting/StoreEditorEndpoints.h"

#include "store/Services.h"

namespace chatiere::manager {

std::optional<EditorEndpoint> StoreEditorEndpoints::find(const std::string& serviceId) {
    auto s = db_.session();
    const auto service = ServiceRepository(s).find(serviceId);
    if (!service || service->state == ServiceState::Deleted || !service->hostPort) {
        return std::nullopt;
    }
    return EditorEndpoint{*service->hostPort, ""};
}

}  // namespace chatiere::manager
