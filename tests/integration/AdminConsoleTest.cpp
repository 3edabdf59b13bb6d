// The admin console on the real server: the overview (host, guests by state, queues, alerts) for
// the admin only; the associations with a status filter; the invoices with the billing run, each
// invoice where a payment is recorded or a credit note issued — bad input said by its field and
// changing nothing —; the audit log with its filters and older pages. Others get 404 (or the
// login page), the treasurer the money pages but not the server's.

#include "Browser.h"
#include "TestDaemon.h"

#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"], "prices": [{"interval": "month", "kind": "association", "amount_cents": 1200}],
    "quotas": {"services": {"included": 2, "limit": 3}}})";

class AdminConsole : public ::testing::Test {
protected:
    void SetUp() override {
        d_.clock().set(parseTime("2027-05-12T08:00:00Z").value());
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        d_.staffClient("tresorier@chatons.test", "treasurer");
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-web");
        d_.signup("Chorale", "dominique@chorale.test");  // waits for approval
        ApiClient manager = d_.login("camille@jardin.test", "correct horse battery");
        const auto sub = manager.post("/api/v1/associations/" + a_ + "/subscriptions",
                                      R"({"plan": "asso-web", "interval": "month"})");
        ASSERT_EQ(sub.status, 201) << sub.body;
        const auto invoices = admin_->get("/api/v1/invoices?association=" + a_);
        invoice_ = invoices.json()->getArray("invoices")->getObject(0)->getValue<std::string>("id");
    }

    Browser signedIn(const std::string& email) {
        return signedInBrowser(d_.daemon().port(), email, "correct horse battery", d_.nextTotpCode(email));
    }

