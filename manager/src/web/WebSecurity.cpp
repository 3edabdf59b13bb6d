#include "web/WebSecurity.h"

#include "chatiere/manager/Secrets.h"

namespace chatiere::manager::web {

void addSecurityHeaders(Poco::Net::HTTPServerResponse& response) {
    http::addPageSecurityHeaders(response);
}

std::string CsrfTokens::bound(const std::string& kind, const std::string& value) const {
    // The kind keeps a session's token from ever equalling a pre-session cookie's.
    return base64Url(hmacSha256(key_, kind + ":" + value));
}

std::string CsrfTokens::token(http::Request& request, const std::optional<std::string>& session) const {
    if (session) {
        return bound("session", *session);
    }
    const std::string name = http::cookieName(kCsrfCookie, request.secureCookies());
    if (const auto existing = request.cookie(name); existing && existing->size() >= 32) {
        return bound("browser", *existing);
    }
    const std::string browser = newSecretToken();
    request.setCookie(name, browser, -1, /*strict=*/true);
    return bound("browser", browser);
}

bool CsrfTokens::valid(http::Request& request, const std::optional<std::string>& session,
                       const Poco::Net::NameValueCollection& form) const {
    const std::string sent = form.get("csrf_token", "");
    if (session) {
        return constantTimeEquals(bound("session", *session), sent);
    }
    const auto browser = request.cookie(http::cookieName(kCsrfCookie, request.secureCookies()));
    return browser && browser->size() >= 32 && constantTimeEquals(bound("browser", *browser), sent);
}

}  // namespace chatiere::manager::web
