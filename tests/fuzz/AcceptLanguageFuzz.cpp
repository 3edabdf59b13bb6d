// An Accept-Language header and a request URI into http::languageOf, which every API answer in
// words asks (the pages ask it through Pages::language). The input is the header, then after a
// line break the URI's query (?lang=...). A bad URI throws chatiere::manager::Error (400).
#include "FakeExchange.h"
#include "http/Request.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace chatiere::manager;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const std::string header = input.substr(0, newline);
    const std::string query = newline == std::string::npos ? "" : input.substr(newline + 1);
    if (header.find('\r') != std::string::npos || query.find_first_of("\r\n ") != std::string::npos) {
        return 0;  // the server ends a header, and the request line, there
    }
    chatiere::testing::FakeResponse response;
    chatiere::testing::FakeRequest raw(response, "");
    raw.set("Accept-Language", header);
    raw.setURI("/api/v1/status?" + query);
    try {
        http::Request request(raw, response, {});
        const std::string language = http::languageOf(request);
        if (language != "fr" && language != "en") {
            std::abort();
        }
    } catch (const Error&) {
    }
    return 0;
}
