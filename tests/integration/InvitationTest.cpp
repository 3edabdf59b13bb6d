// Inviting someone who has no account yet, on the real server with the loopback SMTP server: the
// members page mails an invitation; its link lets the person create an account (address proven,
// terms accepted) and lands in the association's space; a link is used once, replaced by a newer
// one, withdrawn, or expires; an existing account joins once signed in to it and only to it; bad
// input is said by its field and changes nothing; another association's manager gets 404.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

class Invitations : public ::testing::Test {
protected:
    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", R"({"slug": "web", "name": "Web", "prices": []})").status,
                  201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "web");
        b_ = d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "web");
    }

    // The token of the `count`-th invitation mailed to `to`.
    std::string token(const std::string& to, std::size_t count = 1) {
        const auto tokens = d_.sink().linkTokens(to, "/invitations/accept", count);
        return tokens.size() < count ? "" : tokens[count - 1];
    }

    std::string snapshot() {
        auto s = d_.daemon().database().session();
        std::string out;
        for (const char* table : {"users", "memberships", "invitations"}) {
            int64_t n = 0;
            s << "SELECT COUNT(*) FROM " + std::string(table), into(n), now;
            out += std::string(table) + "=" + std::to_string(n) + " ";
        }
        return out;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
    std::string a_;
    std::string b_;
};

