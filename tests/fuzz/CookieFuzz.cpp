// A Cookie header into http::Request::cookie, as the session, language and CSRF cookies are read,
// and into web::CsrfTokens, the pages' reader of the pre-session cookie. Any header is accepted:
// an unreadable cookie is just absent.
#include "FakeExchange.h"
#include "http/Request.h"
#include "web/WebSecurity.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

using namespace chatiere::manager;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string header(reinterpret_cast<const char*>(data), size);
    // The server ends a header at its line break.
    header.erase(std::find_if(header.begin(), header.end(), [](char c) { return c == '\r' || c == '\n'; }),
                 header.end());
    chatiere::testing::FakeResponse response;
    chatiere::testing::FakeRequest raw(response, "");
    raw.set("Cookie", header);
    http::Request request(raw, response, {});
    (void)request.cookie("chatiere_session");
    (void)request.cookie(http::cookieName(web::kLanguageCookie, true));
    const web::CsrfTokens tokens("fuzzing key");
    (void)tokens.token(request, std::nullopt);
    Poco::Net::NameValueCollection form;
    form.set("csrf_token", header);
    (void)tokens.valid(request, std::nullopt, form);
    return 0;
}
