// TOTP (issue 15) through the real daemon: enrolment, login with and without the code, wrong,
// replayed and recovery codes, the throttle, the staff requirement (sessions and API tokens),
// removal, and `chatiere admin reset-totp` run as the real binary.

#include "TestDaemon.h"

#include "chatiere/manager/Totp.h"

#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;

namespace {

constexpr const char* kPassword = "correct horse battery";
constexpr const char* kManager = "camille@jardin.test";

std::string sessionBody(const std::string& email, const std::string& extra = "") {
    return R"({"email": ")" + email + R"(", "password": "correct horse battery")" + extra + "}";
}

class TotpTest : public ::testing::Test {
protected:
    TotpTest() : d_([](chatiere::manager::Settings& s) { s.loginMaxFailures = 3; }) {
        d_.signup("Jardin partagé", kManager);
    }

    // The code of the step `offset` steps from the daemon's clock.
    std::string code(const std::string& secret, std::int64_t offset = 0) {
        return *chatiere::manager::totpCodeAtStep(secret, d_.nowTotpStep() + offset);
    }

    // The manager signed in, enrolled: {client, secret, recovery codes}. The confirming code is the
    // current step's, so a login takes the next step's.
    struct Enrolled {
        ApiClient client;
        std::string secret;
        std::vector<std::string> recoveryCodes;
    };
    Enrolled enrolManager() {
        ApiClient c = d_.login(kManager, kPassword);
        const auto begun = c.post("/api/v1/me/totp", "{}");
        EXPECT_EQ(begun.status, 201) << begun.body;
        const std::string secret = begun.json()->getValue<std::string>("secret");
        const auto confirmed = c.post("/api/v1/me/totp/confirm", R"({"code": ")" + code(secret) + "\"}");
        EXPECT_EQ(confirmed.status, 200) << confirmed.body;
        std::vector<std::string> codes;
        const auto array = confirmed.json()->getArray("recovery_codes");
        for (std::size_t i = 0; i < array->size(); ++i) {
            codes.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
        }
        return {c, secret, codes};
    }

    // The audit entries of `action`, read by an enrolled admin.
    Poco::JSON::Array::Ptr audit(const std::string& action) {
        if (!auditor_) {
            auditor_ = std::make_unique<ApiClient>(d_.staffClient("auditrice@chatons.test"));
        }
        const auto r = auditor_->get("/api/v1/audit?action=" + action);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()->getArray("entries");
    }

    Poco::JSON::Object::Ptr totpOf(const ApiClient& c) {
        const auto me = c.get("/api/v1/me");
        EXPECT_EQ(me.status, 200) << me.body;
        return me.json()->getObject("totp");
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> auditor_;
};

TEST_F(TotpTest, EnrolConfirmThenLoginNeedsTheCode) {
    ApiClient c = d_.login(kManager, kPassword);
    EXPECT_FALSE(totpOf(c)->getValue<bool>("enabled"));
    EXPECT_FALSE(totpOf(c)->getValue<bool>("required")) << "not staff";

    const auto begun = c.post("/api/v1/me/totp", "{}");
    ASSERT_EQ(begun.status, 201) << begun.body;
    const std::string secret = begun.json()->getValue<std::string>("secret");
    EXPECT_TRUE(std::regex_match(secret, std::regex("[A-Z2-7]{32}"))) << secret;
    EXPECT_EQ(begun.json()->getValue<std::string>("otpauth_uri"),
              "otpauth://totp/Chati%C3%A8re:camille%40jardin.test?secret=" + secret +
                  "&issuer=Chati%C3%A8re&algorithm=SHA1&digits=6&period=30");
    EXPECT_TRUE(totpOf(c)->getValue<bool>("pending"));

    // A wrong first code: 400, still pending; a body without the code: 400 with the field.
    const auto wrong = c.post("/api/v1/me/totp/confirm", R"({"code": "000000"})");
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(wrong.errorCode(), "invalid_totp");
    const auto missing = c.post("/api/v1/me/totp/confirm", "{}");
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(missing.fieldErrors().at("code"), "missing");
    EXPECT_FALSE(totpOf(c)->getValue<bool>("enabled"));
    // Pending: a login still needs no code.
    EXPECT_EQ(c.post("/api/v1/sessions", sessionBody(kManager)).status, 201);

    const auto confirmed = c.post("/api/v1/me/totp/confirm", R"({"code": ")" + code(secret) + "\"}");
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
    const auto codes = confirmed.json()->getArray("recovery_codes");
    ASSERT_EQ(codes->size(), 10u);
    EXPECT_TRUE(std::regex_match(codes->getElement<std::string>(0), std::regex("[a-z2-7]{5}-[a-z2-7]{5}")));
    EXPECT_TRUE(totpOf(c)->getValue<bool>("enabled"));
    EXPECT_EQ(totpOf(c)->getValue<int>("recovery_codes_left"), 10);
    EXPECT_EQ(c.post("/api/v1/me/totp", "{}").errorCode(), "totp_already_enabled");

