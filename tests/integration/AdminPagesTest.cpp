// The admin console's sign-ups page on the real server: staff see the waiting sign-ups, the admin
// approves or rejects them (a reason required), others get 404, forms need their token.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

class AdminPages : public ::testing::Test {
protected:
    void SetUp() override {
        d_.staffClient("admin@chatons.test");
        d_.staffClient("tresorier@chatons.test", "treasurer");
        pending_ = d_.signup("Jardin partagé", "camille@jardin.test").first;
        other_ = d_.signup("Chorale", "dominique@chorale.test").first;
    }

    Browser signedIn(const std::string& email) {
        return signedInBrowser(d_.daemon().port(), email, "correct horse battery", d_.nextTotpCode(email));
    }

    std::string status(const std::string& id) {
        auto s = d_.daemon().database().session();
        std::string out;
        std::string key = id;
        s << "SELECT status FROM associations WHERE id = ?", use(key), into(out), now;
        return out;
    }

    TestDaemon d_;
    std::string pending_, other_;
};

TEST_F(AdminPages, TheAdminApprovesAndRejectsSignUps) {
    Browser admin = signedIn("admin@chatons.test");
    auto r = admin.get("/admin/signups");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("Jardin partagé"), std::string::npos);
    EXPECT_NE(r.body.find("Chorale"), std::string::npos);
    // The header leads to the console's overview, whose menu leads here.
    EXPECT_NE(r.body.find("href=\"/admin\">Administration</a>"), std::string::npos);
    EXPECT_NE(r.body.find("href=\"/admin/signups\">Inscriptions en attente</a>"), std::string::npos);

    // A rejection needs its reason; without the form token nothing happens.
    r = admin.post("/admin/signups/" + other_ + "/reject", {{"reason", "  "}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("Donnez le motif du refus."), std::string::npos);
    EXPECT_EQ(admin.post("/admin/signups/" + pending_ + "/approve", {}, false).status, 403);
    EXPECT_EQ(status(pending_), "pending");
    EXPECT_EQ(status(other_), "pending");

    r = admin.post("/admin/signups/" + pending_ + "/approve", {});
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.headers["Location"], "/admin/signups?done=approved");
    EXPECT_EQ(status(pending_), "active");
    r = admin.post("/admin/signups/" + other_ + "/reject", {{"reason", "Hors du territoire"}});
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(status(other_), "rejected");
    r = admin.get("/admin/signups?done=rejected");
    EXPECT_NE(r.body.find("Inscription refusée"), std::string::npos);
    EXPECT_NE(r.body.find("Aucune inscription n’attend de décision."), std::string::npos);
    // The rejected association's manager is told why.
    EXPECT_TRUE(eventually(
        [&] {
            for (const auto& m : d_.sink().messages()) {
                if (m.to == "dominique@chorale.test" &&
                    m.body.find("Hors du territoire") != std::string::npos) {
                    return true;
                }
            }
            return false;
        },
        std::chrono::seconds(20)));
}

TEST_F(AdminPages, OnlyStaffSeeItAndOnlyTheAdminDecides) {
    Browser treasurer = signedIn("tresorier@chatons.test");
    auto r = treasurer.get("/admin/signups");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Jardin partagé"), std::string::npos);
    EXPECT_EQ(r.body.find("/approve"), std::string::npos);
    EXPECT_EQ(treasurer.post("/admin/signups/" + pending_ + "/approve", {}).status, 403);

    // A manager of an association: as if the console did not exist.
    Browser admin = signedIn("admin@chatons.test");
    admin.post("/admin/signups/" + pending_ + "/approve", {});
    Browser camille = signedIn("camille@jardin.test");
    r = camille.get("/admin/signups");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body.find("Chorale"), std::string::npos);
    EXPECT_EQ(r.body.find(">Administration<"), std::string::npos);
    EXPECT_EQ(camille.post("/admin/signups/" + other_ + "/approve", {}).status, 404);
    EXPECT_EQ(status(other_), "pending");
    Browser anonymous(d_.daemon().port());
    EXPECT_EQ(anonymous.get("/admin/signups").status, 303);
}

}  // namespace
