#include "http/SameOriginGuard.h"

#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace chatiere::manager::http {

SameOriginGuard::SameOriginGuard(const std::string& publicUrl, std::string sessionCookie)
    : origin_(originOf(publicUrl)), sessionCookie_(std::move(sessionCookie)) {}

std::string SameOriginGuard::originOf(const std::string& url) {
    try {
        const Poco::URI uri(url);
        if (uri.getScheme().empty() || uri.getHost().empty()) {
            return "";
        }
        const std::string scheme = Poco::toLower(uri.getScheme());
        const std::string host = Poco::toLower(uri.getHost());
        std::string origin = scheme + "://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
        const unsigned short port = uri.getSpecifiedPort();
        const unsigned short standard = scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
        if (port != 0 && port != standard) {
            origin += ":" + std::to_string(port);
        }
        return origin;
    } catch (const Poco::SyntaxException&) {
        return "";
    }
}

void SameOriginGuard::operator()(Request& request) const {
    auto& raw = request.raw();
    const std::string& method = raw.getMethod();
    if (method == "GET" || method == "HEAD") {
        return;
    }
    if (request.cookie(cookieName(sessionCookie_, request.secureCookies())) &&
        !request.header("Authorization")) {
        const auto site = request.header("Sec-Fetch-Site");
        const auto origin = request.header("Origin");
        const bool sameOrigin = (site && Poco::toLower(*site) == "same-origin") ||
                                (origin && !origin_.empty() && Poco::toLower(*origin) == origin_);
        if (!sameOrigin) {
            throw Error(ErrorKind::Forbidden, "csrf",
                        "A request signed in with the session cookie must come from Chatière's own pages "
                        "(Origin " +
                            origin_ + " or Sec-Fetch-Site: same-origin); scripts use a bearer token.");
        }
    }
    const std::string path = Poco::URI(raw.getURI()).getPath();
    if (path.rfind("/api/", 0) != 0) {
        return;
    }
    std::string type = Poco::toLower(raw.getContentType());
    type = Poco::trim(type.substr(0, type.find(';')));
    const bool hasBody =
        raw.getChunkedTransferEncoding() || (raw.hasContentLength() && raw.getContentLength64() > 0);
    const bool allowed = type.empty() ? !hasBody
                                      : type == "application/json" ||
                                            std::find(kUploadBodyTypes.begin(), kUploadBodyTypes.end(),
                                                      type) != kUploadBodyTypes.end();
    if (!allowed) {
        throw Error(ErrorKind::UnsupportedMediaType, "unsupported_media_type",
                    "Send the body as application/json (an upload as an archive).");
    }
}

}  // namespace chatiere::manager::http
