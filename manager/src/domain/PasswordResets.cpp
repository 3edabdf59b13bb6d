#include "domain/PasswordResets.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "domain/Actor.h"
#include "domain/AuditLog.h"
#include "domain/Users.h"

#include <Poco/Data/Statement.h>

namespace chatiere::manager {

using namespace Poco::Data::Keywords;

PasswordResets::PasswordResets(Database& db, base::Clock& clock, const Settings& settings,
                               const PasswordHasher& hasher, Outbox& outbox, std::function<void()> mailQueued)
    : db_(db),
      clock_(clock),
      settings_(settings),
      hasher_(hasher),
      outbox_(outbox),
      mailQueued_(std::move(mailQueued)) {}

void PasswordResets::request(const std::string& email, const std::string& clientAddress) {
    if (!isValidEmail(email)) {
        throw Error(ErrorKind::Validation, "invalid_fields", "Give a valid e-mail address.",
                    {{"email", "invalid_email", "Give a valid e-mail address."}});
    }
    auto s = db_.session();
    Transaction tx(s);
    const auto user = UserRepository(s).findByEmail(email);
    if (!user) {
        return;  // said the same way as when there is one
    }
    const auto now_ = clock_.now();
    const std::string at = formatTime(now_);
    int recent = 0;
    s << "SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND created_at > ?", bind(user->id),
        bind(formatTime(now_ - std::chrono::hours(1))), into(recent), now;
    if (recent >= kMaxPerHour) {
        return;  // the links already sent are still valid; no mailbox flooding
    }
    // One live link at a time: the newest.
    s << "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", bind(at),
        bind(user->id), now;
    const std::string token = newSecretToken();
    s << "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        bind(hashToken(token)), bind(user->id), bind(at), bind(formatTime(now_ + kValidity)), now;
    outbox_.enqueue(s, {user->email,
                        "password_reset",
                        user->language,
                        {{"name", user->name},
                         {"link", settings_.publicUrl + "/password/reset?token=" + token},
                         {"minutes", std::to_string(kValidity.count())}}});
    Actor actor = Actor::anonymous(clientAddress);
    actor.label = user->email;
    AuditLog::record(s, actor, at, "user.password_reset_request", "user", user->id, std::nullopt);
    tx.commit();
    mailQueued_();
}

void PasswordResets::reset(const std::string& token, const std::string& password,
                           const std::string& clientAddress) {
    const auto invalid = [] {
        return Error(ErrorKind::BadRequest, "invalid_token", "This reset link is unknown, used or expired.");
    };
    if (token.empty() || token.size() > 200) {
        throw invalid();
    }
    const std::string hash = hashToken(token);
    std::vector<std::string> userIds;
    {
        auto s = db_.session();
        s << "SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > "
             "?",
            bind(hash), bind(formatTime(clock_.now())), into(userIds), now;
    }
    if (userIds.empty()) {
        throw invalid();
    }
    if (const auto problem = passwordProblem(password)) {
        throw Error(ErrorKind::Validation, "invalid_fields", *problem,
                    {{"password", "weak_password", *problem}});
    }
    // Hash before taking the write lock: it is slow on purpose.
    const std::string passwordHash = hasher_.hash(password);
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = formatTime(clock_.now());
    // Used once: whoever marks the link used first sets the password.
    s << "UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        bind(at), bind(hash), bind(at), now;
    int changed = 0;
    s << "SELECT changes()", into(changed), now;
    if (changed != 1) {
        throw invalid();
    }
    const std::string userId = userIds.front();
    UserRepository users(s);
    users.setPasswordHash(userId, passwordHash, at);
    // The link came by mail: the address is proven.
    const auto user = users.findById(userId);
    if (user && !user->emailVerified) {
        users.setEmailVerified(userId, at);
    }
    // Whoever had the old password may have made API tokens with it: they end too, with the sessions.
    s << "DELETE FROM sessions WHERE user_id = ?", bind(userId), now;
    s << "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", bind(at),
        bind(userId), now;
    int tokensRevoked = 0;
    s << "SELECT changes()", into(tokensRevoked), now;
    if (user) {
        s << "DELETE FROM login_throttle WHERE key = ?", bind("account:" + emailKey(user->email)), now;
    }
    Actor actor = Actor::anonymous(clientAddress);
    actor.label = user ? user->email : userId;
    Poco::JSON::Object details;
    details.set("api_tokens_revoked", tokensRevoked);
    AuditLog::record(s, actor, at, "user.password_reset", "user", userId, std::nullopt, details);
    tx.commit();
}

}  // namespace chatiere::manager
