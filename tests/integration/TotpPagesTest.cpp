// The second factor through the pages, on the real server: enrolment on the account security page
// (the secret as text and as a QR code, a first code, the recovery codes shown once), the login's
// second step (right code, wrong code, recovery code, an expired challenge, the throttle), the
// removal, and the staff requirement (a 403 page everywhere but the enrolment pages).

#include "Browser.h"
#include "TestDaemon.h"

#include "chatiere/manager/Totp.h"

#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;
using namespace chatiere::manager;

namespace {

const std::string kPassword = "correct horse battery";

std::string between(const std::string& s, const std::string& from, const std::string& to) {
    const auto a = s.find(from);
    if (a == std::string::npos) {
        return "";
    }
    const auto b = s.find(to, a + from.size());
    return b == std::string::npos ? "" : s.substr(a + from.size(), b - a - from.size());
}

bool has(const ApiResponse& r, const std::string& text) {
    return pageText(r).find(text) != std::string::npos;
}

class TotpPages : public ::testing::Test {
protected:
    void SetUp() override { d_.signup("Jardin partagé", "camille@jardin.test"); }

    std::string code(const std::string& secret, std::int64_t step) { return *totpCodeAtStep(secret, step); }
    // Moves the daemon's clock to the next TOTP step (a code is accepted once per step).
    void nextStep() { d_.clock().advance(std::chrono::seconds(kTotpStepSeconds)); }

    // Enrols the account signed in on `b` through the forms; returns {secret, recovery codes}.
    std::pair<std::string, std::vector<std::string>> enrol(Browser& b) {
        auto r = b.get("/account/security");
        EXPECT_EQ(r.status, 200) << r.body;
        r = b.post("/account/security/totp", {});
        EXPECT_EQ(r.status, 200) << r.body;
        const std::string secret = between(r.body, "data-secret=\"", "\"");
        EXPECT_EQ(secret.size(), 32u) << r.body;
        r = b.post("/account/security/totp/confirm",
                   {{"secret", secret}, {"code", code(secret, d_.nowTotpStep())}});
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::string> codes;
        const std::regex item(R"(<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>)", std::regex::icase);
        for (std::sregex_iterator it(r.body.begin(), r.body.end(), item), end; it != end; ++it) {
            codes.push_back((*it)[1].str());
        }
        return {secret, codes};
    }

    // The password step of the login form; the page it answers (the second step, or the error).
    ApiResponse passwordStep(Browser& b, const std::string& email, const std::string& password = kPassword) {
        b.get("/login");
        return b.post("/login", {{"email", email}, {"password", password}});
    }

    TestDaemon d_;
};

TEST_F(TotpPages, EnrolmentShowsTheSecretAndTheQrCodeThenTheRecoveryCodesOnce) {
    Browser b = signedInBrowser(d_, "camille@jardin.test");
    // Reachable from every page of a signed-in user (the header).
    EXPECT_NE(b.get("/").body.find("href=\"/account/security\""), std::string::npos);
    auto r = b.get("/account/security");
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(has(r, "data-totp=\"disabled\""));
    EXPECT_NE(r.body.find("action=\"/account/security/totp\""), std::string::npos);

    r = b.post("/account/security/totp", {});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string secret = between(r.body, "data-secret=\"", "\"");
    ASSERT_EQ(secret.size(), 32u);
    // The key grouped by 4 for typing, and the QR code inline (drawn by the daemon).
    EXPECT_TRUE(has(r, secret.substr(0, 4) + " " + secret.substr(4, 4) + " "));
    EXPECT_NE(r.body.find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\""),
              std::string::npos);
    EXPECT_NE(r.body.find("<path fill=\"#000\" d=\"M4 4h7v1h-7z"),
              std::string::npos);  // the finder's top row

    // A wrong first code: the same secret shown again, nothing enabled.
    const std::string right = code(secret, d_.nowTotpStep());
    const std::string wrong = right == "000000" ? "111111" : "000000";
    r = b.post("/account/security/totp/confirm", {{"secret", secret}, {"code", wrong}});
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(has(r, "Code incorrect"));
    EXPECT_EQ(between(r.body, "data-secret=\"", "\""), secret);
    EXPECT_TRUE(has(b.get("/account/security"), "data-totp=\"disabled\""));
    // Without the form token: refused.
    EXPECT_EQ(b.post("/account/security/totp/confirm", {{"secret", secret}, {"code", right}}, false).status,
              403);