    // The password alone: 401 totp_required, no session.
    ApiClient anonymous = d_.client();
    const auto withoutCode = anonymous.post("/api/v1/sessions", sessionBody(kManager));
    EXPECT_EQ(withoutCode.status, 401);
    EXPECT_EQ(withoutCode.errorCode(), "totp_required");
    EXPECT_TRUE(withoutCode.cookies.empty());
    // A wrong password stays invalid_credentials, code or not.
    EXPECT_EQ(anonymous
                  .post("/api/v1/sessions",
                        R"({"email": "camille@jardin.test", "password": "wrong wrong wrong", "totp": ")" +
                            code(secret, 1) + "\"}")
                  .errorCode(),
              "invalid_credentials");

    const auto withCode =
        anonymous.post("/api/v1/sessions", sessionBody(kManager, R"(, "totp": ")" + code(secret, 1) + "\""));
    ASSERT_EQ(withCode.status, 201) << withCode.body;
    ApiClient signedIn = d_.client();
    signedIn.setToken(withCode.json()->getValue<std::string>("token"));
    EXPECT_EQ(signedIn.get("/api/v1/me").status, 200);
    EXPECT_EQ(audit("user.totp_enabled&actor_label=camille@jardin.test")->size(), 1u);
}

TEST_F(TotpTest, AReplayedCodeIsRefused) {
    auto [c, secret, recovery] = enrolManager();
    const std::string next = code(secret, 1);
    EXPECT_EQ(c.post("/api/v1/sessions", sessionBody(kManager, R"(, "totp": ")" + next + "\"")).status, 201);
    const auto replay = c.post("/api/v1/sessions", sessionBody(kManager, R"(, "totp": ")" + next + "\""));
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(replay.errorCode(), "invalid_totp");
    // The code that confirmed the enrolment was used too.
    EXPECT_EQ(
        c.post("/api/v1/sessions", sessionBody(kManager, R"(, "totp": ")" + code(secret) + "\"")).errorCode(),
        "invalid_totp");
    // The next step is accepted once the clock reaches it (one step of skew).
    d_.clock().advance(std::chrono::seconds(30));
    EXPECT_EQ(
        c.post("/api/v1/sessions", sessionBody(kManager, R"(, "totp": ")" + code(secret, 1) + "\"")).status,
        201);
}

TEST_F(TotpTest, WrongCodesAreThrottledLikePasswords) {
    auto [c, secret, recovery] = enrolManager();
    const std::size_t failedBefore = audit("user.login_failed")->size();  // the auditor signs in first
    ApiClient anonymous = d_.client();
    for (int i = 0; i < d_.settings().loginMaxFailures; ++i) {
        const auto r = anonymous.post("/api/v1/sessions", sessionBody(kManager, R"(, "totp": "000000")"));
        EXPECT_EQ(r.status, 401);
        EXPECT_EQ(r.errorCode(), "invalid_totp");
    }
    const auto locked =
        anonymous.post("/api/v1/sessions", sessionBody(kManager, R"(, "totp": ")" + code(secret, 1) + "\""));
    EXPECT_EQ(locked.status, 429);
    EXPECT_EQ(locked.errorCode(), "too_many_attempts");
    EXPECT_TRUE(locked.headers.count("Retry-After"));
    EXPECT_EQ(audit("user.login_failed")->size(),
              failedBefore + static_cast<std::size_t>(d_.settings().loginMaxFailures));
}

