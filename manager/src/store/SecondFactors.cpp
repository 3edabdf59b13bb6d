#include "store/SecondFactors.h"

namespace chatiere::manager {

std::optional<TotpState> SecondFactorRepository::totpOf(const std::string& userId) {
    return session_.first(
        "SELECT totp_secret, totp_enabled_at, totp_last_step FROM users WHERE id = ?",
        [](const Row& r) {
            return TotpState{r.optText(0), r.optText(1), r.optInteger(2).value_or(0)};
        },
        userId);
}

void SecondFactorRepository::setPendingSecret(const std::string& userId, const std::string& secret,
                                              const std::string& at) {
    session_.execute(
        "UPDATE users SET totp_secret = ?, totp_enabled_at = NULL, totp_last_step = 0, updated_at = ? "
        "WHERE id = ?",
        secret, at, userId);
}

void SecondFactorRepository::enable(const std::string& userId, std::int64_t step, const std::string& at) {
    session_.execute(
        "UPDATE users SET totp_enabled_at = ?, totp_last_step = ?, updated_at = ? WHERE id = ? AND "
        "totp_secret IS NOT NULL",
        at, step, at, userId);
}

bool SecondFactorRepository::advanceStep(const std::string& userId, std::int64_t step) {
    return session_.execute("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step,
                            userId, step) > 0;
}

void SecondFactorRepository::clear(const std::string& userId, const std::string& at) {
    session_.execute(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0, updated_at = ? "
        "WHERE id = ?",
        at, userId);
    session_.execute("DELETE FROM recovery_codes WHERE user_id = ?", userId);
    session_.execute("DELETE FROM login_challenges WHERE user_id = ?", userId);
}

void SecondFactorRepository::replaceRecoveryCodes(const std::string& userId,
                                                  const std::vector<std::string>& codeHashes,
                                                  const std::string& at) {
    session_.execute("DELETE FROM recovery_codes WHERE user_id = ?", userId);
    for (const auto& hash : codeHashes) {
        session_.execute("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)",
                         userId, hash, at);
    }
}

bool SecondFactorRepository::useRecoveryCode(const std::string& userId, const std::string& codeHash,
                                             const std::string& at) {
    return session_.execute(
               "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS "
               "NULL",
               at, userId, codeHash) > 0;
}

int SecondFactorRepository::recoveryCodesLeft(const std::string& userId) {
    return static_cast<int>(
        session_.integer("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", userId)
            .value_or(0));
}

void SecondFactorRepository::insertChallenge(const std::string& tokenHash, const std::string& userId,
                                             const std::string& at, const std::string& expiresAt,
                                             const std::string& clientAddress) {
    session_.execute("DELETE FROM login_challenges WHERE expires_at <= ?", at);
    session_.execute(
        "INSERT INTO login_challenges (token_hash, user_id, created_at, expires_at, client_address) VALUES "
        "(?, ?, ?, ?, ?)",
        tokenHash, userId, at, expiresAt, clientAddress);
}

std::optional<std::string> SecondFactorRepository::challengeUser(const std::string& tokenHash,
                                                                 const std::string& at) {
    return session_.text("SELECT user_id FROM login_challenges WHERE token_hash = ? AND expires_at > ?",
                         tokenHash, at);
}

void SecondFactorRepository::deleteChallenge(const std::string& tokenHash) {
    session_.execute("DELETE FROM login_challenges WHERE token_hash = ?", tokenHash);
}

}  // namespace chatiere::manager