    r = b.post("/account/security/totp/confirm", {{"secret", secret}, {"code", right}});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::regex item(R"(<li><code>[a-z2-7]{5}-[a-z2-7]{5}</code></li>)", std::regex::icase);
    EXPECT_EQ(std::distance(std::sregex_iterator(r.body.begin(), r.body.end(), item), std::sregex_iterator()),
              10);
    EXPECT_TRUE(has(r, "Ils ne seront plus jamais affichés."));

    // Shown once: the status page gives their count only.
    r = b.get("/account/security");
    EXPECT_TRUE(has(r, "data-totp=\"enabled\""));
    EXPECT_TRUE(has(r, "Codes de secours restants : 10."));
    EXPECT_FALSE(std::regex_search(r.body, item));
    // Begun again while enabled (a second click): back to the status, nothing changed.
    r = b.post("/account/security/totp", {});
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.headers["Location"], "/account/security");
    EXPECT_TRUE(has(b.get("/account/security"), "Codes de secours restants : 10."));
}

TEST_F(TotpPages, TheLoginAsksForTheCodeAfterThePassword) {
    Browser first = signedInBrowser(d_, "camille@jardin.test");
    const auto [secret, recovery] = enrol(first);
    ASSERT_EQ(recovery.size(), 10u);
    nextStep();

    // The password alone: the second step, no session yet.
    Browser b(d_.daemon().port());
    auto r = passwordStep(b, "camille@jardin.test");
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string challenge = loginChallenge(r);
    ASSERT_FALSE(challenge.empty());
    EXPECT_TRUE(has(r, "Utiliser plutôt un code de secours"));
    EXPECT_TRUE(b.cookie("chatiere_session").empty());
    EXPECT_EQ(b.get("/space").status, 303);

    // A wrong code: 401 with the message, the same challenge offered again.
    const std::string right = code(secret, d_.nowTotpStep());
    r = b.post("/login/totp", {{"challenge", challenge}, {"code", right == "000000" ? "111111" : "000000"}});
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(has(r, "Code incorrect ou déjà utilisé"));
    EXPECT_EQ(loginChallenge(r), challenge);
    EXPECT_TRUE(b.cookie("chatiere_session").empty());

    r = b.post("/login/totp", {{"challenge", challenge}, {"code", right}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], "/space");
    EXPECT_EQ(b.get("/api/v1/me").status, 200);  // signed in

    // The same code again (another browser, same step): refused, it was used.
    Browser replay(d_.daemon().port());
    r = passwordStep(replay, "camille@jardin.test");
    r = replay.post("/login/totp", {{"challenge", loginChallenge(r)}, {"code", right}});
    EXPECT_EQ(r.status, 401);
}

TEST_F(TotpPages, ARecoveryCodeStandsInOnce) {
    Browser first = signedInBrowser(d_, "camille@jardin.test");
    const auto [secret, recovery] = enrol(first);
    ASSERT_FALSE(recovery.empty());

    Browser b(d_.daemon().port());
    auto r = passwordStep(b, "camille@jardin.test");
    r = b.post("/login/totp", {{"challenge", loginChallenge(r)}, {"recovery_code", recovery[0]}});
    ASSERT_EQ(r.status, 303) << r.body;
    r = b.get("/account/security");
    EXPECT_TRUE(has(r, "Codes de secours restants : 9."));

    Browser again(d_.daemon().port());
    r = passwordStep(again, "camille@jardin.test");
    r = again.post("/login/totp", {{"challenge", loginChallenge(r)}, {"recovery_code", recovery[0]}});
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(has(r, "Code de secours incorrect ou déjà utilisé."));
}

TEST_F(TotpPages, AnExpiredChallengeGoesBackToThePasswordAndWrongCodesAreThrottled) {
    Browser first = signedInBrowser(d_, "camille@jardin.test");
    const auto [secret, recovery] = enrol(first);

    Browser b(d_.daemon().port());
    auto r = passwordStep(b, "camille@jardin.test");
    const std::string challenge = loginChallenge(r);
    d_.clock().advance(std::chrono::minutes(6));
    r = b.post("/login/totp", {{"challenge", challenge}, {"code", code(secret, d_.nowTotpStep())}});
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(has(r, "La connexion a pris trop de temps"));
    EXPECT_NE(r.body.find("action=\"/login\""), std::string::npos);

    r = passwordStep(b, "camille@jardin.test");
    const std::string fresh = loginChallenge(r);
    const std::string right = code(secret, d_.nowTotpStep());
    const std::string wrong = right == "000000" ? "111111" : "000000";
    int status = 0;
    for (int i = 0; i <= d_.settings().loginMaxFailures && status != 429; ++i) {
        status = b.post("/login/totp", {{"challenge", fresh}, {"code", wrong}}).status;
    }
    EXPECT_EQ(status, 429);
    r = b.post("/login/totp", {{"challenge", fresh}, {"code", right}});
    EXPECT_EQ(r.status, 429);  // even the right code, while throttled
    EXPECT_TRUE(has(r, "Trop d’essais"));
}

