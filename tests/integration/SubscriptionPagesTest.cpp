// The subscription page on the real server: a manager chooses an offer of the association's kind,
// sees what it costs before confirming (the first invoice; an upgrade's prorated amount; the date a
// downgrade takes effect), confirms, and cancels at the period's end. Bad choices are said by
// their field and change nothing; another association's manager gets 404; a member sees but
// gets 403.

#include "Browser.h"
#include "TestDaemon.h"

#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kSmall = R"({"slug": "petit", "name": {"fr": "Petit site", "en": "Small site"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 300},
               {"interval": "year", "kind": "association", "amount_cents": 3000},
               {"interval": "year", "kind": "individual", "amount_cents": 1000}],
    "quotas": {"services": {"included": 1, "limit": 1}}})";
const std::string kLarge = R"({"slug": "grand", "name": {"fr": "Grand site", "en": "Large site"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 900, "floor_cents": 600}],
    "quotas": {"services": {"included": 3, "limit": 3}}})";

class SubscriptionPages : public ::testing::Test {
protected:
    void SetUp() override {
        d_.clock().set(parseTime("2027-03-11T09:00:00Z").value());
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kSmall).status, 201);
        ASSERT_EQ(admin_->post("/api/v1/plans", kLarge).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "petit");
        b_ = d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "petit");
    }

    Browser signedIn(const std::string& email) {
        return signedInBrowser(d_.daemon().port(), email, "correct horse battery", d_.nextTotpCode(email));
    }

    // Every row of the billing tables, to see that a refused request changed nothing.
    std::string billingSnapshot() {
        auto s = d_.daemon().database().session();
        std::string out;
        for (const char* table : {"subscriptions", "subscription_changes", "invoices", "invoice_lines"}) {
            int64_t n = 0;
            s << "SELECT COUNT(*) FROM " + std::string(table), into(n), now;
            out += std::string(table) + "=" + std::to_string(n) + " ";
        }
        std::string plans;
        s << "SELECT COALESCE(group_concat(plan_slug || ':' || interval || ':' || price_cents || ':' || "
             "COALESCE(cancel_at, '-'), ','), '') FROM subscriptions",
            into(plans), now;
        return out + plans;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
    std::string a_;
    std::string b_;
};

TEST_F(SubscriptionPages, ANewSubscriptionShowsItsFirstInvoiceBeforeItIsConfirmed) {
    Browser manager = signedIn("camille@jardin.test");
    const std::string page = "/associations/" + a_ + "/subscription";
    auto r = manager.get(page);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(pageText(r).find("Choisir une formule"), std::string::npos);
    // Only the offers of the association's kind: the individuals' price is not offered.
    EXPECT_NE(pageText(r).find("value=\"petit:month\""), std::string::npos);
    EXPECT_NE(pageText(r).find("value=\"petit:year\""), std::string::npos);
    EXPECT_NE(pageText(r).find("value=\"grand:month\""), std::string::npos);
    EXPECT_EQ(pageText(r).find("10,00"), std::string::npos);
    EXPECT_NE(pageText(r).find("prix libre, au moins 6,00\u202f€"), std::string::npos) << pageText(r);

    const std::string before = billingSnapshot();
    r = manager.get(page + "?offer=petit:year");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(pageText(r).find("Ce que coûte ce choix"), std::string::npos);
    EXPECT_NE(pageText(r).find(
                  "<strong>30,00\u202f€</strong> (facturé le 11/03/2027, pour la période du 11/03/2027 – "
                  "10/03/2028)"),
              std::string::npos)
        << pageText(r);
    EXPECT_EQ(billingSnapshot(), before) << "a preview changes nothing";

    r = manager.post(page, {{"offer", "petit:year"}, {"price_cents", ""}});
    ASSERT_EQ(r.status, 303) << pageText(r);
    EXPECT_EQ(r.headers.at("Location"), page + "?done=subscribed");
    r = manager.get(page + "?done=subscribed");
    EXPECT_NE(pageText(r).find("Abonnement enregistré"), std::string::npos);
    EXPECT_NE(pageText(r).find("Petit site — 30,00\u202f€"), std::string::npos) << pageText(r);
    EXPECT_NE(pageText(r).find("11/03/2027 – 10/03/2028"), std::string::npos);
    // The first invoice is on the dashboard.
    r = manager.get("/associations/" + a_);
    EXPECT_NE(pageText(r).find("F-2027-000001"), std::string::npos) << pageText(r);
}

