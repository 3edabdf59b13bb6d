#include "api/Api.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

namespace chatiere::manager::api {

std::optional<Actor> ApiContext::currentActor(http::Request& request) const {
    std::string token;
    if (const auto header = request.header("Authorization")) {
        static const std::string kBearer = "Bearer ";
        if (header->size() <= kBearer.size() ||
            Poco::icompare(header->substr(0, kBearer.size()), kBearer) != 0) {
            throw Error(ErrorKind::Unauthenticated, "unauthenticated",
                        "Use `Authorization: Bearer <token>`.");
        }
        token = header->substr(kBearer.size());
    } else if (const auto cookie = request.cookie(sessionCookie())) {
        token = *cookie;
    } else {
        return std::nullopt;
    }
    auto actor = auth.authenticate(token, request.clientAddress());
    if (!actor) {
        throw Error(ErrorKind::Unauthenticated, "invalid_token",
                    "The session or token is unknown or expired.");
    }
    return actor;
}

Actor ApiContext::requireActor(http::Request& request) const {
    auto actor = currentActor(request);
    if (!actor) {
        throw Error::unauthenticated("Sign in first: a session cookie or `Authorization: Bearer <token>`.");
    }
    return *actor;
}

Page pageOf(http::Request& request) {
    Page page;
    if (const auto limit = request.query("limit")) {
        int parsed = 0;
        if (!Poco::NumberParser::tryParse(*limit, parsed) || parsed < 1 || parsed > 200) {
            throw Error(ErrorKind::Validation, "invalid_fields",
                        "limit must be a whole number from 1 to 200.",
                        {{"limit", "invalid_limit", "A whole number from 1 to 200."}});
        }
        page.limit = parsed;
    }
    page.cursor = request.query("cursor").value_or("");
    return page;
}

std::string languageOf(http::Request& request) {
    if (const auto lang = request.query("lang")) {
        return *lang == "en" ? "en" : "fr";
    }
    const std::string accept = Poco::toLower(request.header("Accept-Language").value_or(""));
    // The first language named wins; French unless it is English.
    const auto en = accept.find("en");
    const auto fr = accept.find("fr");
    if (en != std::string::npos && (fr == std::string::npos || en < fr)) {
        return "en";
    }
    return "fr";
}

}  // namespace chatiere::manager::api