TEST_F(TotpPages, RemovalNeedsThePasswordAndACode) {
    Browser b = signedInBrowser(d_, "camille@jardin.test");
    const auto [secret, recovery] = enrol(b);
    nextStep();
    const std::string right = code(secret, d_.nowTotpStep());

    auto r = b.post("/account/security/totp/remove", {{"password", "not the password"}, {"code", right}});
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(has(r, "Mot de passe incorrect."));
    r = b.post("/account/security/totp/remove", {{"password", kPassword}, {"code", "12345"}});
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(has(b.get("/account/security"), "data-totp=\"enabled\""));

    r = b.post("/account/security/totp/remove", {{"password", kPassword}, {"code", right}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], "/account/security?done=removed");
    r = b.get("/account/security?done=removed");
    EXPECT_TRUE(has(r, "data-totp=\"disabled\""));
    EXPECT_TRUE(has(r, "La validation en deux étapes est désactivée."));
    // The password alone opens the account again.
    Browser after(d_.daemon().port());
    EXPECT_EQ(passwordStep(after, "camille@jardin.test").status, 303);
}

TEST_F(TotpPages, StaffWithoutASecondFactorMayOnlyEnrolOne) {
    const auto created = runChatiere({"admin", "create", "--email", "new-admin@chatons.test", "--role",
                                      "admin", "--config", d_.configPath()},
                                     kPassword + "\n");
    ASSERT_EQ(created.exitCode, 0) << created.err;
    Browser b(d_.daemon().port());
    auto r = passwordStep(b, "new-admin@chatons.test");
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], "/account/security");  // straight to the enrolment

    for (const std::string path : {"/space", "/admin", "/admin/signups", "/admin/invoices"}) {
        r = b.get(path);
        EXPECT_EQ(r.status, 403) << path;
        EXPECT_TRUE(has(r, "Validation en deux étapes requise")) << path;
        EXPECT_NE(r.body.find("<a href=\"/account/security\">Activer la validation en deux étapes</a>"),
                  std::string::npos)
            << path;
    }
    r = b.get("/admin?lang=en");
    EXPECT_EQ(r.status, 403);
    EXPECT_TRUE(has(r, "Two-step verification required"));
    b.get("/?lang=fr");
    // Forms too.
    r = b.post("/admin/billing/run", {});
    EXPECT_EQ(r.status, 403);
    EXPECT_TRUE(has(r, "Validation en deux étapes requise"));

    // The enrolment pages are open, and say why.
    r = b.get("/account/security");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(has(r, "doit d’abord être protégé par la validation en deux étapes"));
    const auto [secret, recovery] = enrol(b);
    EXPECT_EQ(recovery.size(), 10u);
    EXPECT_EQ(b.get("/admin").status, 200);

    // Logout works all along.
    Browser other(d_.daemon().port());
    const auto created2 = runChatiere({"admin", "create", "--email", "treso@chatons.test", "--role",
                                       "treasurer", "--config", d_.configPath()},
                                      kPassword + "\n");
    ASSERT_EQ(created2.exitCode, 0) << created2.err;
    ASSERT_EQ(passwordStep(other, "treso@chatons.test").status, 303);
    EXPECT_EQ(other.get("/space").status, 403);
    EXPECT_EQ(other.post("/logout", {}).status, 200);
    EXPECT_EQ(other.get("/space").status, 303);
}

TEST(TotpPagesSetting, StaffMayGoWithoutWhenTheSettingSaysSo) {
    TestDaemon d([](Settings& s) { s.requireTotpForStaff = false; });
    const auto created = runChatiere(
        {"admin", "create", "--email", "admin@chatons.test", "--role", "admin", "--config", d.configPath()},
        kPassword + "\n");
    ASSERT_EQ(created.exitCode, 0) << created.err;
    Browser b(d.daemon().port());
    b.get("/login");
    auto r = b.post("/login", {{"email", "admin@chatons.test"}, {"password", kPassword}});
    ASSERT_EQ(r.status, 303);
    EXPECT_EQ(r.headers["Location"], "/space");
    EXPECT_EQ(b.get("/admin").status, 200);
}

}  // namespace
