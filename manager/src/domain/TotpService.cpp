#include "domain/TotpService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Totp.h"
#include "domain/AuditLog.h"
#include "store/Users.h"

#include <cctype>

namespace chatiere::manager {

namespace {

std::int64_t unixSeconds(base::Clock::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string withoutSpaces(const std::string& code) {
    std::string out;
    for (const char c : code) {
        if (c != ' ') {
            out.push_back(c);
        }
    }
    return out;
}

bool looksLikeTotp(const std::string& code) {
    const std::string digits = withoutSpaces(code);
    return digits.size() == static_cast<std::size_t>(kTotpDigits) &&
           digits.find_first_not_of("0123456789") == std::string::npos;
}

Error invalidTotp(ErrorKind kind = ErrorKind::Unauthenticated) {
    return Error(kind, "invalid_totp", "The code is wrong or was already used.");
}

// The signed-in user's second factor; 401 for the system or an account since removed.
TotpState signedInState(SecondFactorRepository& factors, const Actor& actor) {
    std::optional<TotpState> state;
    if (actor.userId) {
        state = factors.totpOf(*actor.userId);
    }
    if (!state) {
        throw Error::unauthenticated();
    }
    return *state;
}

}  // namespace

std::optional<std::int64_t> acceptableTotpStep(const std::string& secret, const std::string& code,
                                               std::int64_t nowStep, std::int64_t lastStep) {
    const std::string given = withoutSpaces(code);
    if (given.size() != static_cast<std::size_t>(kTotpDigits)) {
        return std::nullopt;
    }
    std::optional<std::int64_t> accepted;
    for (std::int64_t step = nowStep - 1; step <= nowStep + 1; ++step) {
        const auto expected = totpCodeAtStep(secret, step);
        // Every step is computed and compared in constant time, whether an earlier one matched or not.
        if (expected && constantTimeEquals(*expected, given) && step > lastStep && !accepted) {
            accepted = step;
        }
    }
    return accepted;
}

std::string newRecoveryCode() {
    const std::string chars = base32(secureRandomBytes(7)).substr(0, 10);
    return chars.substr(0, 5) + "-" + chars.substr(5);
}

std::string recoveryCodeHash(const std::string& code) {
    std::string normal;
    for (const char c : code) {
        if (c != ' ' && c != '-') {
            normal.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    return hashToken("recovery:" + normal);
}

bool useSecondFactor(Session& s, const std::string& userId, const TotpState& state,
                     const SecondFactor& factor, base::Clock::TimePoint now, const Actor& actor) {
    if (!state.enabled()) {
        return false;
    }
    SecondFactorRepository factors(s);
    if (factor.totp) {
        const auto step =
            acceptableTotpStep(*state.secret, *factor.totp, totpStep(unixSeconds(now)), state.lastStep);
        return step && factors.advanceStep(userId, *step);
    }
    if (factor.recoveryCode) {
        const std::string at = formatTime(now);
        if (!factors.useRecoveryCode(userId, recoveryCodeHash(*factor.recoveryCode), at)) {
            return false;
        }
        Poco::JSON::Object details;
        details.set("left", factors.recoveryCodesLeft(userId));
        AuditLog::record(s, actor, at, "user.recovery_code_used", "user", userId, std::nullopt, details);
        return true;
    }
    return false;
}

TotpService::TotpService(Database& db, base::Clock& clock, const Settings& settings,
                         const PasswordHasher& hasher)
    : db_(db), clock_(clock), settings_(settings), hasher_(hasher), throttle_(clock, settings) {}

std::string TotpService::nowText() const {
    return formatTime(clock_.now());
}

TotpService::Enrolment TotpService::begin(const Actor& actor) {
    auto s = db_.session();
    Transaction tx(s);
    SecondFactorRepository factors(s);
    const auto state = signedInState(factors, actor);
    if (state.enabled()) {
        throw Error(ErrorKind::Conflict, "totp_already_enabled",
                    "A second factor is already active on this account; remove it first.");
    }
    Enrolment enrolment;
    enrolment.secret = newTotpSecret();
    enrolment.otpauthUri = otpauthUri(kTotpIssuer, actor.label, enrolment.secret);
    factors.setPendingSecret(*actor.userId, enrolment.secret, nowText());
    tx.commit();
    return enrolment;
}

std::vector<std::string> TotpService::confirm(const Actor& actor, const std::string& code) {
    auto s = db_.session();
    Transaction tx(s);
    SecondFactorRepository factors(s);
    const auto state = signedInState(factors, actor);
    if (state.enabled()) {
        throw Error(ErrorKind::Conflict, "totp_already_enabled", "A second factor is already active.");
    }
    if (!state.pending()) {
        throw Error(ErrorKind::Conflict, "totp_not_started",
                    "Start the enrolment first (POST /api/v1/me/totp).");
    }
    const auto step = acceptableTotpStep(*state.secret, code, totpStep(unixSeconds(clock_.now())), 0);
    if (!step) {
        throw invalidTotp(ErrorKind::BadRequest);
    }
    const std::string at = nowText();
    factors.enable(*actor.userId, *step, at);
    std::vector<std::string> codes;
    std::vector<std::string> hashes;
    for (int i = 0; i < kRecoveryCodeCount; ++i) {
        codes.push_back(newRecoveryCode());
        hashes.push_back(recoveryCodeHash(codes.back()));
    }
    factors.replaceRecoveryCodes(*actor.userId, hashes, at);
    AuditLog::record(s, actor, at, "user.totp_enabled", "user", *actor.userId, std::nullopt);
    tx.commit();
    return codes;
}

void TotpService::remove(const Actor& actor, const std::string& password, const std::string& code) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    const std::string accountKey = LoginThrottle::accountKey(actor.label);
    const std::string addressKey = LoginThrottle::addressKey(actor.clientAddress);
    std::optional<User> user;
    {
        auto s = db_.session();
        throttle_.check(s, accountKey);
        throttle_.check(s, addressKey);
        user = UserRepository(s).findById(*actor.userId);
        if (!user) {
            throw Error::unauthenticated();
        }
        const auto state = SecondFactorRepository(s).totpOf(user->id);
        if (!state || !state->enabled()) {
            throw Error(ErrorKind::Conflict, "totp_not_enabled",
                        "This account has no second factor to remove.");
        }
    }
    // Outside any transaction: it takes tens of milliseconds by design.
    const bool passwordOk = hasher_.verify(password, user->passwordHash);

    auto s = db_.session();
    Transaction tx(s);
    const std::string at = nowText();
    SecondFactorRepository factors(s);
    const auto state = factors.totpOf(user->id);
    bool factorOk = false;
    if (passwordOk && state) {
        SecondFactor factor;
        (looksLikeTotp(code) ? factor.totp : factor.recoveryCode) = code;
        factorOk = useSecondFactor(s, user->id, *state, factor, clock_.now(), actor);
    }
    if (!passwordOk || !factorOk) {
        throttle_.recordFailure(s, accountKey);
        throttle_.recordFailure(s, addressKey);
        Poco::JSON::Object details;
        details.set("reason", passwordOk ? "invalid_totp" : "invalid_credentials");
        AuditLog::record(s, actor, at, "user.totp_remove_failed", "user", user->id, std::nullopt, details);
        tx.commit();  // the failures count; the second factor stays as it was
        if (!passwordOk) {
            throw Error(ErrorKind::Unauthenticated, "invalid_credentials", "The password is wrong.");
        }
        throw invalidTotp();
    }
    throttle_.clear(s, accountKey);
    throttle_.clear(s, addressKey);
    factors.clear(user->id, at);
    AuditLog::record(s, actor, at, "user.totp_removed", "user", user->id, std::nullopt);
    tx.commit();
}

void TotpService::reset(const std::string& email, const Actor& by) {
    auto s = db_.session();
    Transaction tx(s);
    UserRepository users(s);
    const auto user = users.findByEmail(email);
    if (!user) {
        throw Error(ErrorKind::NotFound, "not_found", "No account has the e-mail address " + email + ".");
    }
    SecondFactorRepository factors(s);
    const auto state = factors.totpOf(user->id);
    if (!state || !state->secret) {
        throw Error(ErrorKind::Conflict, "totp_not_enabled", email + " has no second factor to reset.");
    }
    const std::string at = nowText();
    factors.clear(user->id, at);
    users.closeSessionsOf(user->id);
    Poco::JSON::Object details;
    details.set("email", user->email);
    details.set("was_enabled", state->enabled());
    AuditLog::record(s, by, at, "user.totp_reset", "user", user->id, std::nullopt, details);
    tx.commit();
}

TotpService::Status TotpService::status(const Actor& actor) {
    Status status;
    if (!actor.userId) {
        return status;
    }
    auto s = db_.session();
    SecondFactorRepository factors(s);
    if (const auto state = factors.totpOf(*actor.userId)) {
        status.enabled = state->enabled();
        status.pending = state->pending();
        status.recoveryCodesLeft = status.enabled ? factors.recoveryCodesLeft(*actor.userId) : 0;
    }
    status.required = actor.isStaff() && settings_.requireTotpForStaff && !status.enabled;
    return status;
}

}  // namespace chatiere::manager
