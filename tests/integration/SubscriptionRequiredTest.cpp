// Billing binds, on the real server, a real SQLite file and libvirt's test driver, with the manual
// clock: a service needs a subscription (or a free plan given by the admin), the page says so; when a
// subscription ends, the services run through a grace period (mailed at its start and 3 days before
// its end), then get the `no_subscription` reason until a new subscription; an installation from
// before the rule gives the grace, never an immediate suspension; an imported member is invoiced
// every period since its start, or from the period that contains the date it has paid through.

#include "Browser.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <sstream>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kWeb = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
    "quotas": {"services": {"included": 2, "limit": 3}}})";
const std::string kHost = R"({"slug": "hebergeur", "name": "Hébergeur", "templates": ["website"],
    "free": true, "prices": []})";

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

class SubscriptionRequired : public ::testing::Test {
protected:
    SubscriptionRequired()
        : d_([](Settings& s) {
              s.sessionTtlHours = 24 * 365;
              s.monitoringIntervalSeconds = 3600;
              s.billing.runIntervalSeconds = 86400;
              s.billing.unsubscribedGraceDays = 15;
          }) {}

    void SetUp() override {
        d_.clock().set(at("2027-01-10T09:00:00Z"));
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_.staffClient("tresorier@chatons.test", "treasurer"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kWeb).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-web");
        manager_ = std::make_unique<ApiClient>(d_.login("camille@jardin.test", "correct horse battery"));
    }

    int64_t count(const std::string& sql) {
        auto s = d_.daemon().database().session();
        int64_t n = 0;
        s << sql, into(n), now;
        return n;
    }
    int64_t mails(const std::string& templateName) {
        auto s = d_.daemon().database().session();
        int64_t n = 0;
        s << "SELECT COUNT(*) FROM outbox WHERE template = ?", bind(templateName), into(n), now;
        return n;
    }
    // What a refused request must leave as it was.
    std::string snapshot() {
        std::ostringstream out;
        for (const char* table : {"plans", "plan_versions", "subscriptions", "invoices", "billing_events",
                                  "services", "jobs", "audit_log", "subscription_grace"}) {
            out << table << "=" << count("SELECT COUNT(*) FROM " + std::string(table)) << " ";
        }
        return out.str();
    }
    std::string reasonsOf(const std::string& serviceId) {
        const auto r = admin_->get("/api/v1/services/" + serviceId);
        std::ostringstream out;
        r.json()->getArray("suspended_for")->stringify(out);
        return out.str();
    }
    std::string createService(const ApiClient& who, const std::string& association, const std::string& name) {
        const auto r = who.post("/api/v1/associations/" + association + "/services",
                                R"({"template": "website", "name": ")" + name + "\"}");
        EXPECT_EQ(r.status, 202) << r.body;
        return r.json() ? r.json()->getValue<std::string>("id") : "";
    }
    std::string subscribe(const std::string& body = R"({"plan": "asso-web", "interval": "month"})") {
        const auto r = manager_->post("/api/v1/associations/" + a_ + "/subscriptions", body);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()->getValue<std::string>("id");
    }
    Poco::JSON::Object::Ptr run() {
        const auto r = treasurer_->post("/api/v1/billing/run", "{}");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_, treasurer_, manager_;
    std::string a_;
};

