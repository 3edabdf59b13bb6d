#pragma once

#include "http/Request.h"

#include <Poco/Net/NameValueCollection.h>

#include <string>

namespace chatiere::manager::web {

inline constexpr const char* kCsrfCookie = "chatiere_csrf";
inline constexpr const char* kLanguageCookie = "chatiere_lang";

// Headers on every page: a Content-Security-Policy without inline script or style (everything
// from this origin, no frames), nosniff, no referrer leaving the site.
void addSecurityHeaders(Poco::Net::HTTPServerResponse& response);

// The browser's form token (double-submit): the chatiere_csrf cookie (HttpOnly, SameSite=Strict,
// Secure behind TLS), made when absent. Every form carries it as the hidden field csrf_token.
std::string csrfToken(http::Request& request, bool secure);
// True when the form's csrf_token equals the cookie (compared in constant time).
bool csrfValid(http::Request& request, const Poco::Net::NameValueCollection& form);

}  // namespace chatiere::manager::web