TEST_F(TotpTest, ARecoveryCodeIsAcceptedOnce) {
    auto [c, secret, recovery] = enrolManager();
    const std::string body = sessionBody(kManager, R"(, "recovery_code": ")" + recovery[2] + "\"");
    EXPECT_EQ(c.post("/api/v1/sessions", body).status, 201);
    const auto again = c.post("/api/v1/sessions", body);
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(again.errorCode(), "invalid_totp");
    EXPECT_EQ(totpOf(c)->getValue<int>("recovery_codes_left"), 9);
    EXPECT_EQ(audit("user.recovery_code_used")->size(), 1u);
}

TEST_F(TotpTest, StaffMustEnrolBeforeAnythingElseOnTheApi) {
    const auto created =
        runChatiere({"admin", "create", "--email", "admin@chatons.test", "--config", d_.configPath()},
                    "correct horse battery\n");
    ASSERT_EQ(created.exitCode, 0) << created.err;
    ApiClient admin = d_.login("admin@chatons.test", kPassword);  // the password suffices: nothing to ask yet

    const auto refused = admin.get("/api/v1/associations");
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.errorCode(), "totp_enrolment_required");
    EXPECT_EQ(admin.post("/api/v1/tokens", R"({"name": "script"})").errorCode(), "totp_enrolment_required");
    EXPECT_EQ(admin.get("/api/v1/system/overview").status, 403);
    // Who am I, and what must I do: allowed.
    EXPECT_TRUE(totpOf(admin)->getValue<bool>("required"));
    EXPECT_FALSE(totpOf(admin)->getValue<bool>("enabled"));

    const auto recovery = d_.enrolTotp(admin, "admin@chatons.test");
    EXPECT_EQ(recovery.size(), 10u);
    EXPECT_EQ(admin.get("/api/v1/associations").status, 200) << "the same session, now enrolled";
    EXPECT_FALSE(totpOf(admin)->getValue<bool>("required"));

    // An API token of an admin whose second factor is reset is refused the same way.
    const auto token = admin.post("/api/v1/tokens", R"({"name": "script"})");
    ASSERT_EQ(token.status, 201) << token.body;
    ApiClient script = d_.client();
    script.setToken(token.json()->getValue<std::string>("token"));
    EXPECT_EQ(script.get("/api/v1/associations").status, 200);
    const auto reset =
        runChatiere({"admin", "reset-totp", "--email", "admin@chatons.test", "--config", d_.configPath()});
    ASSERT_EQ(reset.exitCode, 0) << reset.err;
    d_.forgetTotp("admin@chatons.test");
    const auto tokenRefused = script.get("/api/v1/associations");
    EXPECT_EQ(tokenRefused.status, 403);
    EXPECT_EQ(tokenRefused.errorCode(), "totp_enrolment_required");
    EXPECT_EQ(script.get("/api/v1/me").status, 200);
    // Logging out works anyway.
    ApiClient again = d_.login("admin@chatons.test", kPassword);
    EXPECT_EQ(again.del("/api/v1/sessions").status, 200);
    EXPECT_EQ(again.get("/api/v1/me").status, 401);
}

TEST(TotpSetting, StaffWithoutASecondFactorAreAllowedWhenTheRequirementIsOff) {
    TestDaemon d([](chatiere::manager::Settings& s) { s.requireTotpForStaff = false; });
    ASSERT_EQ(runChatiere({"admin", "create", "--email", "admin@chatons.test", "--config", d.configPath()},
                          "correct horse battery\n")
                  .exitCode,
              0);
    ApiClient admin = d.login("admin@chatons.test", kPassword);
    EXPECT_EQ(admin.get("/api/v1/associations").status, 200);
    EXPECT_FALSE(admin.get("/api/v1/me").json()->getObject("totp")->getValue<bool>("required"));
}

