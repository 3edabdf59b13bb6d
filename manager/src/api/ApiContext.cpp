#include "api/Api.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

namespace chatiere::manager::api {

std::optional<Actor> ApiContext::currentActor(http::Request& request) const {
    auto actor = app::currentActor(*this, request);
    if (actor && actor->totpEnrolmentRequired) {
        throw Error(ErrorKind::Forbidden, "totp_enrolment_required",
                    "Staff accounts need a second factor: enrol one first (POST /api/v1/me/totp, then POST "
                    "/api/v1/me/totp/confirm).");
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

Actor ApiContext::requireActorEnrolling(http::Request& request) const {
    auto actor = app::currentActor(*this, request);
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

}  // namespace chatiere::manager::api