    std::string money() {
        auto s = d_.daemon().database().session();
        std::string out;
        for (const char* table : {"invoices", "payments", "allocations", "billing_events"}) {
            int64_t n = 0;
            s << "SELECT COUNT(*) FROM " + std::string(table), into(n), now;
            out += std::string(table) + "=" + std::to_string(n) + " ";
        }
        std::string statuses;
        s << "SELECT group_concat(status, ',') FROM invoices", into(statuses), now;
        return out + statuses;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
    std::string a_;
    std::string invoice_;
};

TEST_F(AdminConsole, TheOverviewShowsTheServerToTheAdminOnly) {
    Browser admin = signedIn("admin@chatons.test");
    auto r = admin.get("/admin");
    ASSERT_EQ(r.status, 200) << r.body;
    for (const char* expected :
         {"Vue d’ensemble", "Le serveur", "Processeurs", "Services par état", "Tâches en attente",
          "Courriels à envoyer", "Brouillons à valider", "Alertes ouvertes", "href=\"/admin/invoices\""}) {
        EXPECT_NE(pageText(r).find(expected), std::string::npos) << expected;
    }
    // Before the first check of the host, nothing is said of libvirtd's state.
    EXPECT_NE(pageText(r).find("pas encore faite depuis le démarrage"), std::string::npos);
    EXPECT_EQ(pageText(r).find("ne répond pas"), std::string::npos);
    // One association waiting: the count links to the sign-ups.
    EXPECT_TRUE(std::regex_search(pageText(r), std::regex("<dt>en attente</dt><dd>1</dd>"))) << pageText(r);
    r = admin.get("/admin?lang=en");
    EXPECT_NE(r.body.find("Services by state"), std::string::npos);

    const auto api = admin_->get("/api/v1/system/overview");
    ASSERT_EQ(api.status, 200) << api.body;
    const auto o = api.json();
    for (const char* key :
         {"host", "allocated", "services", "jobs", "outbox", "associations", "invoices", "alerts"}) {
        EXPECT_TRUE(o->has(key)) << key;
    }
    EXPECT_EQ(o->getObject("associations")->getValue<int>("pending"), 1);
    EXPECT_EQ(o->getObject("associations")->getValue<int>("active"), 1);

    // The treasurer: the money, not the server; a manager: nothing; a visitor: the login page.
    Browser treasurer = signedIn("tresorier@chatons.test");
    EXPECT_EQ(treasurer.get("/admin").status, 403);
    EXPECT_EQ(treasurer.get("/admin/invoices").status, 200);
    Browser manager = signedIn("camille@jardin.test");
    for (const char* page : {"/admin", "/admin/associations", "/admin/invoices", "/admin/audit"}) {
        EXPECT_EQ(manager.get(page).status, 404) << page;
        EXPECT_EQ(Browser(d_.daemon().port()).get(page).status, 303) << page;
    }
    EXPECT_EQ(manager.get("/admin/invoices/" + invoice_).status, 404);
    EXPECT_EQ(d_.login("camille@jardin.test", "correct horse battery").get("/api/v1/system/overview").status,
              403);
}

TEST_F(AdminConsole, AssociationsAreListedWithAStatusFilter) {
    Browser admin = signedIn("admin@chatons.test");
    auto r = admin.get("/admin/associations");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Jardin partagé"), std::string::npos);
    EXPECT_NE(r.body.find("Chorale"), std::string::npos);
    EXPECT_NE(r.body.find("href=\"/associations/" + a_ + "\""), std::string::npos);
    r = admin.get("/admin/associations?status=pending");
    EXPECT_EQ(r.body.find("Jardin partagé"), std::string::npos);
    EXPECT_NE(r.body.find("Chorale"), std::string::npos);
}

TEST_F(AdminConsole, ServicesAreListedWithTheirAssociationAndAStateFilter) {
    const auto created = admin_->post("/api/v1/associations/" + a_ + "/services",
                                      R"({"template": "website", "name": "site-du-jardin"})");
    ASSERT_EQ(created.status, 202) << created.body;
    Browser admin = signedIn("admin@chatons.test");
    auto r = admin.get("/admin/services");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("<th scope=\"row\">site-du-jardin</th>"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("Jardin partagé"), std::string::npos);
    r = admin.get("/admin/services?state=suspended");
    EXPECT_EQ(r.body.find("site-du-jardin"), std::string::npos);
    EXPECT_EQ(signedIn("camille@jardin.test").get("/admin/services").status, 404);
}

// A state filter from outside is one of the lifecycle's names (core/States.h): an unknown word is a
// 400 naming it, not an empty list.
TEST_F(AdminConsole, AnUnknownStateFilterIsRefused) {
    const auto api = admin_->get("/api/v1/associations?status=bogus");
    ASSERT_EQ(api.status, 400) << api.body;
    const auto error = api.json()->getObject("error");
    EXPECT_EQ(error->getValue<std::string>("code"), "invalid_status");
    EXPECT_NE(error->getValue<std::string>("message").find("'bogus'"), std::string::npos) << api.body;
    EXPECT_EQ(admin_->get("/api/v1/associations?status=Active").status, 400);
    EXPECT_EQ(admin_->get("/api/v1/associations?status=active").status, 200);
    EXPECT_EQ(admin_->get("/api/v1/associations?status=").status, 200) << "an empty filter filters nothing";

    Browser admin = signedIn("admin@chatons.test");
    EXPECT_EQ(admin.get("/admin/associations?status=bogus").status, 400);
    EXPECT_EQ(admin.get("/admin/services?state=bogus").status, 400);
    EXPECT_EQ(admin.get("/admin/services?state=suspended").status, 200);
    Browser treasurer = signedIn("tresorier@chatons.test");
    EXPECT_EQ(treasurer.get("/admin/invoices?status=bogus").status, 400);
    EXPECT_EQ(treasurer.get("/admin/invoices?status=overdue").status, 200);
}

TEST_F(AdminConsole, TheTreasurerRecordsAPaymentAndIssuesACreditNote) {
    Browser treasurer = signedIn("tresorier@chatons.test");
    auto r = treasurer.get("/admin/invoices");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(pageText(r).find("F-2027-000001"), std::string::npos) << pageText(r);
    EXPECT_NE(r.body.find("12,00\u202f€"), std::string::npos);
    EXPECT_EQ(pageText(treasurer.get("/admin/invoices?status=paid")).find("F-2027-000001"),
              std::string::npos);

    const std::string page = "/admin/invoices/" + invoice_;
    r = treasurer.get(page);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("Enregistrer un paiement"), std::string::npos);
    EXPECT_NE(r.body.find("Émettre un avoir"), std::string::npos);

