#include "domain/AuthService.h"

#include "ServiceFixture.h"

using namespace chatiere::manager;
using chatiere::manager::testing::ServiceFixture;

namespace {

constexpr const char* kPassword = "a long admin passphrase";

class AuthServiceTest : public ServiceFixture {
protected:
    AuthServiceTest() {
        settings.loginMaxFailures = 3;
        settings.loginLockSeconds = 600;
        admin();
    }
    AuthService auth{db, clock, settings, hasher};
};

TEST_F(AuthServiceTest, LoginOpensASessionThatAuthenticatesUntilLogoutOrExpiry) {
    const auto login = auth.login("ADMIN@host.test", kPassword, "192.0.2.1");
    EXPECT_EQ(login.user.email, "admin@host.test");
    EXPECT_EQ(count("SELECT COUNT(*) FROM sessions"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.login'"), 1);
    const auto actor = auth.authenticate(login.token, "192.0.2.9");
    ASSERT_TRUE(actor);
    EXPECT_EQ(actor->userId, login.user.id);
    EXPECT_EQ(actor->staffRole, StaffRole::Admin);
    EXPECT_EQ(actor->clientAddress, "192.0.2.9");
    EXPECT_FALSE(auth.authenticate("not a token", "192.0.2.1"));
    EXPECT_FALSE(auth.authenticate("", "192.0.2.1"));

    auth.logout(login.token);
    EXPECT_FALSE(auth.authenticate(login.token, "192.0.2.1"));

    const auto second = auth.login("admin@host.test", kPassword, "192.0.2.1");
    clock.advance(std::chrono::hours(settings.sessionTtlHours) + std::chrono::seconds(1));
    EXPECT_FALSE(auth.authenticate(second.token, "192.0.2.1"));
    // The next login forgets the expired session.
    auth.login("admin@host.test", kPassword, "192.0.2.1");
    EXPECT_EQ(count("SELECT COUNT(*) FROM sessions"), 1);
}

TEST_F(AuthServiceTest, AWrongPasswordOrAddressIsUnauthenticatedAndOpensNoSession) {
    expectError([&] { auth.login("admin@host.test", "wrong password!", "192.0.2.1"); },
                ErrorKind::Unauthenticated, "invalid_credentials");
    expectError([&] { auth.login("nobody@host.test", kPassword, "192.0.2.2"); }, ErrorKind::Unauthenticated,
                "invalid_credentials");
    EXPECT_EQ(count("SELECT COUNT(*) FROM sessions"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.login_failed'"), 2);
}

TEST_F(AuthServiceTest, FailuresInARowLockTheAccountUntilTheLockEnds) {
    for (int i = 0; i < settings.loginMaxFailures; ++i) {
        expectError([&] { auth.login("admin@host.test", "wrong password!", "192.0.2." + std::to_string(i)); },
                    ErrorKind::Unauthenticated, "invalid_credentials");
    }
    // Locked: even the right password is refused, and nothing is written.
    try {
        auth.login("admin@host.test", kPassword, "198.51.100.1");
        ADD_FAILURE() << "a locked account logged in";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::TooManyRequests);
        EXPECT_EQ(e.code(), "too_many_attempts");
        EXPECT_GT(e.retryAfterSeconds(), 0);
        EXPECT_LE(e.retryAfterSeconds(), settings.loginLockSeconds + 1);
    }
    expectRefused([&] { auth.login("admin@host.test", kPassword, "198.51.100.1"); },
                  ErrorKind::TooManyRequests, "too_many_attempts");

    clock.advance(std::chrono::seconds(settings.loginLockSeconds + 1));
    auth.login("admin@host.test", kPassword, "198.51.100.1");
    EXPECT_EQ(count("SELECT COUNT(*) FROM login_throttle WHERE key LIKE 'account:%'"), 0);
}

TEST_F(AuthServiceTest, FailuresFromOneAddressLockThatAddress) {
    for (int i = 0; i < settings.loginMaxFailures; ++i) {
        expectError([&] { auth.login("user" + std::to_string(i) + "@x.test", "wrong", "203.0.113.7"); },
                    ErrorKind::Unauthenticated, "invalid_credentials");
    }
    expectRefused([&] { auth.login("admin@host.test", kPassword, "203.0.113.7"); },
                  ErrorKind::TooManyRequests, "too_many_attempts");
    // Another address is not locked.
    EXPECT_NO_THROW(auth.login("admin@host.test", kPassword, "203.0.113.8"));
}

TEST_F(AuthServiceTest, ApiTokensAuthenticateUntilRevoked) {
    const Actor me = admin();
    const auto [token, info] = auth.createApiToken(me, "ci");
    EXPECT_EQ(token.rfind("cht_", 0), 0u);
    EXPECT_EQ(info.name, "ci");
    clock.advance(std::chrono::minutes(5));
    const auto actor = auth.authenticate(token, "192.0.2.1");
    ASSERT_TRUE(actor);
    EXPECT_EQ(actor->userId, me.userId);
    const auto tokens = auth.listApiTokens(me);
    ASSERT_EQ(tokens.size(), 1u);
    EXPECT_EQ(tokens[0].id, info.id);
    EXPECT_EQ(tokens[0].lastUsedAt, formatTime(clock.now()));
    EXPECT_FALSE(tokens[0].revokedAt);

    auth.revokeApiToken(me, info.id);
    EXPECT_FALSE(auth.authenticate(token, "192.0.2.1"));
    EXPECT_TRUE(auth.listApiTokens(me)[0].revokedAt);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action IN ('token.create', 'token.revoke')"), 2);
}

TEST_F(AuthServiceTest, BadTokenRequestsAreRefusedAndWriteNothing) {
    const Actor me = admin();
    const auto created = auth.createApiToken(me, "ci");
    expectRefused([&] { auth.revokeApiToken(me, "tok_unknown"); }, ErrorKind::NotFound, "not_found");
    // Someone else's token is not found either.
    const Actor other{std::string("user_other"), "other@x.test", std::nullopt, ""};
    expectRefused([&] { auth.revokeApiToken(other, created.second.id); }, ErrorKind::NotFound, "not_found");
    expectRefused([&] { auth.createApiToken(Actor::anonymous("192.0.2.1"), "x"); },
                  ErrorKind::Unauthenticated, "unauthenticated");
    auth.revokeApiToken(me, created.second.id);
    expectRefused([&] { auth.revokeApiToken(me, created.second.id); }, ErrorKind::NotFound, "not_found");
}

}  // namespace
