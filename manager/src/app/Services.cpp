#include "app/Services.h"

#include <Poco/Data/Session.h>
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
    } else if (const auto cookie = request.cookie(app.sessionCookie())) {
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
    int one = 0;
    auto s = db.session();
    s << "SELECT 1", Poco::Data::Keywords::into(one), Poco::Data::Keywords::now;
    return one == 1;
}

}  // namespace chatiere::manager::app
