#include "domain/AuthService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "domain/AuditLog.h"
#include "store/SecondFactors.h"

namespace chatiere::manager {

AuthService::AuthService(Database& db, base::Clock& clock, const Settings& settings,
                         const PasswordHasher& hasher)
    : db_(db),
      clock_(clock),
      settings_(settings),
      hasher_(hasher),
      throttle_(clock, settings),
      dummyHash_(hasher.hash(newSecretToken())) {}

std::string AuthService::nowText() const {
    return formatTime(clock_.now());
}

User AuthService::checkPassword(const std::string& email, const std::string& password,
                                const std::string& clientAddress) {
    const std::string accountKey = LoginThrottle::accountKey(email);
    const std::string addressKey = LoginThrottle::addressKey(clientAddress);
    {
        auto s = db_.session();
        throttle_.check(s, accountKey);
        throttle_.check(s, addressKey);
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
        throttle_.recordFailure(s, accountKey);
        throttle_.recordFailure(s, addressKey);
        Poco::JSON::Object details;
        details.set("email", email);
        AuditLog::record(s, Actor::anonymous(clientAddress), at, "user.login_failed", "user",
                         user ? user->id : std::string("unknown"), std::nullopt, details);
        tx.commit();
        throw Error(ErrorKind::Unauthenticated, "invalid_credentials", "Wrong e-mail address or password.");
    }
    if (hasher_.needsRehash(user->passwordHash)) {
        UserRepository(s).setPasswordHash(user->id, hasher_.hash(password), at);
        tx.commit();
    }
    return *user;
}

void AuthService::refuseFactor(Session& s, Transaction& tx, const User& user,
                               const std::string& clientAddress) {
    throttle_.recordFailure(s, LoginThrottle::accountKey(user.email));
    throttle_.recordFailure(s, LoginThrottle::addressKey(clientAddress));
    Poco::JSON::Object details;
    details.set("email", user.email);
    details.set("reason", "invalid_totp");
    AuditLog::record(s, Actor::anonymous(clientAddress), nowText(), "user.login_failed", "user", user.id,
                     std::nullopt, details);
    tx.commit();
    throw Error(ErrorKind::Unauthenticated, "invalid_totp", "The code is wrong or was already used.");
}

AuthService::Login AuthService::openSession(Session& s, const User& user, const std::string& clientAddress) {
    const std::string at = nowText();
    throttle_.clear(s, LoginThrottle::accountKey(user.email));
    throttle_.clear(s, LoginThrottle::addressKey(clientAddress));
    Login result;
    result.token = newSecretToken();
    result.user = user;
    result.expiresAt = formatTime(clock_.now() + std::chrono::hours(settings_.sessionTtlHours));
    UserRepository(s).openSession(hashToken(result.token), user.id, at, result.expiresAt, clientAddress);
    Actor actor{user.id, user.email, user.staffRole, clientAddress};
    AuditLog::record(s, actor, at, "user.login", "user", user.id, std::nullopt);
    return result;
}

namespace {

Error totpRequired() {
    return Error(ErrorKind::Unauthenticated, "totp_required",
                 "This account has a second factor: send the code of the authenticator app (\"totp\") or a "
                 "recovery code (\"recovery_code\").");
}

}  // namespace

AuthService::Login AuthService::login(const std::string& email, const std::string& password,
                                      const SecondFactor& factor, const std::string& clientAddress) {
    const User user = checkPassword(email, password, clientAddress);
    auto s = db_.session();
    Transaction tx(s);
    const auto state = SecondFactorRepository(s).totpOf(user.id);
    if (state && state->enabled()) {
        if (factor.empty()) {
            throw totpRequired();
        }
        const Actor actor{user.id, user.email, user.staffRole, clientAddress};
        if (!useSecondFactor(s, user.id, *state, factor, clock_.now(), actor)) {
            refuseFactor(s, tx, user, clientAddress);
        }
    }
    Login result = openSession(s, user, clientAddress);
    tx.commit();
    return result;
}

AuthService::PasswordStep AuthService::loginStep(const std::string& email, const std::string& password,
                                                 const std::string& clientAddress) {
    const User user = checkPassword(email, password, clientAddress);
    auto s = db_.session();
    Transaction tx(s);
    PasswordStep step;
    const auto state = SecondFactorRepository(s).totpOf(user.id);
    if (state && state->enabled()) {
        const std::string challenge = newSecretToken();
        const std::string at = nowText();
        SecondFactorRepository(s).insertChallenge(
            hashToken(challenge), user.id, at,
            formatTime(clock_.now() + std::chrono::seconds(kChallengeSeconds)), clientAddress);
        step.challenge = challenge;
    } else {
        step.login = openSession(s, user, clientAddress);
    }
    tx.commit();
    return step;
}

AuthService::Login AuthService::finishLogin(const std::string& challenge, const SecondFactor& factor,
                                            const std::string& clientAddress) {
    const auto expired = [] {
        return Error(ErrorKind::Unauthenticated, "challenge_expired",
                     "The login took too long or was already finished: enter the password again.");
    };
    if (challenge.empty() || challenge.size() > 200) {
        throw expired();
    }
    const std::string hash = hashToken(challenge);
    auto s = db_.session();
    Transaction tx(s);
    SecondFactorRepository factors(s);
    const auto userId = factors.challengeUser(hash, nowText());
    const auto user = userId ? UserRepository(s).findById(*userId) : std::nullopt;
    if (!user) {
        throw expired();
    }
    throttle_.check(s, LoginThrottle::accountKey(user->email));
    throttle_.check(s, LoginThrottle::addressKey(clientAddress));
    const auto state = factors.totpOf(user->id);
    if (state && state->enabled()) {
        if (factor.empty()) {
            throw totpRequired();
        }
        const Actor actor{user->id, user->email, user->staffRole, clientAddress};
        if (!useSecondFactor(s, user->id, *state, factor, clock_.now(), actor)) {
            refuseFactor(s, tx, *user, clientAddress);
        }
    }
    factors.deleteChallenge(hash);
    Login result = openSession(s, *user, clientAddress);
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
    Actor actor{user->id, user->email, user->staffRole, clientAddress};
    if (settings_.requireTotpForStaff && user->staffRole) {
        const auto state = SecondFactorRepository(s).totpOf(user->id);
        actor.totpEnrolmentRequired = !state || !state->enabled();
    }
    return actor;
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
