#pragma once

#include "http/Request.h"

#include <Poco/Net/NameValueCollection.h>

#include <optional>
#include <string>

namespace chatiere::manager::web {

// The pre-session cookie (its name gets the __Host- prefix behind TLS, see http::cookieName).
inline constexpr const char* kCsrfCookie = "chatiere_csrf";
inline constexpr const char* kLanguageCookie = "chatiere_lang";

// Headers on every page: http::addPageSecurityHeaders.
void addSecurityHeaders(Poco::Net::HTTPServerResponse& response);

// The pages' form tokens, bound to who holds them: HMAC-SHA-256, under the server's secret key,
// of the session (the session cookie's value) when signed in, else of a random pre-session
// cookie (chatiere_csrf: HttpOnly, SameSite=Strict, made when absent). A token shown to another
// browser, or to this one before it signed in or after it signed out, is not valid here.
class CsrfTokens {
public:
    explicit CsrfTokens(std::string key) : key_(std::move(key)) {}

    // The token every form carries as the hidden field csrf_token. `session`: the session
    // cookie's value when it names a live session, nullopt otherwise. The pre-session cookie is
    // __Host- prefixed and Secure when the request's cookies are (http::Request::secureCookies).
    std::string token(http::Request& request, const std::optional<std::string>& session) const;
    // True when the form's csrf_token is this browser's token (compared in constant time).
    bool valid(http::Request& request, const std::optional<std::string>& session,
               const Poco::Net::NameValueCollection& form) const;

private:
    std::string bound(const std::string& kind, const std::string& value) const;

    std::string key_;
};

}  // namespace chatiere::manager::web
