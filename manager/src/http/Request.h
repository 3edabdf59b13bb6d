#pragma once

#include "chatiere/manager/Error.h"
#include "http/TrustedProxies.h"

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager::http {

inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

// What the server knows before it reads any request: whose X-Forwarded-For / -Proto to believe
// (http.trusted_proxies), and whether public.url is https (then a TLS terminator stands in front
// of every request, and cookies are Secure whatever the proxy says).
struct Transport {
    TrustedProxies trustedProxies;
    bool publicHttps = false;
};

// One API request as handlers see it: the path parameters, the client's address, the body
// (checked for type and size before it is parsed) and a way to answer in JSON.
class Request {
public:
    // A query that cannot be decoded throws Error "bad_uri" (400).
    Request(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
            std::map<std::string, std::string> params, const Transport& transport = Transport());

    Poco::Net::HTTPServerRequest& raw() { return request_; }
    Poco::Net::HTTPServerResponse& response() { return response_; }
    const std::string& param(const std::string& name) const;
    std::optional<std::string> query(const std::string& name) const;
    // The client's address: the TCP peer's, or from a trusted proxy the one it forwarded
    // (TrustedProxies::clientOf). Login throttling, the audit log, sessions and /metrics' allowed
    // addresses all read it here; nothing else reads the peer's address.
    const std::string& clientAddress() const { return clientAddress_; }
    // "https" or "http": what the client used (from a trusted proxy, X-Forwarded-Proto).
    const std::string& scheme() const { return scheme_; }
    // The one place that decides whether cookies are Secure and named with the __Host- prefix
    // (cookieName()): when the client used HTTPS, or public.url is https.
    bool secureCookies() const { return secureCookies_; }
    std::optional<std::string> header(const std::string& name) const;
    std::optional<std::string> cookie(const std::string& name) const;

    // The body as a JSON object: 415 unless Content-Type is application/json, 413 past 1 MiB
    // (refused from Content-Length before reading), 400 when it is not a JSON object.
    Poco::JSON::Object::Ptr jsonBody();
    // The raw body, refused with 413 past `limit` bytes (from Content-Length before reading, or
    // while counting a chunked body), 415 unless its type is one of `types`.
    std::string rawBody(std::size_t limit, const std::vector<std::string>& types);

    // A cookie for the whole site (Path=/, no Domain): HttpOnly, SameSite Lax (Strict when
    // `strict`), Secure when secureCookies(); maxAge -1 for the browser's session, 0 to delete it.
    // Name it with cookieName(name, secureCookies()) so that it gets the __Host- prefix behind TLS.
    void setCookie(const std::string& name, const std::string& value, int maxAge, bool strict = false);
    void sendJson(int status, const Poco::JSON::Object& body);
    void sendNoContent();
    // An HTML answer (text/html) also gets the pages' security headers, unless the handler set its
    // own Content-Security-Policy.
    void sendText(int status, const std::string& contentType, const std::string& body);
    bool answered() const { return answered_; }

private:
    std::string readBodyLimited(std::size_t limit);

    Poco::Net::HTTPServerRequest& request_;
    Poco::Net::HTTPServerResponse& response_;
    std::map<std::string, std::string> params_;
    std::map<std::string, std::string> query_;
    std::string clientAddress_;
    std::string scheme_;
    bool secureCookies_ = false;
    bool answered_ = false;
};

// `name` with the __Host- prefix when `secure`: the browser then keeps it only when it came over
// TLS, for Path=/ and without Domain, so that no sibling host can set or shadow it.
std::string cookieName(const std::string& name, bool secure);
// "fr" unless the request prefers English (Accept-Language) or names a language (?lang=).
std::string languageOf(Request& request);

// The headers of every HTML answer: a Content-Security-Policy without inline script or style
// (everything from this origin, no frames) but the `inlineStyles` named by their hash (a page
// that carries its own style), nosniff, no referrer leaving the site, no caching.
void addPageSecurityHeaders(Poco::Net::HTTPServerResponse& response,
                            const std::vector<std::string>& inlineStyles = {});

// Sends {"error": {"code", "message", "fields"?}} with the status of the error's kind.
void sendError(Poco::Net::HTTPServerResponse& response, const Error& error);

}  // namespace chatiere::manager::http
