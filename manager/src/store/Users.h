#pragma once

#include "store/Roles.h"

#include "chatiere/manager/Database.h"

#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

struct User {
    std::string id;
    std::string email;
    std::string name;
    std::string passwordHash;
    bool emailVerified = false;
    std::optional<StaffRole> staffRole;
    std::string language = "fr";
    std::optional<std::string> termsVersion;
    std::optional<std::string> termsAcceptedAt;
    std::string createdAt;
};

struct ApiTokenInfo {
    std::string id;
    std::string name;
    std::string createdAt;
    std::optional<std::string> lastUsedAt;
    std::optional<std::string> revokedAt;
};

// The users table and what hangs on an account: sessions, API tokens, e-mail verifications and the
// login throttle. E-mail addresses are unique ignoring case (the `email_key` column). Tokens are
// stored only as their hash.
class UserRepository {
public:
    explicit UserRepository(Session& session) : session_(session) {}
    // Throws Error(Conflict, "email_taken") when the address is already used, in any case.
    void insert(const User& user);
    std::optional<User> findById(const std::string& id);
    std::optional<User> findByEmail(const std::string& email);
    std::vector<User> listStaff();
    void setEmailVerified(const std::string& id, const std::string& at);
    void setPasswordHash(const std::string& id, const std::string& hash, const std::string& at);

    // Sessions. Opening one also forgets those expired at `at`.
    void openSession(const std::string& tokenHash, const std::string& userId, const std::string& at,
                     const std::string& expiresAt, const std::string& clientAddress);
    void closeSession(const std::string& tokenHash);
    void closeSessionsOf(const std::string& userId);
    // The user of a live session (expiring after `at`).
    std::optional<std::string> sessionUser(const std::string& tokenHash, const std::string& at);

    // API tokens.
    void insertApiToken(const ApiTokenInfo& info, const std::string& tokenHash, const std::string& userId);
    // The user of an unrevoked token, whose last use becomes `at`.
    std::optional<std::string> useApiToken(const std::string& tokenHash, const std::string& at);
    std::vector<ApiTokenInfo> apiTokensOf(const std::string& userId);
    // Returns false when the user has no such live token.
    bool revokeApiToken(const std::string& id, const std::string& userId, const std::string& at);
    // Returns how many were revoked.
    int revokeApiTokensOf(const std::string& userId, const std::string& at);

    // The login throttle, by key ("account:<email key>", "address:<ip>").
    std::optional<std::string> lockedUntil(const std::string& key);
    // Counts a failure (starting over after a lock that ended before `at`); returns the failures in a row.
    int recordLoginFailure(const std::string& key, const std::string& at);
    void lockLogin(const std::string& key, const std::string& until);
    void clearLoginFailures(const std::string& key);

    // E-mail verification links.
    void insertVerification(const std::string& tokenHash, const std::string& userId, const std::string& email,
                            const std::string& at, const std::string& expiresAt);
    // The user of an unused link alive at `at`.
    std::optional<std::string> verificationUser(const std::string& tokenHash, const std::string& at);
    void useVerification(const std::string& tokenHash, const std::string& at);

private:
    Session& session_;
};

}  // namespace chatiere::manager
