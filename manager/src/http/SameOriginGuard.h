#pragma once

#include "http/Request.h"

#include <string>
#include <vector>

namespace chatiere::manager::http {

// The body types of the JSON API's uploads (a website's content); every other body is JSON.
inline const std::vector<std::string> kUploadBodyTypes = {"application/gzip", "application/x-gzip",
                                                          "application/zip", "application/x-tar",
                                                          "application/octet-stream"};

// What every request shows before its handler runs (the router calls it once a route matched):
// - a request that may change something (not GET or HEAD) and carries the session cookie without
//   a bearer token must come from Chatière's own origin: `Origin` equal to the public URL's
//   origin, or `Sec-Fetch-Site: same-origin`. Neither header present is refused too: browsers
//   send Origin on every cross-site POST and the modern ones Sec-Fetch-Site on every request;
//   scripts use a bearer token. Else 403 `csrf`.
// - a body sent to the JSON API (/api/…) is application/json, or an upload's archive type; a
//   body without a type is refused too. Else 415 `unsupported_media_type`. The forms a page of
//   another site can send without asking (urlencoded, multipart, text/plain) never reach the API.
class SameOriginGuard {
public:
    // `sessionCookie`: the session cookie's name without its __Host- prefix (the request's
    // cookieName() adds it when its cookies are Secure).
    SameOriginGuard(const std::string& publicUrl, std::string sessionCookie);
    void operator()(Request& request) const;

    // "scheme://host[:port]" of `url`, lower-case, the port only when not the scheme's default.
    static std::string originOf(const std::string& url);

private:
    std::string origin_;
    std::string sessionCookie_;
};

}  // namespace chatiere::manager::http
