#include "app/Services.h"

#include "store/Health.h"

#include <Poco/String.h>

namespace chatiere::manager::app {

std::optional<Actor> currentActor(const Services& app, http::Request& request) {
    std::string token;
    if (const auto header = request.header("Authorization")) {
        static const std::string kBearer = "Bearer ";
        if (header->size() <= kBearer.size() ||
            Poco::icompare(header->substr(0, kBearer.size()), kBearer) != 0) {
            throw Error(ErrorKind::Unauthenticated, "unauthenticated",
                        "Use `Authorization: Bearer <token>`.");
        }
        token = header->substr(kBearer.size());
    } else if (const auto cookie = request.cookie(app.sessionCookie(request))) {
        token = *cookie;
    } else {
        return std::nullopt;
    }
    auto actor = app.auth.authenticate(token, request.clientAddress());
    if (!actor) {
        throw Error(ErrorKind::Unauthenticated, "invalid_token",
                    "The session or token is unknown or expired.");
    }
    return actor;
}

bool databaseAnswers(Database& db) {
    auto s = db.session();
    return manager::databaseAnswers(s);
}

}  // namespace chatiere::manager::app
