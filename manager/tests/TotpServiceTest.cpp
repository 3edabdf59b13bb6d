#include "chatiere/manager/Totp.h"
#include "domain/AuthService.h"
#include "domain/TotpService.h"

#include "ServiceFixture.h"

using namespace chatiere::manager;
using chatiere::manager::testing::ServiceFixture;

namespace {

constexpr const char* kPassword = "a long admin passphrase";

class TotpServiceTest : public ServiceFixture {
protected:
    TotpServiceTest() {
        settings.loginMaxFailures = 3;
        settings.loginLockSeconds = 600;
        admin();
    }

    std::int64_t nowStep() const {
        return totpStep(
            std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count());
    }
    std::string codeAt(const std::string& secret, std::int64_t step) { return *totpCodeAtStep(secret, step); }

    // Enrols the admin; returns the secret and keeps the recovery codes.
    std::string enrol() {
        const auto enrolment = totp.begin(admin());
        recoveryCodes = totp.confirm(admin(), codeAt(enrolment.secret, nowStep()));
        return enrolment.secret;
    }

    TotpService totp{db, clock, settings, hasher};
    AuthService auth{db, clock, settings, hasher};
    std::vector<std::string> recoveryCodes;
};

TEST_F(TotpServiceTest, ACodeIsAcceptedOnceWithinOneStepOfSkew) {
    const std::string secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    EXPECT_EQ(acceptableTotpStep(secret, codeAt(secret, 100), 100, 0), 100);
    EXPECT_EQ(acceptableTotpStep(secret, codeAt(secret, 99), 100, 0), 99);
    EXPECT_EQ(acceptableTotpStep(secret, codeAt(secret, 101), 100, 0), 101);
    EXPECT_EQ(acceptableTotpStep(secret, codeAt(secret, 98), 100, 0), std::nullopt);
    EXPECT_EQ(acceptableTotpStep(secret, codeAt(secret, 102), 100, 0), std::nullopt);
    // The replay guard: no step at or before the last one used.
    EXPECT_EQ(acceptableTotpStep(secret, codeAt(secret, 100), 100, 100), std::nullopt);
    EXPECT_EQ(acceptableTotpStep(secret, codeAt(secret, 101), 100, 100), 101);
    EXPECT_EQ(acceptableTotpStep(secret, "123 456", 100, 0), std::nullopt);
    EXPECT_EQ(acceptableTotpStep(secret, "", 100, 0), std::nullopt);
    const std::string spaced = codeAt(secret, 100).insert(3, " ");
    EXPECT_EQ(acceptableTotpStep(secret, spaced, 100, 0), 100);
}

TEST_F(TotpServiceTest, EnrolmentIsConfirmedByAFirstCodeAndGivesTenRecoveryCodes) {
    EXPECT_FALSE(totp.status(admin()).enabled);
    EXPECT_TRUE(totp.status(admin()).required);
    const auto enrolment = totp.begin(admin());
    EXPECT_EQ(enrolment.secret.size(), 32u);
    EXPECT_EQ(enrolment.otpauthUri, otpauthUri("Chatière", "admin@host.test", enrolment.secret));
    EXPECT_TRUE(totp.status(admin()).pending);
    expectRefused([&] { totp.confirm(admin(), "000000"); }, ErrorKind::BadRequest, "invalid_totp");

    const auto codes = totp.confirm(admin(), codeAt(enrolment.secret, nowStep()));
    ASSERT_EQ(codes.size(), 10u);
    for (const auto& code : codes) {
        EXPECT_TRUE(std::regex_match(code, std::regex("[a-z2-7]{5}-[a-z2-7]{5}"))) << code;
    }
    const auto status = totp.status(admin());
    EXPECT_TRUE(status.enabled);
    EXPECT_FALSE(status.pending);
    EXPECT_FALSE(status.required);
    EXPECT_EQ(status.recoveryCodesLeft, 10);
    // Stored hashed only.
    EXPECT_EQ(count("SELECT COUNT(*) FROM recovery_codes WHERE code_hash LIKE '%" + codes[0] + "%'"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.totp_enabled'"), 1);

    expectRefused([&] { totp.begin(admin()); }, ErrorKind::Conflict, "totp_already_enabled");
    expectRefused([&] { totp.confirm(admin(), "123456"); }, ErrorKind::Conflict, "totp_already_enabled");
}

TEST_F(TotpServiceTest, ConfirmWithoutABeginningIsAConflict) {
    expectRefused([&] { totp.confirm(admin(), "123456"); }, ErrorKind::Conflict, "totp_not_started");
}

TEST_F(TotpServiceTest, LoginAsksForTheCodeAcceptsItOnceAndCountsWrongOnes) {
    const std::string secret = enrol();
    expectError([&] { auth.login("admin@host.test", kPassword, "192.0.2.1"); }, ErrorKind::Unauthenticated,
                "totp_required");
    // The enrolment's code was used: the same step is refused, the next one accepted.
    expectError(
        [&] {
            auth.login("admin@host.test", kPassword, {codeAt(secret, nowStep()), {}}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "invalid_totp");
    const auto login =
        auth.login("admin@host.test", kPassword, {codeAt(secret, nowStep() + 1), {}}, "192.0.2.1");
    EXPECT_FALSE(login.token.empty());
    expectError(
        [&] {
            auth.login("admin@host.test", kPassword, {codeAt(secret, nowStep() + 1), {}}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "invalid_totp");
    expectError(
        [&] {
            auth.login("admin@host.test", kPassword, {"000000", {}}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "invalid_totp");
    // Older than the last code used: refused too.
    expectError(
        [&] {
            auth.login("admin@host.test", kPassword, {codeAt(secret, nowStep() - 1), {}}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "invalid_totp");
    // Three failures in a row (settings.loginMaxFailures): locked, even with the right code.
    clock.advance(std::chrono::seconds(kTotpStepSeconds));
    expectRefused(
        [&] {
            auth.login("admin@host.test", kPassword, {codeAt(secret, nowStep() + 1), {}}, "192.0.2.1");
        },
        ErrorKind::TooManyRequests, "too_many_attempts");
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.login_failed' AND details LIKE "
                    "'%invalid_totp%'"),
              4);
}

TEST_F(TotpServiceTest, ARecoveryCodeWorksOnce) {
    enrol();
    auth.login("admin@host.test", kPassword, {{}, recoveryCodes[3]}, "192.0.2.1");
    expectError(
        [&] {
            auth.login("admin@host.test", kPassword, {{}, recoveryCodes[3]}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "invalid_totp");
    // Case and dashes aside.
    std::string upper = recoveryCodes[4];
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    upper.erase(5, 1);
    auth.login("admin@host.test", kPassword, {{}, upper}, "192.0.2.1");
    EXPECT_EQ(totp.status(admin()).recoveryCodesLeft, 8);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.recovery_code_used'"), 2);
}

TEST_F(TotpServiceTest, TheTwoStepLoginGivesAChallengeThenASession) {
    const std::string secret = enrol();
    const auto step = auth.loginStep("admin@host.test", kPassword, "192.0.2.1");
    ASSERT_FALSE(step.login);
    ASSERT_TRUE(step.challenge);
    expectError(
        [&] {
            auth.finishLogin(*step.challenge, {"000000", {}}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "invalid_totp");
    const auto login = auth.finishLogin(*step.challenge, {codeAt(secret, nowStep() + 1), {}}, "192.0.2.1");
    EXPECT_TRUE(auth.authenticate(login.token, "192.0.2.1"));
    // A challenge is used once.
    expectError(
        [&] {
            auth.finishLogin(*step.challenge, {codeAt(secret, nowStep() - 1), {}}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "challenge_expired");
    // And lives five minutes.
    const auto late = auth.loginStep("admin@host.test", kPassword, "192.0.2.1");
    clock.advance(std::chrono::seconds(AuthService::kChallengeSeconds + 1));
    expectError(
        [&] {
            auth.finishLogin(*late.challenge, {codeAt(secret, nowStep()), {}}, "192.0.2.1");
        },
        ErrorKind::Unauthenticated, "challenge_expired");
}

TEST_F(TotpServiceTest, AnAccountWithoutTotpLogsInAtThePasswordStep) {
    const auto step = auth.loginStep("admin@host.test", kPassword, "192.0.2.1");
    ASSERT_TRUE(step.login);
    EXPECT_FALSE(step.challenge);
}

TEST_F(TotpServiceTest, StaffWithoutASecondFactorMustEnrolUnlessTheSettingIsOff) {
    const auto login = auth.login("admin@host.test", kPassword, "192.0.2.1");
    EXPECT_TRUE(auth.authenticate(login.token, "192.0.2.1")->totpEnrolmentRequired);
    settings.requireTotpForStaff = false;
    EXPECT_FALSE(auth.authenticate(login.token, "192.0.2.1")->totpEnrolmentRequired);
    settings.requireTotpForStaff = true;
    enrol();
    EXPECT_FALSE(auth.authenticate(login.token, "192.0.2.1")->totpEnrolmentRequired);
}

TEST_F(TotpServiceTest, RemovalNeedsThePasswordAndACode) {
    const std::string secret = enrol();
    expectError([&] { totp.remove(admin(), "wrong password!", codeAt(secret, nowStep() + 1)); },
                ErrorKind::Unauthenticated, "invalid_credentials");
    expectError([&] { totp.remove(admin(), kPassword, "000000"); }, ErrorKind::Unauthenticated,
                "invalid_totp");
    EXPECT_TRUE(totp.status(admin()).enabled);
    totp.remove(admin(), kPassword, recoveryCodes[0]);
    EXPECT_FALSE(totp.status(admin()).enabled);
    EXPECT_EQ(count("SELECT COUNT(*) FROM recovery_codes"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.totp_removed'"), 1);
    expectRefused([&] { totp.remove(admin(), kPassword, "123456"); }, ErrorKind::Conflict,
                  "totp_not_enabled");
}

TEST_F(TotpServiceTest, ResetRemovesTheFactorAndTheSessions) {
    enrol();
    auth.login("admin@host.test", kPassword, {{}, recoveryCodes[0]}, "192.0.2.1");
    totp.reset("ADMIN@host.test", Actor::system("cli"));
    EXPECT_FALSE(totp.status(admin()).enabled);
    EXPECT_EQ(count("SELECT COUNT(*) FROM sessions"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.totp_reset' AND actor = 'cli'"), 1);
    expectRefused([&] { totp.reset("admin@host.test", Actor::system("cli")); }, ErrorKind::Conflict,
                  "totp_not_enabled");
    expectRefused([&] { totp.reset("nobody@host.test", Actor::system("cli")); }, ErrorKind::NotFound,
                  "not_found");
}

}  // namespace
