#pragma once

#include "chatiere/manager/Database.h"
#include "hosting/EtherpadApi.h"

namespace chatiere::manager {

// The daemon's EditorEndpoints over the store: a live service's host port (its HTTP endpoint's,
// which services.host_port keeps) and the API key generated for it at create (the `api_key` of
// store/ServiceSecrets, the one the guest was handed through its agent).
class StoreEditorEndpoints : public EditorEndpoints {
public:
    explicit StoreEditorEndpoints(Database& db) : db_(db) {}
    std::optional<EditorEndpoint> find(const std::string& serviceId) override;

private:
    Database& db_;
};

}  // namespace chatiere::manager