TEST_F(SubscriptionPages, AnUpgradeShowsItsProratedAmountAndADowngradeItsDate) {
    Browser manager = signedIn("camille@jardin.test");
    const std::string page = "/associations/" + a_ + "/subscription";
    ASSERT_EQ(manager.post(page, {{"offer", "petit:month"}}).status, 303);
    d_.clock().set(parseTime("2027-03-21T09:00:00Z").value());  // 21 of the 31 days of the period remain
    manager = signedIn("camille@jardin.test");                  // the session idled out meanwhile
    auto r = manager.get(page + "?offer=grand:month&price=7,50");
    ASSERT_EQ(r.status, 200) << pageText(r);
    // (7.50 − 3.00) × 21 / 31 = 3.048… → 3.05 €
    EXPECT_NE(pageText(r).find(
                  "<strong>3,05\u202f€</strong> (facturé le 21/03/2027, pour la période du 21/03/2027 – "
                  "10/04/2027)"),
              std::string::npos)
        << pageText(r);
    EXPECT_NE(pageText(r).find("name=\"price_cents\" value=\"750\""), std::string::npos);
    ASSERT_EQ(manager.post(page, {{"offer", "grand:month"}, {"price_cents", "750"}}).status, 303);
    r = manager.get(page);
    EXPECT_NE(pageText(r).find("Grand site — 7,50\u202f€"), std::string::npos) << pageText(r);

    // Back to the small plan: at the end of the period, nothing to pay now.
    r = manager.get(page + "?offer=petit:month");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(pageText(r).find("Prend effet le</dt><dd>11/04/2027"), std::string::npos) << pageText(r);
    EXPECT_NE(pageText(r).find("Rien maintenant"), std::string::npos);
    ASSERT_EQ(manager.post(page, {{"offer", "petit:month"}}).status, 303);
    r = manager.get(page);
    EXPECT_NE(pageText(r).find(
                  "Changement prévu</dt><dd>Petit site — 3,00\u202f€ par mois, à partir du 11/04/2027"),
              std::string::npos)
        << pageText(r);

    // Cancelled at the period's end; then no more choice is offered.
    ASSERT_EQ(manager.post(page + "/cancel", {}).status, 303);
    r = manager.get(page);
    EXPECT_NE(pageText(r).find("Se termine le</dt><dd>11/04/2027"), std::string::npos) << pageText(r);
    EXPECT_EQ(pageText(r).find("Formules proposées"), std::string::npos);
    EXPECT_EQ(pageText(r).find("/subscription/cancel"), std::string::npos);
}

TEST_F(SubscriptionPages, BadChoicesAreSaidByTheirFieldAndChangeNothing) {
    Browser manager = signedIn("camille@jardin.test");
    const std::string page = "/associations/" + a_ + "/subscription";
    const std::string before = billingSnapshot();
    struct Case {
        std::string query;
        int status;
        std::string message;
    };
    for (const auto& c : std::vector<Case>{
             {"?offer=grand:month&price=2", 400, "sous le minimum de la formule"},
             {"?offer=grand:month&price=douze", 400, "Écrivez un montant en euros"},
             {"?offer=inconnu:month", 400, "Cette formule n’existe pas"},
             {"?offer=petit:week", 400, "Choisissez une durée"},
             {"?offer=nothing", 400, "Ce champ est obligatoire"},
         }) {
        const auto r = manager.get(page + c.query);
        EXPECT_EQ(r.status, c.status) << c.query;
        EXPECT_NE(pageText(r).find(c.message), std::string::npos) << c.query << "\n" << pageText(r);
        EXPECT_NE(pageText(r).find("class=\"field-error\""), std::string::npos) << c.query;
    }
    // Posted directly: the same refusals, and a second subscription is refused.
    EXPECT_EQ(manager.post(page, {{"offer", "grand:month"}, {"price_cents", "100"}}).status, 400);
    EXPECT_EQ(manager.post(page, {{"offer", "grand:month"}, {"price_cents", "abc"}}).status, 400);
    EXPECT_EQ(manager.post(page, {{"offer", ""}}).status, 400);
    EXPECT_EQ(billingSnapshot(), before);
    ASSERT_EQ(manager.post(page, {{"offer", "petit:year"}}).status, 303);
    const std::string subscribed = billingSnapshot();
    const auto same = manager.post(page, {{"offer", "petit:year"}});
    EXPECT_EQ(same.status, 409);
    EXPECT_NE(pageText(same).find("C’est déjà votre formule"), std::string::npos) << same.body;
    // Without the form token: 403.
    EXPECT_EQ(manager.post(page, {{"offer", "grand:month"}}, false).status, 403);
    EXPECT_EQ(manager.post(page + "/cancel", {}, false).status, 403);
    EXPECT_EQ(billingSnapshot(), subscribed);
}

TEST_F(SubscriptionPages, AnotherAssociationsManagerGetsNotFoundAndAMemberIsRefused) {
    Browser other = signedIn("dominique@chorale.test");
    const std::string page = "/associations/" + a_ + "/subscription";
    EXPECT_EQ(other.get(page).status, 404);
    EXPECT_EQ(other.get(page + "?offer=petit:year").status, 404);
    EXPECT_EQ(other.post(page, {{"offer", "petit:year"}}).status, 404);
    EXPECT_EQ(other.post(page + "/cancel", {}).status, 404);

    const auto signup = d_.client().post(
        "/api/v1/signup",
        R"({"association": {"name": "Autre", "kind": "association", "email": "sam@jardin.test"},
            "manager": {"name": "Sam", "email": "sam@jardin.test", "password": "correct horse battery"},
            "accept_terms": true})");
    ASSERT_EQ(signup.status, 201) << signup.body;
    ASSERT_EQ(admin_
                  ->post("/api/v1/associations/" + a_ + "/members",
                         R"({"email": "sam@jardin.test", "role": "member"})")
                  .status,
              201);
    // Billing is the managers' business: a member is told so.
    Browser member = signedIn("sam@jardin.test");
    EXPECT_EQ(member.get(page).status, 403);
    EXPECT_EQ(member.post(page, {{"offer", "petit:year"}}).status, 403);
    EXPECT_EQ(d_.client().get(page).status, 303);  // not signed in: to the login page
}

}  // namespace
