// Forgotten passwords on the real server with the loopback SMTP server: the link comes by mail in
// the account's language, sets a new password once, ends every session of the account; the answer
// is the same for an unknown address; links expire, are replaced by the newest, and an account
// gets at most three an hour; bad input is refused clearly and changes nothing.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

class PasswordReset : public ::testing::Test {
protected:
    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", R"({"slug": "web", "name": "Web", "prices": []})").status,
                  201);
        d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "web");
    }

    // The token of the newest reset mail to `to`, once `count` of them arrived.
    std::string linkToken(const std::string& to, std::size_t count = 1) {
        const auto tokens = d_.sink().linkTokens(to, "/password/reset", count);
        EXPECT_GE(tokens.size(), count) << "reset mails to " << to;
        return tokens.size() < count ? "" : tokens.back();
    }

    std::string snapshot() {
        auto s = d_.daemon().database().session();
        std::string out;
        for (const char* table : {"users", "sessions", "password_resets", "outbox"}) {
            int64_t n = 0;
            s << "SELECT COUNT(*) FROM " + std::string(table), into(n), now;
            out += std::string(table) + "=" + std::to_string(n) + " ";
        }
        std::string hashes;
        s << "SELECT group_concat(password_hash, ',') FROM users", into(hashes), now;
        return out + hashes;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
};

TEST_F(PasswordReset, TheMailedLinkSetsANewPasswordOnceAndEndsEverySession) {
    ApiClient old = d_.login("camille@jardin.test", "correct horse battery");
    ASSERT_EQ(old.get("/api/v1/me").status, 200);

    // Asked from the page: the same answer as for an unknown address.
    Browser b(d_.daemon().port());
    ASSERT_EQ(b.get("/login").status, 200);
    EXPECT_NE(b.get("/login").body.find("href=\"/password/forgot\""), std::string::npos);
    ASSERT_EQ(b.get("/password/forgot").status, 200);
    const auto asked = b.post("/password/forgot", {{"email", "Camille@Jardin.test"}});
    EXPECT_EQ(asked.status, 200);
    EXPECT_NE(asked.body.find("Si un compte a cette adresse"), std::string::npos) << asked.body;
    const auto unknown = b.post("/password/forgot", {{"email", "personne@nulle-part.test"}});
    EXPECT_EQ(unknown.status, 200);
    EXPECT_EQ(unknown.body, asked.body);

    const std::string token = linkToken("camille@jardin.test");
    ASSERT_FALSE(token.empty());
    const auto mails = d_.sink().messagesTo("camille@jardin.test");
    EXPECT_NE(mails.back().subject.find("nouveau mot de passe"), std::string::npos) << mails.back().subject;
    EXPECT_TRUE(d_.sink().messagesTo("personne@nulle-part.test").empty());

    // The link's page, then a weak password: said by its field, the link still good.
    const auto page = b.get("/password/reset?token=" + token);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("name=\"token\" value=\"" + token + "\""), std::string::npos);
    const auto weak = b.post("/password/reset", {{"token", token}, {"password", "court"}});
    EXPECT_EQ(weak.status, 400);
    EXPECT_NE(weak.body.find("id=\"password-error\""), std::string::npos) << weak.body;

    const auto done =
        b.post("/password/reset", {{"token", token}, {"password", "une toute nouvelle phrase"}});
    ASSERT_EQ(done.status, 303) << done.body;
    EXPECT_EQ(done.headers.at("Location"), "/login?done=reset");
    EXPECT_NE(b.get("/login?done=reset").body.find("Votre mot de passe est changé"), std::string::npos);

    // The old password and the old session are gone; the new password works.
    EXPECT_EQ(old.get("/api/v1/me").status, 401);
    EXPECT_EQ(d_.client()
                  .post("/api/v1/sessions",
                        R"({"email": "camille@jardin.test", "password": "correct horse battery"})")
                  .status,
              401);
    EXPECT_EQ(d_.client()
                  .post("/api/v1/sessions",
                        R"({"email": "camille@jardin.test", "password": "une toute nouvelle phrase"})")
                  .status,
              201);
    // Once only.
    const auto again = b.post("/password/reset", {{"token", token}, {"password", "encore une autre phrase"}});
    EXPECT_EQ(again.status, 400);
    EXPECT_NE(again.body.find("Ce lien n’est pas valable"), std::string::npos);
}

TEST_F(PasswordReset, LinksExpireTheNewestReplacesTheOthersAndThreeAnHourAtMost) {
    const auto ask = [&] {
        return d_.client().post("/api/v1/password-resets", R"({"email": "camille@jardin.test"})");
    };
    ASSERT_EQ(ask().status, 202);
    const std::string first = linkToken("camille@jardin.test", 1);
    ASSERT_EQ(ask().status, 202);
    const std::string second = linkToken("camille@jardin.test", 2);
    ASSERT_NE(first, second);
    const auto confirm = [&](const std::string& token) {
        return d_.client().post("/api/v1/password-resets/confirm",
                                R"({"token": ")" + token + R"(", "password": "une toute nouvelle phrase"})");
    };
    EXPECT_EQ(confirm(first).errorCode(), "invalid_token") << "replaced by the newest";
    ASSERT_EQ(ask().status, 202);
    const std::string third = linkToken("camille@jardin.test", 3);
    // A fourth within the hour: the same answer, no mail.
    ASSERT_EQ(ask().status, 202);
    {
        // No fourth link was made, so no fourth mail is on its way.
        auto s = d_.daemon().database().session();
        int64_t links = 0;
        s << "SELECT COUNT(*) FROM password_resets", into(links), now;
        EXPECT_EQ(links, 3);
    }
    EXPECT_EQ(linkToken("camille@jardin.test", 3), third);
    // An hour later the link has expired.
    d_.clock().advance(std::chrono::minutes(61));
    const auto expired = confirm(third);
    EXPECT_EQ(expired.status, 400);
    EXPECT_EQ(expired.errorCode(), "invalid_token");
    ASSERT_EQ(ask().status, 202);
    const std::string fourth = linkToken("camille@jardin.test", 4);
    EXPECT_EQ(confirm(fourth).status, 200);
}