TEST_F(SubscriptionRequired, AServiceNeedsASubscriptionOrAFreePlan) {
    // A plan named at sign-up is not enough: 409, nothing written.
    const std::string services = "/api/v1/associations/" + a_ + "/services";
    std::string before = snapshot();
    auto r = manager_->post(services, R"({"template": "website", "name": "site"})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "no_subscription") << r.body;
    EXPECT_EQ(admin_->post(services, R"({"template": "website", "name": "site"})").errorCode(),
              "no_subscription");
    EXPECT_EQ(snapshot(), before);

    // A free plan with prices is refused by its field; a free plan needs no subscription (and
    // cannot be subscribed to: nothing to invoice).
    std::string priced = kHost;
    priced.replace(priced.find("\"prices\": []"), 12,
                   R"("prices": [{"interval": "month", "kind": "association", "amount_cents": 100}])");
    r = admin_->post("/api/v1/plans", priced);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.fieldErrors()["prices"], "free_with_prices") << r.body;
    r = admin_->put("/api/v1/plans/asso-web", R"({"name": "Site web", "free": true,
        "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}]})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(snapshot(), before);
    ASSERT_EQ(admin_->post("/api/v1/plans", kHost).status, 201);
    EXPECT_TRUE(admin_->get("/api/v1/plans/hebergeur").json()->getValue<bool>("free"));
    r = manager_->post("/api/v1/associations/" + a_ + "/subscriptions",
                       R"({"plan": "hebergeur", "interval": "month"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.fieldErrors()["plan"], "free_plan") << r.body;

    // The host's own association, on the free plan the admin gives it: services, no invoice.
    const std::string host = d_.approvedAssociation(*admin_, "Fab'Lab", "admin@fablab.test", "hebergeur");
    const std::string site = createService(*admin_, host, "accueil");
    EXPECT_EQ(run()->getValue<int>("invoices"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM invoices"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM subscription_grace"), 0);
    EXPECT_EQ(reasonsOf(site), "[]");
    // The admin moves the association on it: its services are covered too.
    ASSERT_EQ(admin_->put("/api/v1/associations/" + a_ + "/plan", R"({"plan": "hebergeur"})").status, 200);
    createService(*manager_, a_, "site");
    ASSERT_EQ(admin_->put("/api/v1/associations/" + a_ + "/plan", R"({"plan": "asso-web"})").status, 200);

    // Subscribed: services come.
    subscribe();
    createService(*manager_, a_, "blog");
}

TEST_F(SubscriptionRequired, ThePagesSayASubscriptionIsNeededAndLinkToIt) {
    Browser camille = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    auto page = camille.get("/associations/" + a_);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("n’en a pas encore"), std::string::npos);
    EXPECT_NE(pageText(page).find("href=\"/associations/" + a_ + "/subscription\">Choisir un abonnement"),
              std::string::npos);
    EXPECT_EQ(pageText(page).find("action=\"/associations/" + a_ + "/services\""), std::string::npos)
        << "no form that would be refused";

    // The form posted anyway (a page kept open): refused with the reason, nothing created. The
    // request is same-origin, as a browser sends it.
    const auto posted =
        camille.post("/associations/" + a_ + "/services", {{"template", "website"}, {"name", "site"}});
    EXPECT_EQ(posted.status, 409) << posted.body;
    EXPECT_NE(posted.body.find("Les services viennent avec un abonnement"), std::string::npos) << posted.body;
    EXPECT_EQ(count("SELECT COUNT(*) FROM services"), 0);

    // In English too; and once subscribed, the form is there.
    camille.setCookie("chatiere_lang", "en");
    page = camille.get("/associations/" + a_);
    EXPECT_NE(page.body.find("Choose a subscription"), std::string::npos);
    subscribe();
    page = camille.get("/associations/" + a_);
    EXPECT_EQ(page.body.find("Choose a subscription"), std::string::npos);
    EXPECT_NE(pageText(page).find("action=\"/associations/" + a_ + "/services\""), std::string::npos);
}

TEST_F(SubscriptionRequired, TheAdminMarksAPlanFreeInTheEditor) {
    Browser admin = signedInBrowser(d_.daemon().port(), "admin@chatons.test", "correct horse battery",
                                    d_.nextTotpCode("admin@chatons.test"));
    ASSERT_EQ(admin.get("/admin/plans/new").status, 200);
    const std::string before = snapshot();
    std::vector<std::pair<std::string, std::string>> form = {{"slug", "hote"},
                                                             {"name_fr", "Hôte"},
                                                             {"name_en", "Host"},
                                                             {"template_website", "yes"},
                                                             {"trial_days", "0"},
                                                             {"free", "yes"},
                                                             {"price_month_association_amount", "3"}};
    auto r = admin.post("/admin/plans", form);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("Une formule gratuite n’a pas de prix"), std::string::npos) << r.body;
    EXPECT_EQ(snapshot(), before);
    form.pop_back();
    r = admin.post("/admin/plans", form);
    EXPECT_EQ(r.status, 303) << r.body;
    EXPECT_TRUE(admin_->get("/api/v1/plans/hote").json()->getValue<bool>("free"));
    r = admin.get("/admin/plans/hote");
    EXPECT_NE(r.body.find("name=\"free\" value=\"yes\" aria-describedby=\"free-hint\" checked"),
              std::string::npos);
    EXPECT_NE(admin.get("/admin/plans").body.find("Formule gratuite"), std::string::npos);
}

