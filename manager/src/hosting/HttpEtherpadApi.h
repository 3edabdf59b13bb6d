#pragma once

#include "hosting/EtherpadApi.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <utility>

namespace chatiere::manager {

// EtherpadApi over HTTP to 127.0.0.1:<host port> (Poco's HTTPClientSession): GET
// /api/1.2.15/<fn>?apikey=…&padID=…, except createPad, whose text may be long: a POST with the
// same fields as a form body. The API key is a query parameter, so no URL of a call is ever
// logged or put in an error message. Each call waits at most `timeout` (connect, send, receive).
class HttpEtherpadApi : public EtherpadApi {
public:
    explicit HttpEtherpadApi(std::chrono::milliseconds timeout = std::chrono::seconds(5));

    std::vector<std::string> listAllPads(const EditorEndpoint& at) override;
    int64_t getLastEdited(const EditorEndpoint& at, const std::string& pad) override;
    int64_t getRevisionsCount(const EditorEndpoint& at, const std::string& pad) override;
    void createPad(const EditorEndpoint& at, const std::string& pad,
                   const std::optional<std::string>& text) override;
    void deletePad(const EditorEndpoint& at, const std::string& pad) override;
    std::string getText(const EditorEndpoint& at, const std::string& pad) override;
    std::string getHTML(const EditorEndpoint& at, const std::string& pad) override;

private:
    using Fields = std::vector<std::pair<std::string, std::string>>;
    // The reply's `data` (an empty object when null) once `code` is 0; throws otherwise.
    Poco::JSON::Object::Ptr call(const EditorEndpoint& at, const std::string& function, const Fields& fields,
                                 bool post = false);

    std::chrono::milliseconds timeout_;
};

}  // namespace chatiere::manager