TEST_F(TotpTest, RemovalNeedsThePasswordAndACode) {
    auto [c, secret, recovery] = enrolManager();
    const auto wrongPassword =
        c.request("DELETE", "/api/v1/me/totp",
                  R"({"password": "not the password", "code": ")" + code(secret, 1) + "\"}");
    EXPECT_EQ(wrongPassword.status, 401);
    EXPECT_EQ(wrongPassword.errorCode(), "invalid_credentials");
    EXPECT_TRUE(totpOf(c)->getValue<bool>("enabled")) << "nothing changed";
    EXPECT_EQ(totpOf(c)->getValue<int>("recovery_codes_left"), 10);
    const auto wrongCode =
        c.request("DELETE", "/api/v1/me/totp", R"({"password": "correct horse battery", "code": "000000"})");
    EXPECT_EQ(wrongCode.status, 401);
    EXPECT_EQ(wrongCode.errorCode(), "invalid_totp");
    EXPECT_EQ(c.request("DELETE", "/api/v1/me/totp", R"({"code": "000000"})").fieldErrors().at("password"),
              "missing");
    EXPECT_TRUE(totpOf(c)->getValue<bool>("enabled"));

    const auto removed =
        c.request("DELETE", "/api/v1/me/totp",
                  R"({"password": "correct horse battery", "code": ")" + code(secret, 1) + "\"}");
    ASSERT_EQ(removed.status, 200) << removed.body;
    EXPECT_FALSE(totpOf(c)->getValue<bool>("enabled"));
    EXPECT_EQ(c.post("/api/v1/sessions", sessionBody(kManager)).status, 201) << "the password suffices again";
    EXPECT_EQ(audit("user.totp_removed")->size(), 1u);
    EXPECT_EQ(
        c.request("DELETE", "/api/v1/me/totp", R"({"password": "correct horse battery", "code": "123456"})")
            .errorCode(),
        "totp_not_enabled");
}

TEST_F(TotpTest, AdminResetTotpOnTheHost) {
    auto [c, secret, recovery] = enrolManager();
    const auto usage = runChatiere({"admin", "reset-totp", "--config", d_.configPath()});
    EXPECT_EQ(usage.exitCode, 64);
    EXPECT_NE(usage.err.find("--email"), std::string::npos) << usage.err;
    const auto unknown =
        runChatiere({"admin", "reset-totp", "--email", "nobody@jardin.test", "--config", d_.configPath()});
    EXPECT_EQ(unknown.exitCode, 66);
    EXPECT_NE(unknown.err.find("nobody@jardin.test"), std::string::npos) << unknown.err;

    const auto reset = runChatiere({"admin", "reset-totp", "--email", kManager, "--config", d_.configPath()});
    ASSERT_EQ(reset.exitCode, 0) << reset.err;
    EXPECT_NE(reset.out.find(kManager), std::string::npos);
    EXPECT_EQ(c.get("/api/v1/me").status, 401) << "its sessions are closed";
    ApiClient again = d_.login(kManager, kPassword);
    EXPECT_FALSE(totpOf(again)->getValue<bool>("enabled"));

    const auto twice = runChatiere({"admin", "reset-totp", "--email", kManager, "--config", d_.configPath()});
    EXPECT_EQ(twice.exitCode, 65);
    EXPECT_NE(twice.err.find("no second factor"), std::string::npos) << twice.err;

    const auto entries = audit("user.totp_reset");
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ(entries->getObject(0)->getValue<std::string>("actor"), "cli");
    EXPECT_EQ(entries->getObject(0)->getObject("details")->getValue<std::string>("email"), kManager);
}

}  // namespace
