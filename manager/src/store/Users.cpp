#include "store/Users.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Validation.h"

namespace chatiere::manager {

namespace {

#define CHATIERE_USER_COLUMNS                                                                      \
    "SELECT id, email, name, password_hash, email_verified, staff_role, language, terms_version, " \
    "terms_accepted_at, created_at FROM users "

User userFrom(const Row& r) {
    User u;
    u.id = r.text(0);
    u.email = r.text(1);
    u.name = r.text(2);
    u.passwordHash = r.text(3);
    u.emailVerified = r.integer(4) != 0;
    if (const auto role = r.optText(5)) {
        u.staffRole = staffRoleFrom(*role);
    }
    u.language = r.text(6);
    u.termsVersion = r.optText(7);
    u.termsAcceptedAt = r.optText(8);
    u.createdAt = r.text(9);
    return u;
}

constexpr const char* kById = CHATIERE_USER_COLUMNS "WHERE id = ?";
constexpr const char* kByEmailKey = CHATIERE_USER_COLUMNS "WHERE email_key = ?";
constexpr const char* kStaff = CHATIERE_USER_COLUMNS "WHERE staff_role IS NOT NULL ORDER BY email_key";

#undef CHATIERE_USER_COLUMNS

}  // namespace

void UserRepository::insert(const User& user) {
    const std::string key = emailKey(user.email);
    if (session_.integer("SELECT COUNT(*) FROM users WHERE email_key = ?", key).value_or(0) > 0) {
        throw Error(ErrorKind::Conflict, "email_taken", "An account already uses this e-mail address.",
                    {{"email", "email_taken", "An account already uses this e-mail address."}});
    }
    const std::optional<std::string> staff =
        user.staffRole ? std::optional<std::string>(toString(*user.staffRole)) : std::nullopt;
    session_.execute(
        "INSERT INTO users (id, email, email_key, name, password_hash, email_verified, staff_role, language, "
        "terms_version, terms_accepted_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?)",
        user.id, user.email, key, user.name, user.passwordHash, user.emailVerified ? 1 : 0, staff,
        user.language, user.termsVersion, user.termsAcceptedAt, user.createdAt, user.createdAt);
}

std::optional<User> UserRepository::findById(const std::string& id) {
    return session_.first(kById, userFrom, id);
}

std::optional<User> UserRepository::findByEmail(const std::string& email) {
    return session_.first(kByEmailKey, userFrom, emailKey(email));
}

std::vector<User> UserRepository::listStaff() {
    return session_.query(kStaff, userFrom);
}

void UserRepository::setEmailVerified(const std::string& id, const std::string& at) {
    session_.execute("UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", at, id);
}

void UserRepository::setPasswordHash(const std::string& id, const std::string& hash, const std::string& at) {
    session_.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, at, id);
}

void UserRepository::openSession(const std::string& tokenHash, const std::string& userId,
                                 const std::string& at, const std::string& expiresAt,
                                 const std::string& clientAddress) {
    session_.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_address) VALUES (?, ?, ?, "
        "?, ?)",
        tokenHash, userId, at, expiresAt, clientAddress);
    session_.execute("DELETE FROM sessions WHERE expires_at <= ?", at);
}

void UserRepository::closeSession(const std::string& tokenHash) {
    session_.execute("DELETE FROM sessions WHERE token_hash = ?", tokenHash);
}

void UserRepository::closeSessionsOf(const std::string& userId) {
    session_.execute("DELETE FROM sessions WHERE user_id = ?", userId);
}

std::optional<std::string> UserRepository::sessionUser(const std::string& tokenHash, const std::string& at) {
    return session_.text("SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?", tokenHash,
                         at);
}

void UserRepository::insertApiToken(const ApiTokenInfo& info, const std::string& tokenHash,
                                    const std::string& userId) {
    session_.execute(
        "INSERT INTO api_tokens (id, token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?, ?)", info.id,
        tokenHash, userId, info.name, info.createdAt);
}

std::optional<std::string> UserRepository::useApiToken(const std::string& tokenHash, const std::string& at) {
    auto user = session_.text("SELECT user_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                              tokenHash);
    if (user) {
        session_.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", at, tokenHash);
    }
    return user;
}

std::vector<ApiTokenInfo> UserRepository::apiTokensOf(const std::string& userId) {
    return session_.query(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id",
        [](const Row& r) {
            return ApiTokenInfo{r.text(0), r.text(1), r.text(2), r.optText(3), r.optText(4)};
        },
        userId);
}

bool UserRepository::revokeApiToken(const std::string& id, const std::string& userId, const std::string& at) {
    return session_.execute(
               "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL", at,
               id, userId) > 0;
}

int UserRepository::revokeApiTokensOf(const std::string& userId, const std::string& at) {
    return session_.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                            at, userId);
}

std::optional<std::string> UserRepository::lockedUntil(const std::string& key) {
    return session_.text("SELECT locked_until FROM login_throttle WHERE key = ?", key);
}

int UserRepository::recordLoginFailure(const std::string& key, const std::string& at) {
    session_.execute(
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?1, 1, ?2) "
        "ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN locked_until IS NOT NULL AND locked_until <= "
        "?2 "
        "THEN 1 ELSE failures + 1 END, last_failure_at = excluded.last_failure_at, "
        "locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?2 THEN NULL ELSE "
        "locked_until END",
        key, at);
    return static_cast<int>(
        session_.integer("SELECT failures FROM login_throttle WHERE key = ?", key).value_or(0));
}

void UserRepository::lockLogin(const std::string& key, const std::string& until) {
    session_.execute("UPDATE login_throttle SET locked_until = ? WHERE key = ?", until, key);
}

void UserRepository::clearLoginFailures(const std::string& key) {
    session_.execute("DELETE FROM login_throttle WHERE key = ?", key);
}

void UserRepository::insertVerification(const std::string& tokenHash, const std::string& userId,
                                        const std::string& email, const std::string& at,
                                        const std::string& expiresAt) {
    session_.execute(
        "INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at) VALUES (?, ?, "
        "?, ?, ?)",
        tokenHash, userId, email, at, expiresAt);
}

std::optional<std::string> UserRepository::verificationUser(const std::string& tokenHash,
                                                            const std::string& at) {
    return session_.text(
        "SELECT user_id FROM email_verifications WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        tokenHash, at);
}

void UserRepository::useVerification(const std::string& tokenHash, const std::string& at) {
    session_.execute("UPDATE email_verifications SET used_at = ? WHERE token_hash = ?", at, tokenHash);
}

}  // namespace chatiere::manager
