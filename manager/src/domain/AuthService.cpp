#include "domain/AuthService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "domain/AuditLog.h"
#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

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
    std::vector<Poco::Nullable<std::string>> locked;
    s << "SELECT locked_until FROM login_throttle WHERE key = ?", bind(key), into(locked), now;
    if (locked.empty() || locked.front().isNull()) {
        return;
    }
    const auto until = parseTime(locked.front().value());
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
    s << "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?, 1, ?) "
         "ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN locked_until IS NOT NULL AND locked_until <= "
         "? "
         "THEN 1 ELSE failures + 1 END, last_failure_at = excluded.last_failure_at, "
         "locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL ELSE "
         "locked_until END",
        bind(key), bind(at), bind(at), bind(at), now;
    int failures = 0;
    s << "SELECT failures FROM login_throttle WHERE key = ?", bind(key), into(failures), now;
    if (failures >= settings_.loginMaxFailures) {
        const std::string until = formatTime(clock_.now() + std::chrono::seconds(settings_.loginLockSeconds));
        s << "UPDATE login_throttle SET locked_until = ? WHERE key = ?", bind(until), bind(key), now;
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
    s << "DELETE FROM login_throttle WHERE key IN (?, ?)", bind(accountKey), bind(addressKey), now;
    if (hasher_.needsRehash(user->passwordHash)) {
        UserRepository(s).setPasswordHash(user->id, hasher_.hash(password), at);
    }
    Login result;
    result.token = newSecretToken();
    result.user = *user;
    result.expiresAt = formatTime(clock_.now() + std::chrono::hours(settings_.sessionTtlHours));
    s << "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_address) VALUES (?, ?, "
         "?, ?, ?)",
        bind(hashToken(result.token)), bind(user->id), bind(at), bind(result.expiresAt), bind(clientAddress),
        now;
    s << "DELETE FROM sessions WHERE expires_at <= ?", bind(at), now;
    Actor actor{user->id, user->email, user->staffRole, clientAddress};
    AuditLog::record(s, actor, at, "user.login", "user", user->id, std::nullopt);
    tx.commit();
    return result;
}

void AuthService::logout(const std::string& token) {
    auto s = db_.session();
    s << "DELETE FROM sessions WHERE token_hash = ?", bind(hashToken(token)), now;
}

std::optional<Actor> AuthService::authenticate(const std::string& token, const std::string& clientAddress) {
    if (token.empty() || token.size() > 200) {
        return std::nullopt;
    }
    const std::string hash = hashToken(token);
    const std::string at = nowText();
    auto s = db_.session();
    std::vector<std::string> userIds;
    s << "SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?", bind(hash), bind(at),
        into(userIds), now;
    if (userIds.empty()) {
        s << "SELECT user_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", bind(hash),
            into(userIds), now;
        if (userIds.empty()) {
            return std::nullopt;
        }
        s << "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", bind(at), bind(hash), now;
    }
    const auto user = UserRepository(s).findById(userIds.front());
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
    s << "INSERT INTO api_tokens (id, token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?, ?)",
        bind(info.id), bind(hashToken(token)), bind(*actor.userId), bind(name), bind(info.createdAt), now;
    Poco::JSON::Object details;
    details.set("name", name);
    AuditLog::record(s, actor, info.createdAt, "token.create", "api_token", info.id, std::nullopt, details);
    tx.commit();
    return {token, info};
}

std::vector<ApiTokenInfo> AuthService::listApiTokens(const Actor& actor) {
    auto s = db_.session();
    Poco::Data::Statement stmt(s);
    stmt << "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER "
            "BY id",
        bind(actor.userId.value_or(""));
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<ApiTokenInfo> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        out.push_back({text(rs, "id"), text(rs, "name"), text(rs, "created_at"), optText(rs, "last_used_at"),
                       optText(rs, "revoked_at")});
    }
    return out;
}

void AuthService::revokeApiToken(const Actor& actor, const std::string& tokenId) {
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = nowText();
    Poco::Data::Statement stmt(s);
    stmt << "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        bind(at), bind(tokenId), bind(actor.userId.value_or(""));
    if (stmt.execute() == 0) {
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