TEST_F(Invitations, SomeoneWithoutAnAccountIsInvitedCreatesOneAndJoins) {
    Browser camille = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    const std::string members = "/associations/" + a_ + "/members";
    auto r = camille.post(members, {{"email", "sacha@jardin.test"}, {"role", "manager"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers.at("Location"), members + "?done=invited");
    r = camille.get(members + "?done=invited");
    EXPECT_NE(r.body.find("Invitation envoyée"), std::string::npos);
    EXPECT_NE(r.body.find("<th scope=\"row\">sacha@jardin.test</th><td>gestionnaire"), std::string::npos)
        << r.body;

    const std::string link = token("sacha@jardin.test");
    ASSERT_FALSE(link.empty());
    Browser sacha(d_.daemon().port());
    r = sacha.get("/invitations/accept?token=" + link);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Jardin partagé"), std::string::npos);
    EXPECT_NE(r.body.find("Créez votre compte pour l’adresse <strong>sacha@jardin.test</strong>"),
              std::string::npos);

    // A weak password and the terms not accepted: said by their fields, nothing created.
    const std::string before = snapshot();
    r = sacha.post("/invitations/accept", {{"token", link}, {"name", "Sacha"}, {"password", "court"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"password-error\""), std::string::npos);
    EXPECT_NE(r.body.find("id=\"accept_terms-error\""), std::string::npos);
    EXPECT_NE(r.body.find("value=\"Sacha\""), std::string::npos);
    EXPECT_EQ(snapshot(), before);

    r = sacha.post(
        "/invitations/accept",
        {{"token", link}, {"name", "Sacha"}, {"password", "une phrase de passe"}, {"accept_terms", "yes"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers.at("Location"), "/associations/" + a_);
    r = sacha.get("/associations/" + a_);
    EXPECT_EQ(r.status, 200) << "signed in, in the association's space";
    // A manager: sees the members page's forms; the invitation is no longer pending.
    r = sacha.get(members);
    EXPECT_NE(r.body.find("Ajouter ou inviter un membre"), std::string::npos);
    EXPECT_EQ(r.body.find("Invitations en attente"), std::string::npos);
    // The address is proven; the link is used.
    {
        auto s = d_.daemon().database().session();
        int verified = 0;
        s << "SELECT email_verified FROM users WHERE email = 'sacha@jardin.test'", into(verified), now;
        EXPECT_EQ(verified, 1);
    }
    EXPECT_EQ(Browser(d_.daemon().port()).get("/invitations/accept?token=" + link).status, 400);
}

TEST_F(Invitations, LinksAreReplacedWithdrawnAndExpire) {
    ApiClient camille = d_.login("camille@jardin.test", "correct horse battery");
    const std::string invitations = "/api/v1/associations/" + a_ + "/invitations";
    ASSERT_EQ(camille.post(invitations, R"({"email": "sacha@jardin.test"})").status, 201);
    const std::string first = token("sacha@jardin.test", 1);
    ASSERT_EQ(camille.post(invitations, R"({"email": "sacha@jardin.test", "role": "manager"})").status, 201);
    const std::string second = token("sacha@jardin.test", 2);
    EXPECT_EQ(d_.client().get("/invitations/accept?token=" + first).status, 400) << "replaced";
    EXPECT_EQ(d_.client().get("/invitations/accept?token=" + second).status, 200);
    const auto listed = camille.get(invitations).json()->getArray("invitations");
    ASSERT_EQ(listed->size(), 1u);
    const std::string id = listed->getObject(0)->getValue<std::string>("id");

    // Withdrawn from the members page.
    Browser page = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    EXPECT_EQ(page.post("/associations/" + a_ + "/invitations/" + id + "/withdraw", {}).status, 303);
    EXPECT_EQ(d_.client().get("/invitations/accept?token=" + second).status, 400);

    // A week later a link has expired.
    ASSERT_EQ(camille.post(invitations, R"({"email": "sacha@jardin.test"})").status, 201);
    const std::string third = token("sacha@jardin.test", 3);
    d_.clock().advance(std::chrono::hours(24 * 7 + 1));
    const auto late = d_.client().post(
        "/api/v1/invitations/accept",
        R"({"token": ")" + third +
            R"(", "name": "Sacha", "password": "une phrase de passe", "accept_terms": true})");
    EXPECT_EQ(late.status, 400);
    EXPECT_EQ(late.errorCode(), "invalid_token");
}

TEST_F(Invitations, AnExistingAccountJoinsOnlyWhenSignedInToIt) {
    ApiClient camille = d_.login("camille@jardin.test", "correct horse battery");
    ASSERT_EQ(
        camille.post("/api/v1/associations/" + a_ + "/invitations", R"({"email": "dominique@chorale.test"})")
            .status,
        201);
    const std::string link = token("dominique@chorale.test");
    Browser visitor(d_.daemon().port());
    auto r = visitor.get("/invitations/accept?token=" + link);
    EXPECT_NE(r.body.find("Connectez-vous d’abord au compte dominique@chorale.test"), std::string::npos)
        << r.body;
    const std::string before = snapshot();
    EXPECT_EQ(visitor.post("/invitations/accept", {{"token", link}}).status, 403);
    Browser wrong = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    EXPECT_NE(
        wrong.get("/invitations/accept?token=" + link).body.find("Vous êtes connecté·e avec un autre compte"),
        std::string::npos);
    EXPECT_EQ(wrong.post("/invitations/accept", {{"token", link}}).status, 403);
    EXPECT_EQ(snapshot(), before);

    Browser dominique = signedInBrowser(d_.daemon().port(), "dominique@chorale.test");
    r = dominique.post("/invitations/accept", {{"token", link}});
    ASSERT_EQ(r.status, 303) << r.body;
    // A member: the association's services and usage, not its money.
    const auto dashboard = dominique.get("/associations/" + a_);
    EXPECT_EQ(dashboard.status, 200);
    EXPECT_EQ(dashboard.body.find("id=\"invoices-title\""), std::string::npos);
    // Invited again while a member: refused by its field.
    const auto again =
        camille.post("/api/v1/associations/" + a_ + "/invitations", R"({"email": "dominique@chorale.test"})");
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.errorCode(), "already_member");
}

TEST_F(Invitations, BadInputAndStrangersAreRefused) {
    ApiClient camille = d_.login("camille@jardin.test", "correct horse battery");
    ApiClient dominique = d_.login("dominique@chorale.test", "correct horse battery");
    const std::string invitations = "/api/v1/associations/" + a_ + "/invitations";
    const std::string before = snapshot();
    EXPECT_EQ(camille.post(invitations, R"({"email": "pas une adresse"})").errorCode(), "invalid_fields");
    EXPECT_EQ(camille.post(invitations, R"({"email": "x@y.test", "role": "roi"})").errorCode(),
              "invalid_fields");
    EXPECT_EQ(camille.post(invitations, "pas du json").status, 400);
    EXPECT_EQ(dominique.post(invitations, R"({"email": "x@y.test"})").status, 404);
    EXPECT_EQ(dominique.get(invitations).status, 404);
    EXPECT_EQ(d_.client().post("/api/v1/invitations/accept", R"({"token": "inconnu"})").errorCode(),
              "invalid_token");
    Browser page = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    EXPECT_EQ(
        page.post("/associations/" + a_ + "/members", {{"email", "x@y.test"}, {"role", "member"}}, false)
            .status,
        403);
    EXPECT_EQ(page.get("/invitations/accept?token=inconnu").status, 400);
    EXPECT_EQ(snapshot(), before);
}

TEST_F(Invitations, APendingAssociationCannotInvite) {
    const std::string pending = d_.signup("Club", "alex@club.test").first;
    ApiClient alex = d_.login("alex@club.test", "correct horse battery");
    const std::string before = snapshot();
    const auto refused =
        alex.post("/api/v1/associations/" + pending + "/invitations", R"({"email": "sacha@club.test"})");
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_EQ(refused.errorCode(), "association_not_active");
    Browser page = signedInBrowser(d_.daemon().port(), "alex@club.test");
    const auto r = page.post("/associations/" + pending + "/members",
                             {{"email", "sacha@club.test"}, {"role", "member"}});
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("L’association n’est pas encore active."), std::string::npos) << r.body;
    EXPECT_EQ(snapshot(), before);
    EXPECT_TRUE(d_.sink().messagesTo("sacha@club.test").empty());
    // Once approved, it can.
    ASSERT_EQ(admin_->post("/api/v1/associations/" + pending + "/approve", "{}").status, 200);
    EXPECT_EQ(alex.post("/api/v1/associations/" + pending + "/invitations", R"({"email": "sacha@club.test"})")
                  .status,
              201);
}

TEST_F(Invitations, AnAssociationSendsAtMostInvitationsMaxPerDay) {
    ApiClient camille = d_.login("camille@jardin.test", "correct horse battery");
    const std::string invitations = "/api/v1/associations/" + a_ + "/invitations";
    ASSERT_EQ(d_.settings().invitationsMaxPerDay, 20);  // the default
    for (int i = 0; i < 20; ++i) {
        const auto r =
            camille.post(invitations, R"({"email": "invite)" + std::to_string(i) + R"(@jardin.test"})");
        ASSERT_EQ(r.status, 201) << i << ": " << r.body;
        if (i == 0) {  // a withdrawn invitation still counts
            ASSERT_EQ(camille.del(invitations + "/" + r.json()->getValue<std::string>("id")).status, 204);
        }
    }
    const std::string before = snapshot();
    const auto refused = camille.post(invitations, R"({"email": "one-more@jardin.test"})");
    EXPECT_EQ(refused.status, 429) << refused.body;
    EXPECT_EQ(refused.errorCode(), "too_many_invitations");
    Browser page = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    const auto r = page.post("/associations/" + a_ + "/members",
                             {{"email", "one-more@jardin.test"}, {"role", "member"}});
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_NE(r.body.find("Trop d’invitations ont été envoyées aujourd’hui"), std::string::npos) << r.body;
    EXPECT_EQ(snapshot(), before);
    // Another association has its own count; and a day later, this one may invite again.
    ApiClient dominique = d_.login("dominique@chorale.test", "correct horse battery");
    EXPECT_EQ(dominique.post("/api/v1/associations/" + b_ + "/invitations", R"({"email": "x@chorale.test"})")
                  .status,
              201);
    d_.clock().advance(std::chrono::hours(24) + std::chrono::seconds(1));
    EXPECT_EQ(camille.post(invitations, R"({"email": "one-more@jardin.test"})").status, 201);
}

}  // namespace
