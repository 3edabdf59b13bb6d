#include "TestDaemon.h"

#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;

namespace {

std::string tokenFromLink(const std::string& body) {
    std::smatch m;
    const std::regex link(R"(verify-email\?token=([A-Za-z0-9_-]+))");
    if (!std::regex_search(body, m, link)) {
        return "";
    }
    return m[1];
}

const char* kSignup = R"({
  "association": {"name": "Les Amis du Jardin", "kind": "association", "email": "bureau@jardin.test",
                  "siren": "732 829 320", "rna": "w353012345",
                  "address": {"line1": "2 rue des Lilas", "postal_code": "35000", "city": "Rennes"}},
  "manager": {"name": "Camille Martin", "email": "Camille@Jardin.test", "password": "correct horse battery"},
  "accept_terms": true
})";

}  // namespace

TEST(SignupFlow, SignupMailsApprovalLoginAndOwnAssociation) {
    TestDaemon d;
    ApiClient admin = d.staffClient("admin@chatons.test");

    const auto signup = d.client().request("POST", "/api/v1/signup", kSignup, "application/json",
                                           {{"Accept-Language", "fr-FR,fr;q=0.9"}});
    ASSERT_EQ(signup.status, 201) << signup.body;
    const std::string associationId = signup.json()->getObject("association")->getValue<std::string>("id");
    EXPECT_EQ(signup.json()->getObject("association")->getValue<std::string>("status"), "pending");

    // The manager gets a verification link, the admin a notice; both in French.
    const auto mails = d.sink().waitForMessages(2);
    ASSERT_EQ(mails.size(), 2u);
    const auto toManager = d.sink().messagesTo("Camille@Jardin.test");
    ASSERT_EQ(toManager.size(), 1u);
    EXPECT_NE(toManager[0].subject.find("Confirmez votre adresse"), std::string::npos)
        << toManager[0].subject;
    EXPECT_NE(toManager[0].body.find("Les Amis du Jardin"), std::string::npos);
    const auto toAdmin = d.sink().messagesTo("admin@chatons.test");
    ASSERT_EQ(toAdmin.size(), 1u);
    EXPECT_NE(toAdmin[0].subject.find("Les Amis du Jardin"), std::string::npos);

    // Verification is shown to the admin; it does not block login.
    ApiClient manager = d.login("camille@jardin.test", "correct horse battery");
    auto me = manager.get("/api/v1/me");
    ASSERT_EQ(me.status, 200);
    EXPECT_FALSE(me.json()->getObject("user")->getValue<bool>("email_verified"));
    const std::string token = tokenFromLink(toManager[0].body);
    ASSERT_FALSE(token.empty()) << toManager[0].body;
    const auto verified = d.client().post("/api/v1/verify-email", R"({"token": ")" + token + "\"}");
    EXPECT_EQ(verified.status, 200) << verified.body;
    EXPECT_EQ(d.client().post("/api/v1/verify-email", R"({"token": ")" + token + "\"}").status, 400)
        << "a verification link works once";

    // The admin sees the pending sign-up and approves it; the manager is told.
    const auto pending = admin.get("/api/v1/associations?status=pending");
    ASSERT_EQ(pending.status, 200);
    ASSERT_EQ(pending.json()->getArray("associations")->size(), 1u);
    const auto approved = admin.post("/api/v1/associations/" + associationId + "/approve", "{}");
    ASSERT_EQ(approved.status, 200) << approved.body;
    EXPECT_EQ(approved.json()->getValue<std::string>("status"), "active");
    EXPECT_EQ(admin.post("/api/v1/associations/" + associationId + "/approve", "{}").status, 409);
    const auto decided = d.sink().waitForMessages(3);
    ASSERT_EQ(decided.size(), 3u);
    EXPECT_NE(decided.back().subject.find("acceptée"), std::string::npos) << decided.back().subject;

    // The manager logs in and sees its own association.
    me = manager.get("/api/v1/me");
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_TRUE(me.json()->getObject("user")->getValue<bool>("email_verified"));
    EXPECT_FALSE(me.json()->getObject("user")->has("role"));
    auto memberships = me.json()->getArray("associations");
    ASSERT_EQ(memberships->size(), 1u);
    EXPECT_EQ(memberships->getObject(0)->getValue<std::string>("id"), associationId);
    EXPECT_EQ(memberships->getObject(0)->getValue<std::string>("role"), "manager");
    const auto own = manager.get("/api/v1/associations/" + associationId);
    ASSERT_EQ(own.status, 200);
    EXPECT_EQ(own.json()->getValue<std::string>("name"), "Les Amis du Jardin");
    EXPECT_EQ(own.json()->getValue<std::string>("siren"), "732829320");
    EXPECT_EQ(own.json()->getValue<std::string>("rna"), "W353012345");
    EXPECT_EQ(own.json()->getObject("address")->getValue<std::string>("city"), "Rennes");
    const auto list = manager.get("/api/v1/associations");
    EXPECT_EQ(list.json()->getArray("associations")->size(), 1u);

    // Every step is in the audit log.
    const auto audit = admin.get("/api/v1/audit?association=" + associationId);
    ASSERT_EQ(audit.status, 200);
    std::vector<std::string> actions;
    auto entries = audit.json()->getArray("entries");
    for (std::size_t i = 0; i < entries->size(); ++i) {
        actions.push_back(entries->getObject(static_cast<unsigned>(i))->getValue<std::string>("action"));
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"association.approve", "association.signup"}));
}

