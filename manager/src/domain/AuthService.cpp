#include "domain/AuthService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "domain/AuditLog.h"

namespace chatiere::manager {

AuthService::AuthService(Database& db, base::Clock& clock, const Settings& settings,
                         const PasswordHasher& hasher)
    : db_(db),
      clock_(clock),
      settings_(settings),
      hasher_(hasher),
      dummyHash_(hasher.hash(newSecretToken())) {}

std::string AuthService::nowText() const {
    return formatTime(clock_.now());
}

void AuthService::checkNotLocked(Session& s, const std::string& key) {
    const auto locked = UserRepository(s).lockedUntil(key);
    if (!locked) {
        return;
    }
    const auto until = parseTime(*locked);
    const auto current = clock_.now();
    if (until && *until > current) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*until - current).count() + 1;
        throw Error(ErrorKind::TooManyRequests, "too_many_attempts",
                    "Too many failed logins. Try again in " + std::to_string(seconds) + " seconds.")
            .withRetryAfter(static_cast<int>(seconds));
    }
}

void AuthService::recordFailure(Session& s, const std::string& key) {
    const std::string at = nowText();
    UserRepository users(s);
    if (users.recordLoginFailure(key, at) >= settings_.loginMaxFailures) {
        users.lockLogin(key, formatTime(clock_.now() + std::chrono::seconds(settings_.loginLockSeconds)));
    }
}

AuthService::Login AuthService::login(const std::string& email, const std::string& password,
                                      const std::string& clientAddress) {
    const std::string accountKey = "account:" + emailKey(email);
    const std::string addressKey = "address:" + clientAddress;
    {
        auto s = db_.session();
        checkNotLocked(s, accountKey);
        checkNotLocked(s, addressKey);
    }
    std::optional<User> user;
    {
        auto s = db_.session();
        user = UserRepository(s).findByEmail(email);
    }
    // Verify outside any transaction: it takes tens of milliseconds by design.
    const bool ok =
        user ? hasher_.verify(password, user->passwordHash) : (hasher_.verify(password, dummyHash_), false);

    auto s = db_.session();
    Transaction tx(s);
    const std::string at = nowText();
    if (!ok) {
        recordFailure(s, accountKey);
        recordFailure(s, addressKey);
        Poco::JSON::Object details;
        details.set("email", email);
        AuditLog::record(s, Actor::anonymous(clientAddress), at, "user.login_failed", "user",
                         user ? user->id : std::string("unknown"), std::nullopt, details);
        tx.commit();
        throw Error(ErrorKind::Unauthenticated, "invalid_credentials", "Wrong e-mail address or password.");
    }
    UserRepository users(s);
    users.clearLoginFailures(accountKey);
    users.clearLoginFailures(addressKey);
    if (hasher_.needsRehash(user->passwordHash)) {
        users.setPasswordHash(user->id, hasher_.hash(password), at);
    }
    Login result;
    result.token = newSecretToken();
    result.user = *user;
    result.expiresAt = formatTime(clock_.now() + std::chrono::hours(settings_.sessionTtlHours));
    users.openSession(hashToken(result.token), user->id, at, result.expiresAt, clientAddress);
    Actor actor{user->id, user->email, user->staffRole, clientAddress};
    AuditLog::record(s, actor, at, "user.login", "user", user->id, std::nullopt);
    tx.commit();
    return result;
}

void AuthService::logout(const std::string& token) {
    auto s = db_.session();
    UserRepository(s).closeSession(hashToken(token));
}

std::optional<Actor> AuthService::authenticate(const std::string& token, const std::string& clientAddress) {
    if (token.empty() || token.size() > 200) {
        return std::nullopt;
    }
    const std::string hash = hashToken(token);
    const std::string at = nowText();
    auto s = db_.session();
    UserRepository users(s);
    auto userId = users.sessionUser(hash, at);
    if (!userId) {
        userId = users.useApiToken(hash, at);
        if (!userId) {
            return std::nullopt;
        }
    }
    const auto user = users.findById(*userId);
    if (!user) {
        return std::nullopt;
    }
    return Actor{user->id, user->email, user->staffRole, clientAddress};
}

std::pair<std::string, ApiTokenInfo> AuthService::createApiToken(const Actor& actor,
                                                                 const std::string& name) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    const std::string token = "cht_" + newSecretToken();
    ApiTokenInfo info{newId("tok"), name, nowText(), std::nullopt, std::nullopt};
    auto s = db_.session();
    Transaction tx(s);
    UserRepository(s).insertApiToken(info, hashToken(token), *actor.userId);
    Poco::JSON::Object details;
    details.set("name", name);
    AuditLog::record(s, actor, info.createdAt, "token.create", "api_token", info.id, std::nullopt, details);
    tx.commit();
    return {token, info};
}

std::vector<ApiTokenInfo> AuthService::listApiTokens(const Actor& actor) {
    auto s = db_.session();
    return UserRepository(s).apiTokensOf(actor.userId.value_or(""));
}

void AuthService::revokeApiToken(const Actor& actor, const std::string& tokenId) {
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = nowText();
    if (!UserRepository(s).revokeApiToken(tokenId, actor.userId.value_or(""), at)) {
        throw Error::notFound("API token");
    }
    AuditLog::record(s, actor, at, "token.revoke", "api_token", tokenId, std::nullopt);
    tx.commit();
}

std::optional<User> AuthService::currentUser(const Actor& actor) {
    if (!actor.userId) {
        return std::nullopt;
    }
    auto s = db_.session();
    return UserRepository(s).findById(*actor.userId);
}

}  // namespace chatiere::manager
