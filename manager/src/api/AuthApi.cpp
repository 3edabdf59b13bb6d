#include "api/Api.h"
#include "api/JsonFields.h"

#include <Poco/JSON/Array.h>

namespace chatiere::manager::api {

namespace {

Poco::JSON::Object userJson(const std::string& id, const std::string& email, const std::string& name,
                            const std::optional<StaffRole>& role) {
    Poco::JSON::Object user(Poco::JSON_PRESERVE_KEY_ORDER);
    user.set("id", id);
    user.set("email", email);
    user.set("name", name);
    if (role) {
        user.set("role", toString(*role));
    }
    return user;
}

void setSessionCookie(http::Request& request, const ApiContext& ctx, const std::string& value, int maxAge) {
    request.setCookie(ctx.sessionCookie(request), value, maxAge);
}

Poco::JSON::Object tokenJson(const ApiTokenInfo& t) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", t.id);
    o.set("name", t.name);
    o.set("created_at", t.createdAt);
    o.set("last_used_at", t.lastUsedAt ? Poco::Dynamic::Var(*t.lastUsedAt) : Poco::Dynamic::Var());
    o.set("revoked", t.revokedAt.has_value());
    return o;
}

}  // namespace

void registerAuthRoutes(http::Router& router, ApiContext& ctx) {
    router.add("POST", "/api/v1/sessions", [&ctx](http::Request& r) {
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto email = f.string("email", true, 254);
        std::string password;
        if (body->has("password") && body->get("password").isString()) {
            password = body->getValue<std::string>("password");
        } else {
            errors.add("password", "missing", "This field is required.");
        }
        SecondFactor factor;
        factor.totp = f.string("totp", false, 20);
        factor.recoveryCode = f.string("recovery_code", false, 40);
        errors.throwIfAny();
        const auto login = ctx.auth.login(*email, password, factor, r.clientAddress());
        setSessionCookie(r, ctx, login.token, ctx.auth.sessionTtlSeconds());
        Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
        out.set("token", login.token);
        out.set("expires_at", login.expiresAt);
        out.set("user", userJson(login.user.id, login.user.email, login.user.name, login.user.staffRole));
        r.sendJson(201, out);
    });

    router.add("DELETE", "/api/v1/sessions", [&ctx](http::Request& r) {
        std::string token;
        if (const auto header = r.header("Authorization"); header && header->rfind("Bearer ", 0) == 0) {
            token = header->substr(7);
        } else if (const auto cookie = r.cookie(ctx.sessionCookie(r))) {
            token = *cookie;
        }
        if (token.empty()) {
            throw Error::unauthenticated("There is no session to end.");
        }
        ctx.auth.logout(token);
        setSessionCookie(r, ctx, "", 0);
        Poco::JSON::Object out;
        out.set("signed_out", true);
        r.sendJson(200, out);
    });

    router.add("GET", "/api/v1/me", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActorEnrolling(r);
        Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
        const auto memberships = ctx.associations.membershipsOf(*actor.userId);
        std::string name;
        if (const auto user = ctx.auth.currentUser(actor)) {
            name = user->name;
            auto json = userJson(user->id, user->email, user->name, user->staffRole);
            json.set("email_verified", user->emailVerified);
            json.set("language", user->language);
            out.set("user", json);
        }
        const auto totp = ctx.totp.status(actor);
        Poco::JSON::Object totpJson(Poco::JSON_PRESERVE_KEY_ORDER);
        totpJson.set("enabled", totp.enabled);
        totpJson.set("required", totp.required);
        totpJson.set("pending", totp.pending);
        totpJson.set("recovery_codes_left", totp.recoveryCodesLeft);
        out.set("totp", totpJson);
        Poco::JSON::Array associations;
        for (const auto& m : memberships) {
            Poco::JSON::Object a(Poco::JSON_PRESERVE_KEY_ORDER);
            a.set("id", m.associationId);
            a.set("name", m.associationName);
            a.set("role", toString(m.role));
            associations.add(a);
        }
        out.set("associations", associations);
        r.sendJson(200, out);
    });

    // The second factor of one's own account (TOTP): reachable by a staff account that must enrol one.
    router.add("POST", "/api/v1/me/totp", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActorEnrolling(r);
        const auto enrolment = ctx.totp.begin(actor);
        Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
        out.set("secret", enrolment.secret);
        out.set("otpauth_uri", enrolment.otpauthUri);
        r.sendJson(201, out);
    });
    router.add("POST", "/api/v1/me/totp/confirm", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActorEnrolling(r);
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto code = f.string("code", true, 20);
        errors.throwIfAny();
        Poco::JSON::Array codes;
        for (const auto& c : ctx.totp.confirm(actor, *code)) {
            codes.add(c);
        }
        Poco::JSON::Object out;
        out.set("recovery_codes", codes);
        r.sendJson(200, out);
    });
    router.add("DELETE", "/api/v1/me/totp", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActorEnrolling(r);
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        std::string password;  // as typed: not trimmed
        if (body->has("password") && body->get("password").isString()) {
            password = body->getValue<std::string>("password");
        } else {
            errors.add("password", "missing", "This field is required.");
        }
        const auto code = f.string("code", true, 40);
        errors.throwIfAny();
        ctx.totp.remove(actor, password, *code);
        Poco::JSON::Object out;
        out.set("removed", true);
        r.sendJson(200, out);
    });

    router.add("POST", "/api/v1/verify-email", [&ctx](http::Request& r) {
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto token = f.string("token", true, 200);
        errors.throwIfAny();
        const User user = ctx.associations.verifyEmail(*token, r.clientAddress());
        Poco::JSON::Object out;
        out.set("user", userJson(user.id, user.email, user.name, user.staffRole));
        out.set("email_verified", true);
        r.sendJson(200, out);
    });

    // Always 202, whether the account exists or not.
    router.add("POST", "/api/v1/password-resets", [&ctx](http::Request& r) {
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto email = f.string("email", true, 254);
        errors.throwIfAny();
        ctx.passwordResets.request(*email, r.clientAddress());
        Poco::JSON::Object out;
        out.set("message", "If an account has this address, a reset link was sent to it.");
        r.sendJson(202, out);
    });
    router.add("POST", "/api/v1/password-resets/confirm", [&ctx](http::Request& r) {
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto token = f.string("token", true, 200);
        const auto password = f.string("password", true, 1024);
        errors.throwIfAny();
        ctx.passwordResets.reset(*token, *password, r.clientAddress());
        Poco::JSON::Object out;
        out.set("password_changed", true);
        r.sendJson(200, out);
    });

    router.add("POST", "/api/v1/tokens", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto name = f.string("name", true, 100);
        errors.throwIfAny();
        const auto [token, info] = ctx.auth.createApiToken(actor, *name);
        Poco::JSON::Object out = tokenJson(info);
        out.set("token", token);
        r.sendJson(201, out);
    });

    router.add("GET", "/api/v1/tokens", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array tokens;
        for (const auto& t : ctx.auth.listApiTokens(actor)) {
            tokens.add(tokenJson(t));
        }
        Poco::JSON::Object out;
        out.set("tokens", tokens);
        out.set("next_cursor", Poco::Dynamic::Var());
        r.sendJson(200, out);
    });

    router.add("DELETE", "/api/v1/tokens/{id}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.auth.revokeApiToken(actor, r.param("id"));
        Poco::JSON::Object out;
        out.set("revoked", true);
        r.sendJson(200, out);
    });
}

}  // namespace chatiere::manager::api