TEST_F(SubscriptionRequired, AfterASubscriptionEndsServicesRunThroughAGraceThenStopUntilANewOne) {
    const std::string sub = subscribe();
    const std::string site = createService(*manager_, a_, "site");
    const std::string blog = createService(*manager_, a_, "blog");
    // The admin suspends the blog for a reason of its own: that reason stays throughout.
    ASSERT_EQ(admin_->post("/api/v1/services/" + blog + "/suspend", "{}").status, 202);
    ASSERT_EQ(manager_->post("/api/v1/subscriptions/" + sub + "/cancel", "{}").status, 200);

    // The period paid for goes on; it ends on 10 February: the grace starts, mailed once.
    d_.clock().set(at("2027-02-10T09:00:00Z"));
    auto summary = run();
    EXPECT_EQ(summary->getValue<int>("ended"), 1);
    EXPECT_EQ(summary->getValue<int>("unsubscribed"), 0);
    EXPECT_EQ(mails("unsubscribed_grace"), 1);
    EXPECT_EQ(reasonsOf(site), "[]");
    run();
    EXPECT_EQ(mails("unsubscribed_grace"), 1) << "a run repeated mails nothing more";
    {
        auto s = d_.daemon().database().session();
        std::string body;
        s << "SELECT body FROM outbox WHERE template = 'unsubscribed_grace'", into(body), now;
        EXPECT_NE(body.find("25/02/2027"), std::string::npos) << body;
        EXPECT_NE(body.find("http://chatons.test/associations/" + a_ + "/subscription"), std::string::npos);
    }

    // 3 days before the end (22 February): the reminder, once.
    d_.clock().set(at("2027-02-21T09:00:00Z"));
    run();
    EXPECT_EQ(mails("unsubscribed_reminder"), 0);
    d_.clock().set(at("2027-02-22T09:00:00Z"));
    run();
    run();
    EXPECT_EQ(mails("unsubscribed_reminder"), 1);
    d_.clock().set(at("2027-02-24T09:00:00Z"));
    run();
    EXPECT_EQ(reasonsOf(site), "[]");

    // 15 days after: `no_subscription` on every service, beside the admin's own reason; nothing deleted.
    d_.clock().set(at("2027-02-25T09:00:00Z"));
    summary = run();
    EXPECT_EQ(summary->getValue<int>("unsubscribed"), 1);
    EXPECT_EQ(reasonsOf(site), R"(["no_subscription"])");
    EXPECT_EQ(reasonsOf(blog), R"(["admin","no_subscription"])");
    EXPECT_EQ(run()->getValue<int>("unsubscribed"), 0) << "idempotent";
    EXPECT_EQ(count("SELECT COUNT(*) FROM services WHERE state IN ('deleting', 'deleted')"), 0);
    EXPECT_EQ(mails("unsubscribed_grace") + mails("unsubscribed_reminder"), 2);
    // A manager's resume does not lift it.
    manager_->post("/api/v1/services/" + site + "/resume", "{}");
    EXPECT_EQ(reasonsOf(site), R"(["no_subscription"])");

    // A new subscription: the reason goes at once (only that one), the grace is over.
    d_.clock().set(at("2027-03-02T09:00:00Z"));
    subscribe();
    EXPECT_EQ(reasonsOf(site), "[]");
    EXPECT_EQ(reasonsOf(blog), R"(["admin"])");
    EXPECT_EQ(count("SELECT COUNT(*) FROM subscription_grace"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'service.resume' AND details LIKE "
                    "'%no_subscription%'"),
              2);
    run();
    EXPECT_EQ(reasonsOf(site), "[]");
}

