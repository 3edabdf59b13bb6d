#include "web/WebSecurity.h"

#include "chatiere/manager/Secrets.h"

namespace chatiere::manager::web {

void addSecurityHeaders(Poco::Net::HTTPServerResponse& response) {
    response.set("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                 "form-action 'self'; frame-ancestors 'none'");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "same-origin");
    response.set("X-Frame-Options", "DENY");
    response.set("Cache-Control", "no-store");
}

std::string csrfToken(http::Request& request, bool secure) {
    if (const auto existing = request.cookie(kCsrfCookie); existing && existing->size() >= 32) {
        return *existing;
    }
    const std::string token = newSecretToken();
    request.setCookie(kCsrfCookie, token, -1, secure, /*strict=*/true);
    return token;
}

bool csrfValid(http::Request& request, const Poco::Net::NameValueCollection& form) {
    const auto cookie = request.cookie(kCsrfCookie);
    const std::string sent = form.get("csrf_token", "");
    return cookie && cookie->size() >= 32 && constantTimeEquals(*cookie, sent);
}

}  // namespace chatiere::manager::web