TEST_F(PasswordReset, BadInputIsRefusedClearlyAndChangesNothing) {
    const std::string before = snapshot();
    const ApiClient c = d_.client();
    EXPECT_EQ(c.post("/api/v1/password-resets", R"({})").errorCode(), "invalid_fields");
    EXPECT_EQ(c.post("/api/v1/password-resets", R"({"email": "pas une adresse"})").errorCode(),
              "invalid_fields");
    EXPECT_EQ(c.post("/api/v1/password-resets", "not json").status, 400);
    EXPECT_EQ(c.post("/api/v1/password-resets/confirm", R"({"token": "x"})").errorCode(), "invalid_fields");
    EXPECT_EQ(
        c.post("/api/v1/password-resets/confirm", R"({"token": "inconnu", "password": "une longue phrase"})")
            .errorCode(),
        "invalid_token");
    Browser b(d_.daemon().port());
    b.get("/password/forgot");
    const auto bad = b.post("/password/forgot", {{"email", "pas une adresse"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("aria-invalid=\"true\""), std::string::npos);
    EXPECT_EQ(b.post("/password/reset", {{"token", "inconnu"}, {"password", "une longue phrase"}}).status,
              400);
    // Without the form token: 403.
    EXPECT_EQ(b.post("/password/forgot", {{"email", "camille@jardin.test"}}, false).status, 403);
    EXPECT_EQ(b.post("/password/reset", {{"token", "x"}, {"password", "une longue phrase"}}, false).status,
              403);
    EXPECT_EQ(snapshot(), before);
}

// A reset ends the account's API tokens too, in the same transaction as its sessions (whoever knew
// the old password may have made one); the mail says so, in the account's language.
TEST_F(PasswordReset, AResetRevokesTheAccountsApiTokensAndTheMailSaysSo) {
    ApiClient camille = d_.login("camille@jardin.test", "correct horse battery");
    const auto created = camille.post("/api/v1/tokens", R"({"name": "backup script"})");
    ASSERT_EQ(created.status, 201) << created.body;
    ApiClient script = d_.client();
    script.setToken(created.json()->getValue<std::string>("token"));
    ASSERT_EQ(script.get("/api/v1/me").status, 200);
    // Another account's token is not touched.
    const auto adminToken = admin_->post("/api/v1/tokens", R"({"name": "admin script"})");
    ASSERT_EQ(adminToken.status, 201);
    ApiClient adminScript = d_.client();
    adminScript.setToken(adminToken.json()->getValue<std::string>("token"));

    ASSERT_EQ(d_.client().post("/api/v1/password-resets", R"({"email": "camille@jardin.test"})").status, 202);
    const std::string token = linkToken("camille@jardin.test");
    ASSERT_FALSE(token.empty());
    const auto mail = d_.sink().messagesTo("camille@jardin.test").back();
    EXPECT_NE(mail.body.find("jetons d'API"), std::string::npos) << mail.body;
    // Asking for a link changes nothing yet.
    EXPECT_EQ(script.get("/api/v1/me").status, 200);

    const auto done =
        d_.client().post("/api/v1/password-resets/confirm",
                         R"({"token": ")" + token + R"(", "password": "une toute nouvelle phrase"})");
    ASSERT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(script.get("/api/v1/me").status, 401);
    EXPECT_EQ(adminScript.get("/api/v1/me").status, 200);
    ApiClient again = d_.login("camille@jardin.test", "une toute nouvelle phrase");
    const auto listed = again.get("/api/v1/tokens");
    ASSERT_EQ(listed.status, 200);
    const auto tokens = listed.json()->getArray("tokens");
    ASSERT_EQ(tokens->size(), 1u);
    EXPECT_TRUE(tokens->getObject(0)->getValue<bool>("revoked")) << listed.body;
}

// The English mail says it too.
TEST_F(PasswordReset, TheEnglishMailSaysTokensAreRevoked) {
    {
        auto s = d_.daemon().database().session();
        s << "UPDATE users SET language = 'en' WHERE email = 'camille@jardin.test'", now;
    }
    ASSERT_EQ(d_.client().post("/api/v1/password-resets", R"({"email": "camille@jardin.test"})").status, 202);
    ASSERT_FALSE(linkToken("camille@jardin.test").empty());
    const auto mail = d_.sink().messagesTo("camille@jardin.test").back();
    EXPECT_NE(mail.body.find("every API token of the account"), std::string::npos) << mail.body;
}

}  // namespace
