#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "domain/Actor.h"
#include "domain/LoginThrottle.h"
#include "store/SecondFactors.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// What a login brings beyond the password: a TOTP code, or one of the account's recovery codes.
struct SecondFactor {
    std::optional<std::string> totp;
    std::optional<std::string> recoveryCode;

    bool empty() const { return !totp && !recoveryCode; }
};

// The issuer name authenticator apps show beside the account.
inline constexpr const char* kTotpIssuer = "Chatière";
inline constexpr int kRecoveryCodeCount = 10;

// The step among nowStep−1 … nowStep+1 (one step of clock skew either way) whose code is `code` and
// that is later than lastStep (a code is accepted once); nullopt when there is none. Spaces in the
// code are ignored.
std::optional<std::int64_t> acceptableTotpStep(const std::string& secret, const std::string& code,
                                               std::int64_t nowStep, std::int64_t lastStep);
// A recovery code as shown: 10 random base32 characters (50 bits) as "xxxxx-xxxxx".
std::string newRecoveryCode();
// What is stored of a recovery code: the SHA-256 of its characters, case, spaces and dashes aside.
std::string recoveryCodeHash(const std::string& code);
// Checks `factor` against the enabled second factor of `userId` and uses it up: the code's step
// becomes the replay guard, a recovery code is spent (audited `user.recovery_code_used`). False
// when it is wrong, replayed or spent. Call it inside the transaction that acts on the result.
bool useSecondFactor(Session& s, const std::string& userId, const TotpState& state,
                     const SecondFactor& factor, base::Clock::TimePoint now, const Actor& actor);

// TOTP (RFC 6238) on one's own account: enrolment (a secret, confirmed by a first code, which
// gives ten single-use recovery codes), status, removal (password and a code), and the reset of
// `chatiere admin reset-totp` for someone who lost their authenticator. All audited.
class TotpService {
public:
    TotpService(Database& db, base::Clock& clock, const Settings& settings, const PasswordHasher& hasher);

    struct Enrolment {
        std::string secret;  // base32, to type into an authenticator app
        std::string otpauthUri;
    };
    struct Status {
        bool enabled = false;
        bool pending = false;   // begun, not yet confirmed
        bool required = false;  // staff without one while auth.require_totp_for_staff
        int recoveryCodesLeft = 0;
    };

    // A new secret, replacing a pending one; 409 totp_already_enabled when one is active.
    Enrolment begin(const Actor& actor);
    // The pending secret becomes active with its first code; returns the recovery codes (shown
    // once, stored hashed). 400 invalid_totp for a wrong code, 409 totp_not_started without a
    // pending secret, 409 totp_already_enabled.
    std::vector<std::string> confirm(const Actor& actor, const std::string& code);
    // Removes the second factor: the password and a code (TOTP or recovery). 401 invalid_credentials
    // or invalid_totp (both counted by the login throttle), 409 totp_not_enabled; nothing changed then.
    void remove(const Actor& actor, const std::string& password, const std::string& code);
    // Removes the second factor of the account `email` and closes its sessions (the CLI, on the
    // host). 404 for an unknown address, 409 totp_not_enabled when it has none.
    void reset(const std::string& email, const Actor& by);
    Status status(const Actor& actor);

private:
    std::string nowText() const;

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const PasswordHasher& hasher_;
    LoginThrottle throttle_;
};

}  // namespace chatiere::manager
