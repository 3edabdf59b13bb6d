#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "domain/Actor.h"
#include "store/Users.h"

#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// Passwords, sessions, API tokens and login throttling. Tokens are 256 random bits, handed out
// once and stored only as their SHA-256.
class AuthService {
public:
    AuthService(Database& db, base::Clock& clock, const Settings& settings, const PasswordHasher& hasher);

    struct Login {
        std::string token;
        User user;
        std::string expiresAt;
    };
    // Throws Unauthenticated on a wrong e-mail or password, TooManyRequests (with a retry time)
    // after auth.max_failures failures in a row for the account or for the client address.
    Login login(const std::string& email, const std::string& password, const std::string& clientAddress);
    void logout(const std::string& token);
    // The signed-in user's account; nullopt for the system or a user since removed.
    std::optional<User> currentUser(const Actor& actor);
    // A session or API token → who it is; nullopt when unknown, expired or revoked.
    std::optional<Actor> authenticate(const std::string& token, const std::string& clientAddress);

    std::pair<std::string, ApiTokenInfo> createApiToken(const Actor& actor, const std::string& name);
    std::vector<ApiTokenInfo> listApiTokens(const Actor& actor);
    void revokeApiToken(const Actor& actor, const std::string& tokenId);

    int sessionTtlSeconds() const { return settings_.sessionTtlHours * 3600; }

private:
    void checkNotLocked(Session& s, const std::string& key);
    void recordFailure(Session& s, const std::string& key);
    std::string nowText() const;

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const PasswordHasher& hasher_;
    std::string dummyHash_;  // verified against when the account does not exist, to take the same time
};

}  // namespace chatiere::manager