    // Bad input: said by its field, what was typed kept, nothing recorded.
    const std::string before = money();
    r = treasurer.post(page + "/payments",
                       {{"amount", "douze"}, {"method", "cheque"}, {"reference", "n° 123"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"amount-error\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("value=\"n° 123\""), std::string::npos);
    r = treasurer.post(page + "/payments", {{"amount", "12"}, {"method", "bitcoin"}});
    EXPECT_EQ(r.status, 400);
    r = treasurer.post(page + "/payments", {{"amount", "12"}, {"method", "cheque"}, {"date", "2099-01-01"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"date-error\""), std::string::npos);
    r = treasurer.post(page + "/credit-notes", {{"reason", ""}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"credit-reason-error\""), std::string::npos) << r.body;
    r = treasurer.post(page + "/credit-notes", {{"reason", "geste"}, {"amount", "50"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"credit-amount-error\""), std::string::npos);
    EXPECT_EQ(treasurer.post(page + "/payments", {{"amount", "12"}, {"method", "cheque"}}, false).status,
              403);
    EXPECT_EQ(money(), before);

    // A part paid by cheque, then a credit note for the rest: settled.
    r = treasurer.post(page + "/payments",
                       {{"amount", "7,50"}, {"method", "cheque"}, {"reference", "n° 123"}});
    ASSERT_EQ(r.status, 303) << r.body;
    r = treasurer.get(page + "?done=paid");
    EXPECT_NE(r.body.find("Paiement enregistré"), std::string::npos);
    EXPECT_NE(r.body.find("4,50\u202f€"), std::string::npos) << "still due";
    r = treasurer.post(page + "/credit-notes", {{"reason", "Geste pour la fête du jardin"}});
    ASSERT_EQ(r.status, 303) << r.body;
    r = treasurer.get(page);
    // Settled by the credit note: the invoice is cancelled for what remained.
    EXPECT_NE(r.body.find("<dd>annulée</dd>"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("<td>Formule « Site web »"), std::string::npos) << "its lines";
    EXPECT_EQ(r.body.find("Enregistrer un paiement"), std::string::npos);
    EXPECT_NE(pageText(treasurer.get("/admin/invoices")).find("A-2027-000001"), std::string::npos);
}

TEST_F(AdminConsole, TheBillingRunIsLaunchedFromTheConsole) {
    Browser admin = signedIn("admin@chatons.test");
    const std::string before = money();
    auto r = admin.post("/admin/billing/run", {{"as_of", "12/06/2027"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"as_of-error\""), std::string::npos) << r.body;
    EXPECT_EQ(money(), before);
    d_.clock().set(parseTime("2027-06-12T08:00:00Z").value());
    admin = signedIn("admin@chatons.test");
    r = admin.post("/admin/billing/run", {{"as_of", ""}});
    ASSERT_EQ(r.status, 303) << r.body;
    r = admin.get(r.headers.at("Location"));
    EXPECT_NE(r.body.find("Facturation faite. Factures émises : 1 — 12,00\u202f€"), std::string::npos)
        << r.body;
    EXPECT_NE(pageText(r).find("F-2027-000002"), std::string::npos);
}

TEST_F(AdminConsole, TheAuditLogIsFilteredAndPaged) {
    Browser admin = signedIn("admin@chatons.test");
    auto r = admin.get("/admin/audit");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("association.approve"), std::string::npos);
    EXPECT_NE(r.body.find("subscription.create"), std::string::npos);
    r = admin.get("/admin/audit?action=subscription.");
    EXPECT_NE(r.body.find("subscription.create"), std::string::npos);
    EXPECT_EQ(r.body.find("association.approve"), std::string::npos);
    r = admin.get("/admin/audit?who=camille%40jardin.test");
    EXPECT_NE(r.body.find("subscription.create"), std::string::npos);
    EXPECT_EQ(r.body.find("association.approve"), std::string::npos);
    r = admin.get("/admin/audit?since=2027-05-13");
    EXPECT_NE(r.body.find("Aucune entrée ne correspond"), std::string::npos);
    r = admin.get("/admin/audit?since=13%2F05%2F2027");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"since-error\""), std::string::npos);
    EXPECT_EQ(admin_->get("/api/v1/audit?since=hier").status, 400);
    EXPECT_EQ(admin_->get("/api/v1/audit?until=2020-01-01").json()->getArray("entries")->size(), 0u);

    // More than a page: the older ones a link away, filters kept.
    {
        auto s = d_.daemon().database().session();
        for (int i = 0; i < 60; ++i) {
            s << "INSERT INTO audit_log (at, actor, client_address, action, target_type, target_id, details) "
                 "VALUES ('2027-05-12T09:00:00Z', 'test', '', 'test.entry', 'test', ?, '{}')",
                bind(std::to_string(i)), now;
        }
    }
    r = admin.get("/admin/audit?action=test.");
    std::smatch older;
    const std::string page = pageText(r);
    ASSERT_TRUE(
        std::regex_search(page, older, std::regex(R"re(href="(/admin/audit\?before=\d+&action=test\.)")re")))
        << page;
    r = admin.get(older[1].str());
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("test 9<"), std::string::npos);
    EXPECT_EQ(r.body.find("test 10<"), std::string::npos);
    EXPECT_EQ(r.body.find("Entrées plus anciennes"), std::string::npos);
}

}  // namespace
