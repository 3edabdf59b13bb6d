#pragma once

#include "chatiere/manager/Database.h"
#include "hosting/EtherpadApi.h"

namespace chatiere::manager {

// The daemon's EditorEndpoints over the store: a live service's host port.
// The API key: this tree has no store of service secrets yet (issue 17's service_secrets, another
// part): until it is wired here, the key is empty and Etherpad refuses (code 4 → 503
// service_unavailable). Nothing is created without the key.
class StoreEditorEndpoints : public EditorEndpoints {
public:
    explicit StoreEditorEndpoints(Database& db) : db_(db) {}
    std::optional<EditorEndpoint> find(const std::string& serviceId) override;

private:
    Database& db_;
};

}  // namespace chatiere::manager