TEST_F(SubscriptionRequired, AnInstallationFromBeforeTheRuleGivesTheGraceNeverASuspension) {
    // Services that ran without a subscription under the old code: as the database was at schema
    // v11 (before v12 brought the rule), its subscription ended and nothing of the grace recorded.
    subscribe();
    const std::string site = createService(*manager_, a_, "site");
    d_.stop();
    {
        Database db(d_.settings().dbPath);
        auto s = db.session();
        s << "UPDATE subscriptions SET status = 'ended'", now;
        s << "DROP TABLE subscription_grace", now;
        // Nor had it v14's second factor (the migrations after v11 run again).
        s << "DROP TABLE recovery_codes", now;
        s << "DROP TABLE login_challenges", now;
        for (const char* column : {"totp_secret", "totp_enabled_at", "totp_last_step"}) {
            s << "ALTER TABLE users DROP COLUMN " + std::string(column), now;
        }
        // Nor v17's public names and certificates (its alerts table is rebuilt as it was).
        s << "DROP TABLE certificates", now;
        s << "DROP INDEX associations_slug", now;
        s << "DROP INDEX services_public_hostname", now;
        s << "DROP INDEX services_domain", now;
        s << "ALTER TABLE associations DROP COLUMN slug", now;
        s << "ALTER TABLE services DROP COLUMN domain", now;
        s << "ALTER TABLE services DROP COLUMN proxy_error", now;
        // Nor v18's transfer.
        for (const char* table : {"transfer_samples", "transfer_totals", "transfer_cursors"}) {
            s << "DROP TABLE " + std::string(table), now;
        }
        for (const char* table :
             {"usage_hourly", "usage_daily", "association_usage_hourly", "association_usage_daily"}) {
            s << "ALTER TABLE " + std::string(table) + " DROP COLUMN transfer_bytes", now;
        }
        // Nor v19's mail.
        for (const char* table : {"mailboxes", "mail_aliases"}) {
            s << "DROP TABLE " + std::string(table), now;
        }
        s << "DROP INDEX services_mail_domain", now;
        s << "ALTER TABLE services DROP COLUMN mail_domain", now;
        s << "PRAGMA user_version = 11", now;
    }
    d_.clock().set(at("2027-02-20T09:00:00Z"));  // after anything that would have been due
    d_.start();
    // The daemon listens on a new port: new sessions, and the staff enrol their second factor again.
    for (const auto* email : {"admin@chatons.test", "tresorier@chatons.test"}) {
        d_.forgetTotp(email);
        d_.enrolTotp(d_.login(email, "correct horse battery"), email);
    }
    admin_ = std::make_unique<ApiClient>(d_.login("admin@chatons.test", "correct horse battery"));
    treasurer_ = std::make_unique<ApiClient>(d_.login("tresorier@chatons.test", "correct horse battery"));
    EXPECT_EQ(count("SELECT COUNT(*) FROM subscription_grace"), 1);
    EXPECT_EQ(run()->getValue<int>("unsubscribed"), 0);
    EXPECT_EQ(reasonsOf(site), "[]");
    EXPECT_EQ(mails("unsubscribed_grace"), 1);
    // The grace runs from the upgrade: 15 days later, and only then, the reason.
    d_.clock().set(at("2027-03-06T09:00:00Z"));
    EXPECT_EQ(run()->getValue<int>("unsubscribed"), 0);
    EXPECT_EQ(reasonsOf(site), "[]");
    d_.clock().set(at("2027-03-07T09:00:00Z"));
    EXPECT_EQ(run()->getValue<int>("unsubscribed"), 1);
    EXPECT_EQ(reasonsOf(site), R"(["no_subscription"])");
}

