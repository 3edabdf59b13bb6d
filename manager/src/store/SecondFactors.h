#pragma once

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// An account's TOTP state (columns of users).
struct TotpState {
    std::optional<std::string> secret;     // base32; nullopt: none
    std::optional<std::string> enabledAt;  // nullopt while an enrolment waits for its first code
    std::int64_t lastStep = 0;             // the last time step whose code was accepted

    bool enabled() const { return secret.has_value() && enabledAt.has_value(); }
    bool pending() const { return secret.has_value() && !enabledAt.has_value(); }
};

// The second factor of an account: its TOTP secret and replay guard, its recovery codes (stored as
// SHA-256, each used once) and the login challenges of the pages' two-step login (stored as the
// SHA-256 of their token).
class SecondFactorRepository {
public:
    explicit SecondFactorRepository(Session& session) : session_(session) {}

    // nullopt when the user does not exist.
    std::optional<TotpState> totpOf(const std::string& userId);
    // A new, not yet enabled secret (replacing any pending one).
    void setPendingSecret(const std::string& userId, const std::string& secret, const std::string& at);
    // The pending secret becomes the account's second factor; `step` is the code's step that confirmed it.
    void enable(const std::string& userId, std::int64_t step, const std::string& at);
    // Records that the code of `step` was accepted; false when a step as late or later already was
    // (the replay guard, atomic against a concurrent login).
    bool advanceStep(const std::string& userId, std::int64_t step);
    // Removes the secret, the recovery codes and the pending login challenges.
    void clear(const std::string& userId, const std::string& at);

    void replaceRecoveryCodes(const std::string& userId, const std::vector<std::string>& codeHashes,
                              const std::string& at);
    // Uses an unused recovery code up; false when there is none with this hash.
    bool useRecoveryCode(const std::string& userId, const std::string& codeHash, const std::string& at);
    int recoveryCodesLeft(const std::string& userId);

    // Login challenges. Inserting one also forgets those expired at `at`.
    void insertChallenge(const std::string& tokenHash, const std::string& userId, const std::string& at,
                         const std::string& expiresAt, const std::string& clientAddress);
    // The user of a challenge alive at `at`.
    std::optional<std::string> challengeUser(const std::string& tokenHash, const std::string& at);
    void deleteChallenge(const std::string& tokenHash);

private:
    Session& session_;
};

}  // namespace chatiere::manager
