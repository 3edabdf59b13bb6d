#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// Where an editor service's Etherpad answers on the host: the 127.0.0.1 port forwarded to its
// "http" port, and the API key Chatière generated for it (a secret: never logged, never shown).
// `deadline`, for a caller that may not wait long (the dashboard): no call waits past it, and a
// call made after it fails at once as a call that got no answer in time.
struct EditorEndpoint {
    int hostPort = 0;
    std::string apiKey;
    std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt;
};

// Finds an editor service's endpoint; nullopt when it has none (yet). The daemon's implementation
// reads the service's ports and secrets; tests use a fake.
class EditorEndpoints {
public:
    virtual ~EditorEndpoints() = default;
    virtual std::optional<EditorEndpoint> find(const std::string& serviceId) = 0;
};

// Etherpad 1.8.14's HTTP API (version 1.2.15) at one endpoint. Every call throws a manager::Error:
// 503 `service_unavailable` when Etherpad cannot be reached in time, answers something that is not
// its JSON, or says code 2 (internal error), 3 (no such function) or 4 (no or wrong API key);
// createPad on an existing pad 409 `pad_exists`; a call on a missing pad 404 `pad_not_found`.
class EtherpadApi {
public:
    virtual ~EtherpadApi() = default;
    virtual std::vector<std::string> listAllPads(const EditorEndpoint& at) = 0;
    // Milliseconds since the epoch.
    virtual int64_t getLastEdited(const EditorEndpoint& at, const std::string& pad) = 0;
    virtual int64_t getRevisionsCount(const EditorEndpoint& at, const std::string& pad) = 0;
    // Without text, Etherpad's default pad text (the template's, naming the association).
    virtual void createPad(const EditorEndpoint& at, const std::string& pad,
                           const std::optional<std::string>& text) = 0;
    virtual void deletePad(const EditorEndpoint& at, const std::string& pad) = 0;
    virtual std::string getText(const EditorEndpoint& at, const std::string& pad) = 0;
    virtual std::string getHTML(const EditorEndpoint& at, const std::string& pad) = 0;
};

}  // namespace chatiere::manager