TEST(SignupFlow, RejectionNeedsAReasonAndTellsTheManager) {
    TestDaemon d;
    ApiClient admin = d.staffClient("admin@chatons.test");
    const auto [id, user] = d.signup("Club Fantôme", "lea@club.test");
    (void)user;
    d.sink().waitForMessages(2);
    EXPECT_EQ(admin.post("/api/v1/associations/" + id + "/reject", "{}").status, 400);
    const auto rejected =
        admin.post("/api/v1/associations/" + id + "/reject", R"({"reason": "Hors du territoire"})");
    ASSERT_EQ(rejected.status, 200) << rejected.body;
    EXPECT_EQ(rejected.json()->getValue<std::string>("status"), "rejected");
    EXPECT_EQ(rejected.json()->getValue<std::string>("rejection_reason"), "Hors du territoire");
    const auto mails = d.sink().waitForMessages(3);
    ASSERT_EQ(mails.size(), 3u);
    EXPECT_NE(mails.back().body.find("Hors du territoire"), std::string::npos);
}

TEST(SignupFlow, AutoApproveMakesItActiveAndWelcomesInEnglish) {
    TestDaemon d([](auto& s) { s.signupAutoApprove = true; });
    const auto r =
        d.client().request("POST", "/api/v1/signup",
                           R"({"association": {"name": "Solo", "kind": "individual", "email": "me@solo.test"},
            "manager": {"name": "Sam", "email": "sam@solo.test", "password": "correct horse battery"},
            "accept_terms": true})",
                           "application/json", {{"Accept-Language", "en-GB,en;q=0.8"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getObject("association")->getValue<std::string>("status"), "active");
    const auto mails = d.sink().waitForMessages(2);
    ASSERT_EQ(mails.size(), 2u);
    bool welcomed = false;
    for (const auto& m : mails) {
        welcomed = welcomed || m.subject.find("Welcome to") != std::string::npos;
        EXPECT_EQ(m.to.find("sam@solo.test") != std::string::npos, true);
    }
    EXPECT_TRUE(welcomed);
}

TEST(SignupFlow, TermsAreServedWithTheirVersion) {
    TestDaemon d([](auto& s) { s.termsVersion = "2026-11"; });
    const auto fr = d.client().get("/api/v1/terms");
    ASSERT_EQ(fr.status, 200);
    EXPECT_EQ(fr.json()->getValue<std::string>("version"), "2026-11");
    EXPECT_NE(fr.json()->getValue<std::string>("text").find("Conditions générales"), std::string::npos);
    const auto en = d.client().get("/api/v1/terms?lang=en");
    EXPECT_NE(en.json()->getValue<std::string>("text").find("Terms of service"), std::string::npos);
}
