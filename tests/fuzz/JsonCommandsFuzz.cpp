// A JSON request body into the API's typed commands: http::Request::jsonBody (type and size
// checks, Poco's parser) and then every parser of api/Commands.h, which read it with JsonFields.
// A bad body throws chatiere::manager::Error (a 4xx), nothing else.
#include "FakeExchange.h"
#include "api/Commands.h"
#include "http/Request.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace chatiere::manager;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    chatiere::testing::FakeResponse response;
    chatiere::testing::FakeRequest raw(response, std::string(reinterpret_cast<const char*>(data), size));
    raw.setContentType("application/json");
    raw.setContentLength(static_cast<std::streamsize>(size));
    http::Request request(raw, response, {});
    Poco::JSON::Object::Ptr body;
    try {
        body = request.jsonBody();
    } catch (const Error&) {
        return 0;
    }
    const auto run = [&body](auto parse) {
        try {
            (void)parse(body);
        } catch (const Error&) {
        }
    };
    run(api::parseCreateService);
    run(api::parseResizeService);
    run(api::parseGrantException);
    run(api::parseAddMember);
    run(api::parseInvite);
    run(api::parseNewAccount);
    run(api::parseSubscribe);
    run(api::parseChangeSubscription);
    run(api::parseRecordPayment);
    run(api::parseIssueCreditNote);
    run(api::parseSignup);
    run(api::parseUpdateIdentity);
    run(api::parsePlanDefinition);
    run(api::parseNewMailbox);
    run(api::parseMailboxChange);
    run(api::parseNewAlias);
    return 0;
}