TEST_F(SubscriptionRequired, AnImportedMemberIsInvoicedSinceItsStartOrFromWhatItPaidThrough) {
    const std::string subscriptions = "/api/v1/associations/" + a_ + "/subscriptions";
    const std::string preview = subscriptions + "/preview?plan=asso-web&interval=month";
    // Bad input: paid_through before the start, not a date, or from a manager; nothing written.
    const std::string before = snapshot();
    auto r = admin_->post(subscriptions, R"({"plan": "asso-web", "interval": "month",
        "start_date": "2026-10-15", "paid_through": "2026-10-14"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.fieldErrors()["paid_through"], "before_start") << r.body;
    r = admin_->post(subscriptions,
                     R"({"plan": "asso-web", "interval": "month", "paid_through": "2027-01-09"})");
    EXPECT_EQ(r.fieldErrors()["paid_through"], "before_start") << r.body;
    r = admin_->post(subscriptions,
                     R"({"plan": "asso-web", "interval": "month", "paid_through": "bientôt"})");
    EXPECT_EQ(r.fieldErrors()["paid_through"], "invalid_date") << r.body;
    r = manager_->post(subscriptions,
                       R"({"plan": "asso-web", "interval": "month", "paid_through": "2027-03-01"})");
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(manager_->get(preview + "&paid_through=2027-03-01").status, 403);
    EXPECT_EQ(snapshot(), before);

    // Started on 15 October, nothing said about payment: the preview shows the catch-up, and
    // subscribing invoices every period since the start (3), each on its own invoice.
    r = admin_->get(preview + "&start_date=2026-10-15");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getValue<int64_t>("amount_cents"), 3000);
    const auto periods = r.json()->getArray("periods");
    ASSERT_EQ(periods->size(), 3u);
    EXPECT_EQ(periods->getObject(0)->getValue<std::string>("start"), "2026-10-15");
    EXPECT_EQ(periods->getObject(2)->getValue<std::string>("end"), "2027-01-15");
    EXPECT_EQ(snapshot(), before);
    r = admin_->post(subscriptions,
                     R"({"plan": "asso-web", "interval": "month", "start_date": "2026-10-15"})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("billed_through"), "2027-01-15");
    auto invoices = admin_->get("/api/v1/invoices?association=" + a_).json()->getArray("invoices");
    ASSERT_EQ(invoices->size(), 3u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM invoices WHERE period_start = '2026-10-15'"), 1);

    // Another, who paid through 20 December: its first invoice covers 15 December – 15 January.
    const std::string b = d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "asso-web");
    const std::string other = "/api/v1/associations/" + b + "/subscriptions";
    r = admin_->get(other +
                    "/preview?plan=asso-web&interval=month&start_date=2026-10-15&paid_through=2026-12-20");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getValue<int64_t>("amount_cents"), 1000);
    EXPECT_EQ(r.json()->getArray("periods")->size(), 1u);
    EXPECT_EQ(r.json()->getObject("period")->getValue<std::string>("start"), "2026-12-15");
    r = admin_->post(other, R"({"plan": "asso-web", "interval": "month", "start_date": "2026-10-15",
        "paid_through": "2026-12-20"})");
    ASSERT_EQ(r.status, 201) << r.body;
    invoices = admin_->get("/api/v1/invoices?association=" + b).json()->getArray("invoices");
    ASSERT_EQ(invoices->size(), 1u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM invoices WHERE association_id = '" + b +
                    "' AND period_start = '2026-12-15' AND period_end = '2027-01-15'"),
              1);
    // Paid through a date to come: nothing now, the period that contains it when it begins.
    const std::string c = d_.approvedAssociation(*admin_, "Cinéclub", "eve@cine.test", "asso-web");
    r = admin_->post("/api/v1/associations/" + c + "/subscriptions",
                     R"({"plan": "asso-web", "interval": "month", "paid_through": "2027-03-01"})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("billed_through"), "2027-02-10");
    EXPECT_EQ(count("SELECT COUNT(*) FROM invoices WHERE association_id = '" + c + "'"), 0);
}

}  // namespace
