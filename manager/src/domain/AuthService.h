#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "domain/Actor.h"
#include "domain/LoginThrottle.h"
#include "domain/TotpService.h"
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

    using SecondFactor = manager::SecondFactor;

    struct Login {
        std::string token;
        User user;
        std::string expiresAt;
    };
    // The password, then (when the account has TOTP enabled) the second factor: none → 401
    // totp_required; a wrong, replayed or spent one → 401 invalid_totp. Throws Unauthenticated
    // (invalid_credentials) on a wrong e-mail or password, TooManyRequests (with a retry time) after
    // auth.max_failures failures in a row — wrong passwords and wrong codes alike — for the
    // account or for the client address.
    Login login(const std::string& email, const std::string& password, const SecondFactor& factor,
                const std::string& clientAddress);
    // Without a second factor: for accounts that have none.
    Login login(const std::string& email, const std::string& password, const std::string& clientAddress) {
        return login(email, password, SecondFactor{}, clientAddress);
    }

    // The pages' login in two steps. The password step gives a session when the account has no second
    // factor, else a challenge (a token valid 5 minutes) that finishLogin takes with the code.
    struct PasswordStep {
        std::optional<Login> login;
        std::optional<std::string> challenge;
    };
    PasswordStep loginStep(const std::string& email, const std::string& password,
                           const std::string& clientAddress);
    // 401 challenge_expired for an unknown or expired challenge, 401 totp_required without a factor,
    // 401 invalid_totp (counted by the throttle; the challenge stays for another try), 429 when throttled.
    Login finishLogin(const std::string& challenge, const SecondFactor& factor,
                      const std::string& clientAddress);
    static constexpr int kChallengeSeconds = 5 * 60;

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
    // The password's check: throws (and counts the failure) when it is wrong; the account when right.
    User checkPassword(const std::string& email, const std::string& password,
                       const std::string& clientAddress);
    // Counts a wrong second factor against the account and the address, audited; throws invalid_totp.
    [[noreturn]] void refuseFactor(Session& s, Transaction& tx, const User& user,
                                   const std::string& clientAddress);
    // Opens the session of a user fully authenticated (clears the throttle, audited `user.login`).
    Login openSession(Session& s, const User& user, const std::string& clientAddress);
    std::string nowText() const;

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const PasswordHasher& hasher_;
    LoginThrottle throttle_;
    std::string dummyHash_;  // verified against when the account does not exist, to take the same time
};

}  // namespace chatiere::manager
