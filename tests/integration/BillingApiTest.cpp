// The billing API and CLI on the real HTTP server and a real SQLite file: bad input refused with a
// clear 4xx and nothing written, one association never seeing another's, roles, drafts kept for
// review, cancellation with a final invoice, and the daemon billing on its own.

#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kWeb = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}},
    "overage": {"disk_gib": {"unit_cents": 50}}})";
// Pay what you can: 20 € suggested, 5 € at least.
const std::string kFree = R"({"slug": "libre", "name": {"fr": "Prix libre", "en": "Pay what you can"},
    "templates": ["website"],
    "prices": [{"interval": "year", "kind": "association", "amount_cents": 2000, "floor_cents": 500}],
    "quotas": {"services": {"included": 1, "limit": 1}, "disk_gib": {"included": 1, "limit": 2}}})";

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

// One row of a subscription's change history, as stored.
struct Change {
    std::string subscriptionId;
    std::string kind;
    std::string effectiveDate;
    std::string fromPlan;
    int64_t fromVersion = 0;
    int64_t fromPriceCents = 0;
    std::optional<std::string> toPlan;
    std::optional<int64_t> toVersion;
    std::optional<int64_t> toPriceCents;
    std::string createdBy;
};

// A subscription's change history in the order of the changes (no endpoint shows it: read from the
// database file).
std::vector<Change> changesOf(Database& db, const std::string& subscriptionId) {
    auto s = db.session();
    return s.query(
        "SELECT subscription_id, kind, effective_date, from_plan, from_version, from_price_cents, to_plan, "
        "to_version, to_price_cents, created_by FROM subscription_changes WHERE subscription_id = ? "
        "ORDER BY created_at, rowid",
        [](const Row& r) {
            return Change{r.text(0),    r.text(1),    r.text(2),       r.text(3),       r.integer(4),
                          r.integer(5), r.optText(6), r.optInteger(7), r.optInteger(8), r.text(9)};
        },
        subscriptionId);
}

// The cells of an RFC 4180 CSV text, line by line (quoted cells unquoted, "" → ").
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                rows.back().back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                rows.back().back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().emplace_back();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.emplace_back(1);
            ++i;
        } else {
            rows.back().back() += c;
        }
    }
    if (rows.back().size() == 1 && rows.back()[0].empty()) {
        rows.pop_back();
    }
    return rows;
}

class BillingApi : public ::testing::Test {
protected:
    explicit BillingApi(int draftDays = 0, int runIntervalSeconds = 86400)
        : d_([=](Settings& s) {
              s.sessionTtlHours = 24 * 365;
              s.monitoringIntervalSeconds = 3600;
              s.billing.runIntervalSeconds = runIntervalSeconds;
              s.billing.draftDays = draftDays;
              s.billing.sellerName = "Fab'Lab du Pays";
              s.billing.sellerAddress = {"1 rue de la Fabrique", "35000 Rennes"};
          }) {}

    void SetUp() override {
        d_.clock().set(at("2027-01-10T09:00:00Z"));
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_.staffClient("tresorier@chatons.test", "treasurer"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kWeb).status, 201);
        ASSERT_EQ(admin_->post("/api/v1/plans", kFree).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-web");
        b_ = d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "asso-web");
        managerA_ = std::make_unique<ApiClient>(d_.login("camille@jardin.test", "correct horse battery"));
        managerB_ = std::make_unique<ApiClient>(d_.login("dominique@chorale.test", "correct horse battery"));
    }

    // Every table billing writes, counted: equal before and after a refused request.
    std::string snapshot() {
        auto s = d_.daemon().database().session();
        std::ostringstream out;
        for (const char* table :
             {"plans", "subscriptions", "subscription_changes", "invoices", "invoice_lines", "billing_events",
              "payments", "allocations", "dunning_steps", "outbox"}) {
            int64_t n = 0;
            s << "SELECT COUNT(*) FROM " + std::string(table), into(n), now;
            out << table << "=" << n << " ";
        }
        std::string statuses;
        s << "SELECT COALESCE(group_concat(status || ':' || COALESCE(number, '-'), ','), '') FROM invoices",
            into(statuses), now;
        return out.str() + statuses;
    }

    // The request is refused with `status`, a JSON error naming `field` (when given), nothing written.
    void expectRefused(const ApiResponse& r, int status, const std::string& code,
                       const std::string& field = "") {
        EXPECT_EQ(r.status, status) << r.body;
        ASSERT_TRUE(r.json()) << r.body;
        const auto error = r.json()->getObject("error");
        ASSERT_TRUE(error) << r.body;
        EXPECT_FALSE(error->getValue<std::string>("message").empty());
        if (!field.empty()) {
            const auto fields = error->getArray("fields");
            ASSERT_TRUE(fields) << r.body;
            bool named = false;
            for (std::size_t i = 0; i < fields->size(); ++i) {
                const auto f = fields->getObject(static_cast<unsigned>(i));
                named |=
                    f->getValue<std::string>("field") == field && f->getValue<std::string>("code") == code;
            }
            EXPECT_TRUE(named) << field << "/" << code << " in " << r.body;
        } else {
            EXPECT_EQ(error->getValue<std::string>("code"), code) << r.body;
        }
    }

    std::string subscribe(const ApiClient& who, const std::string& association, const std::string& body) {
        const auto r = who.post("/api/v1/associations/" + association + "/subscriptions", body);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()->getValue<std::string>("id");
    }

    Poco::JSON::Array::Ptr invoicesOf(const ApiClient& who, const std::string& association) {
        const auto r = who.get("/api/v1/invoices?association=" + association);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()->getArray("invoices");
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_, treasurer_, managerA_, managerB_;
    std::string a_, b_;
};

TEST_F(BillingApi, BadInputIsRefusedClearlyAndWritesNothing) {
    const std::string before = snapshot();
    const std::string subscriptions = "/api/v1/associations/" + a_ + "/subscriptions";
    // Plans: a negative or absurd price, a floor above the price.
    std::string plan = kWeb;
    plan.replace(plan.find("\"amount_cents\": 1000"), 20, "\"amount_cents\": -100");
    expectRefused(admin_->put("/api/v1/plans/asso-web", plan), 400, "invalid_amount",
                  "prices.0.amount_cents");
    plan = kWeb;
    plan.replace(plan.find("\"amount_cents\": 1000"), 20, "\"amount_cents\": 9000000000000");
    expectRefused(admin_->put("/api/v1/plans/asso-web", plan), 400, "invalid_amount",
                  "prices.0.amount_cents");
    plan = kFree;
    plan.replace(plan.find("\"floor_cents\": 500"), 18, "\"floor_cents\": 5000");
    expectRefused(admin_->put("/api/v1/plans/libre", plan), 400, "invalid_floor", "prices.0.floor_cents");

    // Subscriptions: an unknown plan, an unknown interval, a price on a fixed-price plan, under the
    // floor, negative, absurd or not a number, a start date from a manager or not a date.
    expectRefused(managerA_->post(subscriptions, R"({"plan": "platinum", "interval": "month"})"), 400,
                  "unknown_plan", "plan");
    expectRefused(managerA_->post(subscriptions, R"({"plan": "asso-web", "interval": "week"})"), 400,
                  "invalid_interval", "interval");
    expectRefused(managerA_->post(subscriptions, R"({"plan": "asso-web", "interval": "year"})"), 400,
                  "no_price", "interval");
    expectRefused(
        managerA_->post(subscriptions, R"({"plan": "asso-web", "interval": "month", "price_cents": 800})"),
        400, "not_pay_what_you_can", "price_cents");
    expectRefused(
        managerA_->post(subscriptions, R"({"plan": "libre", "interval": "year", "price_cents": 499})"), 400,
        "below_floor", "price_cents");
    expectRefused(
        managerA_->post(subscriptions, R"({"plan": "libre", "interval": "year", "price_cents": -500})"), 400,
        "below_floor", "price_cents");
    expectRefused(managerA_->post(subscriptions,
                                  R"({"plan": "libre", "interval": "year", "price_cents": 90000000000000})"),
                  400, "invalid_amount", "price_cents");
    expectRefused(managerA_->post(subscriptions,
                                  R"({"plan": "libre", "interval": "year", "price_cents": "cinq euros"})"),
                  400, "wrong_type", "price_cents");
    expectRefused(managerA_->post(subscriptions,
                                  R"({"plan": "asso-web", "interval": "month", "start_date": "2026-12-01"})"),
                  400, "admin_only", "start_date");
    expectRefused(admin_->post(subscriptions,
                               R"({"plan": "asso-web", "interval": "month", "start_date": "2027-02-30"})"),
                  400, "invalid_date", "start_date");
    expectRefused(managerA_->post(subscriptions, R"({"plan": "asso-web", "interval": )"), 400,
                  "invalid_json");
    EXPECT_EQ(snapshot(), before);

    // A pay-what-you-can subscription above the floor: one invoice at the chosen price.
    const std::string sub =
        subscribe(*managerA_, a_, R"({"plan": "libre", "interval": "year", "price_cents": 1500})");
    auto list = invoicesOf(*managerA_, a_);
    ASSERT_EQ(list->size(), 1u);
    const std::string invoice = list->getObject(0)->getValue<std::string>("id");
    EXPECT_EQ(list->getObject(0)->getValue<int64_t>("total_cents"), 1500);
    const std::string subscribed = snapshot();
    expectRefused(managerA_->post(subscriptions, R"({"plan": "asso-web", "interval": "month"})"), 409,
                  "already_subscribed");
    expectRefused(managerA_->get("/api/v1/subscriptions/" + sub + "/preview?plan=platinum"), 400,
                  "unknown_plan", "plan");
    expectRefused(managerA_->post("/api/v1/subscriptions/" + sub + "/change",
                                  R"({"plan": "libre", "price_cents": 1500})"),
                  409, "no_change");

    // Payments: nothing, less than nothing, absurd, an unknown method, a future or wrong date.
    const std::string payments = "/api/v1/invoices/" + invoice + "/payments";
    for (const char* amount : {"0", "-500", "900000000000000"}) {
        expectRefused(treasurer_->post(payments, std::string(R"({"amount_cents": )") + amount +
                                                     R"(, "method": "cheque"})"),
                      400, "invalid_amount", "amount_cents");
    }
    expectRefused(treasurer_->post(payments, R"({"amount_cents": 500, "method": "bitcoin"})"), 400,
                  "invalid_method", "method");
    expectRefused(
        treasurer_->post(payments, R"({"amount_cents": 500, "method": "cash", "date": "2027-01-11"})"), 400,
        "invalid_date", "date");
    expectRefused(
        treasurer_->post(payments, R"({"amount_cents": 500, "method": "cash", "date": "10/01/2027"})"), 400,
        "invalid_date", "date");
    expectRefused(treasurer_->post(payments, R"({"method": "cash"})"), 400, "missing", "amount_cents");
    expectRefused(
        treasurer_->post("/api/v1/invoices/inv_nope/payments", R"({"amount_cents": 500, "method": "cash"})"),
        404, "not_found");

    // Credit notes: above what remains, nothing, no reason.
    const std::string credits = "/api/v1/invoices/" + invoice + "/credit-notes";
    expectRefused(treasurer_->post(credits, R"({"amount_cents": 1501, "reason": "erreur"})"), 400,
                  "above_remaining", "amount_cents");
    expectRefused(treasurer_->post(credits, R"({"amount_cents": 0, "reason": "erreur"})"), 400,
                  "invalid_amount", "amount_cents");
    expectRefused(treasurer_->post(credits, R"({"amount_cents": 100})"), 400, "missing", "reason");

    // Billing runs and exports: a date that is not one, a day to come, an unknown export.
    expectRefused(treasurer_->post("/api/v1/billing/run", R"({"as_of": "2027-13-01"})"), 400, "invalid_date",
                  "as_of");
    expectRefused(treasurer_->post("/api/v1/billing/run", R"({"as_of": "2027-01-11"})"), 400, "in_future",
                  "as_of");
    expectRefused(treasurer_->get("/api/v1/billing/export?what=salaries&from=2027-01-01&to=2027-02-01"), 400,
                  "invalid_export", "what");
    expectRefused(treasurer_->get("/api/v1/billing/export?what=invoices&from=2027-02-01&to=2027-01-01"), 400,
                  "invalid_range", "from");
    EXPECT_EQ(snapshot(), subscribed);

    // Paid in part, then credited in full: cancelled, and what was paid becomes the association's
    // credit. A credit note is never above what is left to credit of the invoice.
    ASSERT_EQ(
        treasurer_->post(payments, R"({"amount_cents": 500, "method": "helloasso", "reference": "HA-1"})")
            .status,
        201);
    expectRefused(treasurer_->post(credits, R"({"amount_cents": 1501, "reason": "erreur"})"), 400,
                  "above_remaining", "amount_cents");
    const auto credit = treasurer_->post(credits, R"({"reason": "Adhésion offerte"})");
    ASSERT_EQ(credit.status, 201) << credit.body;
    EXPECT_EQ(credit.json()->getValue<std::string>("number"), "A-2027-000001");
    EXPECT_EQ(credit.json()->getValue<int64_t>("total_cents"), 1500);
    const auto cancelled = managerA_->get("/api/v1/invoices/" + invoice);
    EXPECT_EQ(cancelled.json()->getValue<std::string>("status"), "cancelled") << cancelled.body;
    EXPECT_EQ(cancelled.json()->getValue<int64_t>("credit_balance_cents"), 500) << cancelled.body;
    const std::string afterCredit = snapshot();
    expectRefused(treasurer_->post(payments, R"({"amount_cents": 500, "method": "cash"})"), 409,
                  "invoice_cancelled");
    expectRefused(treasurer_->post(credits, R"({"reason": "encore"})"), 409, "invoice_cancelled");
    expectRefused(
        treasurer_->post("/api/v1/invoices/" + credit.json()->getValue<std::string>("id") + "/payments",
                         R"({"amount_cents": 500, "method": "cash"})"),
        409, "not_an_invoice");
    EXPECT_EQ(snapshot(), afterCredit);
}

TEST_F(BillingApi, ANewSubscriptionIsPreviewedWithItsFirstInvoice) {
    const std::string preview = "/api/v1/associations/" + a_ + "/subscriptions/preview";
    const std::string before = snapshot();
    auto r = managerA_->get(preview + "?plan=libre&interval=year&price_cents=800");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto p = r.json();
    EXPECT_EQ(p->getValue<std::string>("kind"), "new");
    EXPECT_EQ(p->getValue<int64_t>("amount_cents"), 800);
    EXPECT_EQ(p->getValue<std::string>("invoice_date"), "2027-01-10");
    EXPECT_EQ(p->getObject("period")->getValue<std::string>("start"), "2027-01-10");
    EXPECT_EQ(p->getObject("period")->getValue<std::string>("end"), "2028-01-10");
    expectRefused(managerA_->get(preview), 400, "missing", "plan");
    expectRefused(managerA_->get(preview + "?plan=libre"), 400, "missing", "interval");
    expectRefused(managerA_->get(preview + "?plan=libre&interval=year&price_cents=100"), 400, "below_floor",
                  "price_cents");
    expectRefused(managerA_->get(preview + "?plan=nope&interval=year"), 400, "unknown_plan", "plan");
    expectRefused(managerB_->get(preview + "?plan=libre&interval=year"), 404, "not_found");
    EXPECT_EQ(snapshot(), before);
}

TEST_F(BillingApi, EveryChangeIsInTheHistoryWithWhatItChangedFrom) {
    // asso-web gets a second version (12 €) after the subscription took the first (10 €): the
    // history says what the subscription was on, not what the plan is now.
    const std::string sub = subscribe(*managerA_, a_, R"({"plan": "asso-web", "interval": "month"})");
    std::string webV2 = kWeb;
    webV2.replace(webV2.find("1000"), 4, "1200");
    ASSERT_EQ(admin_->put("/api/v1/plans/asso-web", webV2).status, 200);
    const std::string kPlus = R"({"slug": "asso-plus", "name": {"fr": "Site plus", "en": "Website plus"},
        "templates": ["website"],
        "prices": [{"interval": "month", "kind": "association", "amount_cents": 2500}],
        "quotas": {"services": {"included": 3, "limit": 4}, "disk_gib": {"included": 2, "limit": 6}}})";
    ASSERT_EQ(admin_->post("/api/v1/plans", kPlus).status, 201);

    d_.clock().set(at("2027-01-20T09:00:00Z"));
    auto r = managerA_->post("/api/v1/subscriptions/" + sub + "/change", R"({"plan": "asso-plus"})");
    ASSERT_EQ(r.status, 200) << r.body;  // an upgrade, at once
    r = managerA_->post("/api/v1/subscriptions/" + sub + "/change", R"({"plan": "asso-web"})");
    ASSERT_EQ(r.status, 200) << r.body;  // a downgrade, at the end of the period
    r = managerA_->post("/api/v1/subscriptions/" + sub + "/cancel", "{}");
    ASSERT_EQ(r.status, 200) << r.body;

    const auto history = changesOf(d_.daemon().database(), sub);
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[0].kind, "upgrade");
    EXPECT_EQ(history[0].effectiveDate, "2027-01-20");
    EXPECT_EQ(history[0].fromPlan, "asso-web");
    EXPECT_EQ(history[0].fromVersion, 1);
    EXPECT_EQ(history[0].fromPriceCents, 1000);
    EXPECT_EQ(history[0].toPlan, "asso-plus");
    EXPECT_EQ(history[0].toVersion, 1);
    EXPECT_EQ(history[0].toPriceCents, 2500);

    EXPECT_EQ(history[1].kind, "downgrade");
    EXPECT_EQ(history[1].effectiveDate, "2027-02-10");
    EXPECT_EQ(history[1].fromPlan, "asso-plus");
    EXPECT_EQ(history[1].fromVersion, 1);
    EXPECT_EQ(history[1].fromPriceCents, 2500);
    EXPECT_EQ(history[1].toPlan, "asso-web");
    EXPECT_EQ(history[1].toVersion, 2);
    EXPECT_EQ(history[1].toPriceCents, 1200);

    EXPECT_EQ(history[2].kind, "cancel");
    EXPECT_EQ(history[2].effectiveDate, "2027-02-10");
    EXPECT_EQ(history[2].fromPlan, "asso-plus");
    EXPECT_EQ(history[2].fromVersion, 1);
    EXPECT_EQ(history[2].fromPriceCents, 2500);
    EXPECT_FALSE(history[2].toPlan.has_value());
    EXPECT_FALSE(history[2].toPriceCents.has_value());
    for (const auto& change : history) {
        EXPECT_FALSE(change.createdBy.empty());
        EXPECT_EQ(change.subscriptionId, sub);
    }
}

TEST_F(BillingApi, AnAssociationSeesOnlyItsOwnAndOnlyStaffHandleMoney) {
    const std::string sub = subscribe(*managerA_, a_, R"({"plan": "asso-web", "interval": "month"})");
    const std::string invoice = invoicesOf(*managerA_, a_)->getObject(0)->getValue<std::string>("id");
    const std::string before = snapshot();

    // Another association's manager: as if none of it existed.
    for (const std::string& path :
         {"/api/v1/invoices?association=" + a_, "/api/v1/invoices/" + invoice,
          "/api/v1/invoices/" + invoice + "/pdf", "/api/v1/invoices/" + invoice + "/html",
          "/api/v1/associations/" + a_ + "/subscriptions",
          "/api/v1/subscriptions/" + sub + "/preview?plan=libre"}) {
        EXPECT_EQ(managerB_->get(path).status, 404) << path;
    }
    EXPECT_EQ(managerB_->post("/api/v1/subscriptions/" + sub + "/cancel", "{}").status, 404);
    EXPECT_EQ(managerB_->post("/api/v1/subscriptions/" + sub + "/change", R"({"plan": "libre"})").status,
              404);
    EXPECT_EQ(invoicesOf(*managerB_, b_)->size(), 0u);

    // The association's own manager reads, but records no payment, credit note or run.
    EXPECT_EQ(managerA_->get("/api/v1/invoices/" + invoice + "/pdf").status, 200);
    EXPECT_EQ(
        managerA_
            ->post("/api/v1/invoices/" + invoice + "/payments", R"({"amount_cents": 1000, "method": "cash"})")
            .status,
        403);
    EXPECT_EQ(managerA_->post("/api/v1/invoices/" + invoice + "/credit-notes", R"({"reason": "x"})").status,
              403);
    EXPECT_EQ(managerA_->post("/api/v1/billing/run", "{}").status, 403);
    EXPECT_EQ(managerA_->get("/api/v1/billing/export?from=2027-01-01&to=2027-02-01").status, 403);
    // Nobody signed in: 401.
    EXPECT_EQ(d_.client().get("/api/v1/invoices/" + invoice).status, 401);
    EXPECT_EQ(d_.client().post("/api/v1/billing/run", "{}").status, 401);
    EXPECT_EQ(snapshot(), before);

    // The treasurer and the admin see every association's invoices.
    EXPECT_EQ(invoicesOf(*treasurer_, a_)->size(), 1u);
    EXPECT_EQ(treasurer_->get("/api/v1/invoices/" + invoice).status, 200);
}

TEST_F(BillingApi, CancellationEndsThePeriodWithAFinalInvoiceForItsOverage) {
    const std::string sub = subscribe(*managerA_, a_, R"({"plan": "asso-web", "interval": "month"})");
    // 3 GiB stored every day of the period, 2 above the 1 included.
    {
        auto s = d_.daemon().database().session();
        for (std::string day = "2027-01-10"; day < "2027-02-10"; day = Calendar::addDays(day, 1)) {
            s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, "
                 "stored_bytes_avg, "
                 "stored_bytes_max) VALUES (?, ?, 1440, 0, ?, ?)",
                bind(a_), bind(day), bind(int64_t{3} << 30), bind(int64_t{3} << 30), now;
        }
    }
    d_.clock().set(at("2027-01-20T09:00:00Z"));
    const auto cancelled = managerA_->post("/api/v1/subscriptions/" + sub + "/cancel", "{}");
    ASSERT_EQ(cancelled.status, 200) << cancelled.body;
    EXPECT_EQ(cancelled.json()->getValue<std::string>("cancel_at"), "2027-02-10");
    // The period paid for goes on: nothing is suspended, nothing more is billed before its end.
    EXPECT_EQ(treasurer_->post("/api/v1/billing/run", "{}").json()->getValue<int>("invoices"), 0);

    d_.clock().set(at("2027-02-10T09:00:00Z"));
    const auto run = treasurer_->post("/api/v1/billing/run", "{}");
    ASSERT_EQ(run.status, 200) << run.body;
    EXPECT_EQ(run.json()->getValue<int>("invoices"), 1);
    EXPECT_EQ(run.json()->getValue<int>("ended"), 1);
    const auto list = invoicesOf(*managerA_, a_);
    ASSERT_EQ(list->size(), 2u);
    const auto last =
        managerA_->get("/api/v1/invoices/" + list->getObject(0)->getValue<std::string>("id")).json();
    EXPECT_EQ(last->getValue<int64_t>("total_cents"), 100);  // 2 GiB × 0,50 €, no fee
    const auto lines = last->getArray("lines");
    ASSERT_EQ(lines->size(), 1u);
    EXPECT_EQ(lines->getObject(0)->getValue<std::string>("kind"), "overage");
    const auto subs =
        managerA_->get("/api/v1/associations/" + a_ + "/subscriptions").json()->getArray("subscriptions");
    EXPECT_EQ(subs->getObject(0)->getValue<std::string>("status"), "ended");
    // Later runs bill nothing more; the change of an ended subscription is refused.
    d_.clock().set(at("2027-03-15T09:00:00Z"));
    EXPECT_EQ(treasurer_->post("/api/v1/billing/run", "{}").json()->getValue<int>("invoices"), 0);
    expectRefused(managerA_->post("/api/v1/subscriptions/" + sub + "/change", R"({"plan": "libre"})"), 409,
                  "subscription_ended");
}

TEST_F(BillingApi, TheCliRunsBillingRecordsPaymentsAndExports) {
    subscribe(*managerA_, a_, R"({"plan": "asso-web", "interval": "month"})");
    const std::string url = "http://127.0.0.1:" + std::to_string(d_.daemon().port());
    const Poco::Process::Env treasurer = {{"CHATIERE_TOKEN", treasurer_->token()}};
    const Poco::Process::Env manager = {{"CHATIERE_TOKEN", managerA_->token()}};
    const std::string invoice = invoicesOf(*managerA_, a_)->getObject(0)->getValue<std::string>("id");

    auto r = runChatiere({"billing", "run", "--as-of", "2027-01-10", "--url", url}, "", treasurer);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"as_of\": \"2027-01-10\""), std::string::npos) << r.out;
    r = runChatiere({"billing", "invoices", "--association", a_, "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("F-2027-000001"), std::string::npos) << r.out;
    const std::string pdf = (d_.dir() / "facture.pdf").string();
    r = runChatiere({"billing", "invoice", invoice, "--pdf", pdf, "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    std::ifstream file(pdf, std::ios::binary);
    std::string head(5, '\0');
    file.read(head.data(), 5);
    EXPECT_EQ(head, "%PDF-");

    // Bad input: a clear message, the right exit code, nothing written.
    const std::string before = snapshot();
    r = runChatiere({"billing", "pay", invoice, "--amount", "12,345", "--method", "cash", "--url", url}, "",
                    treasurer);
    EXPECT_EQ(r.exitCode, 64);
    EXPECT_NE(r.err.find("--amount"), std::string::npos) << r.err;
    r = runChatiere({"billing", "pay", invoice, "--amount", "4", "--method", "bitcoin", "--url", url}, "",
                    treasurer);
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_NE(r.err.find("method"), std::string::npos) << r.err;
    r = runChatiere({"billing", "pay", invoice, "--amount", "4", "--method", "cash", "--url", url}, "",
                    manager);
    EXPECT_EQ(r.exitCode, 77);
    r = runChatiere(
        {"billing", "credit-note", invoice, "--amount", "10,01", "--reason", "trop", "--url", url}, "",
        treasurer);
    EXPECT_EQ(r.exitCode, 65);
    r = runChatiere({"billing", "run", "--as-of", "2099-01-01", "--url", url}, "", treasurer);
    EXPECT_EQ(r.exitCode, 65);
    r = runChatiere({"billing", "refund", invoice, "--url", url}, "", treasurer);
    EXPECT_EQ(r.exitCode, 64);
    EXPECT_EQ(snapshot(), before);

    // 4 € by cheque, then 6,00 € by transfer: paid; a credit note of 2,50 €; the exports list them.
    r = runChatiere({"billing", "pay", invoice, "--amount", "4", "--method", "cheque", "--reference", "chq 7",
                     "--url", url},
                    "", treasurer);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"due_cents\": 600"), std::string::npos) << r.out;
    r = runChatiere({"billing", "pay", invoice, "--amount", "6,00", "--method", "transfer", "--url", url}, "",
                    treasurer);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"status\": \"paid\""), std::string::npos) << r.out;
    r = runChatiere({"billing", "credit-note", invoice, "--amount", "2.5", "--reason", "Geste", "--url", url},
                    "", treasurer);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("A-2027-000001"), std::string::npos) << r.out;
    r = runChatiere({"billing", "export", "--from", "2027-01-01", "--to", "2027-02-01", "--url", url}, "",
                    treasurer);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out.rfind("number,kind,issue_date", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("F-2027-000001,invoice,2027-01-10"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("A-2027-000001,credit_note,2027-01-10"), std::string::npos) << r.out;
    r = runChatiere({"billing", "export", "--what", "payments", "--from", "2027-01-01", "--to", "2027-02-01",
                     "--url", url},
                    "", treasurer);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("4.00,EUR,cheque,chq 7"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("6.00,EUR,transfer"), std::string::npos) << r.out;
}

// CSV exports for the treasurer's spreadsheet: no cell can start a formula (OWASP: a text cell
// beginning with =, +, -, @, tab or CR gets a ' in front and is quoted), while amounts stay numbers
// the code formatted itself (a credit note's 2.50; a negative amount would be -2.50, never text).
TEST_F(BillingApi, CsvExportsNeutraliseFormulasAndKeepAmountsAsNumbers) {
    const std::string evil =
        d_.approvedAssociation(*admin_, R"(=HYPERLINK(\"http://x\",\"y\"))", "eve@evil.test", "asso-web");
    const ApiClient eve = d_.login("eve@evil.test", "correct horse battery");
    subscribe(eve, evil, R"({"plan": "asso-web", "interval": "month"})");
    const auto invoices = invoicesOf(*treasurer_, evil);
    ASSERT_EQ(invoices->size(), 1u);
    const std::string invoice = invoices->getObject(0)->getValue<std::string>("id");
    ASSERT_EQ(treasurer_
                  ->post("/api/v1/invoices/" + invoice + "/payments",
                         R"x({"amount_cents": 400, "method": "cheque", "reference": "@SUM(A1:A9)"})x")
                  .status,
              201);
    ASSERT_EQ(treasurer_
                  ->post("/api/v1/invoices/" + invoice + "/payments",
                         R"({"amount_cents": 100, "method": "transfer", "reference": "-2+3"})")
                  .status,
              201);
    const auto note = treasurer_->post("/api/v1/invoices/" + invoice + "/credit-notes",
                                       R"({"amount_cents": 250, "reason": "Geste"})");
    ASSERT_EQ(note.status, 201) << note.body;

    const std::regex amount(R"(-?[0-9]+\.[0-9]{2})");
    const auto neutral = [&](const std::vector<std::vector<std::string>>& rows, std::size_t firstAmount,
                             std::size_t lastAmount) {
        for (const auto& row : rows) {
            for (std::size_t c = 0; c < row.size(); ++c) {
                const std::string& cell = row[c];
                if (c >= firstAmount && c <= lastAmount && &row != &rows.front()) {
                    EXPECT_TRUE(std::regex_match(cell, amount)) << "amount cell " << c << ": " << cell;
                    continue;
                }
                EXPECT_TRUE(cell.empty() || std::string("=+-@\t\r").find(cell[0]) == std::string::npos)
                    << "cell " << c << " could start a formula: " << cell;
            }
        }
    };

    const auto exported =
        treasurer_->get("/api/v1/billing/export?what=invoices&from=2027-01-01&to=2027-02-01");
    ASSERT_EQ(exported.status, 200);
    EXPECT_EQ(exported.headers.at("Content-Type"), "text/csv; charset=utf-8");
    // The buyer's cell, as written and as a spreadsheet reads it.
    EXPECT_NE(exported.body.find(R"x(,"'=HYPERLINK(""http://x"",""y"")",)x"), std::string::npos)
        << exported.body;
    const auto rows = parseCsv(exported.body);
    ASSERT_GE(rows.size(), 3u) << exported.body;
    neutral(rows, 8, 10);
    bool invoiceRow = false, creditRow = false;
    for (const auto& row : rows) {
        ASSERT_EQ(row.size(), 14u) << exported.body;
        if (row[4] != evil) {
            continue;
        }
        EXPECT_EQ(row[5], R"('=HYPERLINK("http://x","y"))");
        if (row[1] == "invoice") {
            invoiceRow = true;
            EXPECT_EQ(row[10], "10.00");
        } else if (row[1] == "credit_note") {
            creditRow = true;
            EXPECT_EQ(row[10].substr(row[10].size() - 4), "2.50") << row[10];
        }
    }
    EXPECT_TRUE(invoiceRow && creditRow) << exported.body;

    const auto payments =
        treasurer_->get("/api/v1/billing/export?what=payments&from=2027-01-01&to=2027-02-01");
    ASSERT_EQ(payments.status, 200);
    const auto paid = parseCsv(payments.body);
    ASSERT_EQ(paid.size(), 3u) << payments.body;
    neutral(paid, 3, 3);
    std::map<std::string, std::string> amountOf;  // by reference, as a spreadsheet reads it
    for (std::size_t i = 1; i < paid.size(); ++i) {
        amountOf[paid[i][6]] = paid[i][3];
    }
    EXPECT_EQ(amountOf["'@SUM(A1:A9)"], "4.00") << payments.body;
    EXPECT_EQ(amountOf["'-2+3"], "1.00") << payments.body;
}

class BillingDrafts : public BillingApi {
protected:
    BillingDrafts() : BillingApi(/*draftDays=*/3) {}
};

TEST_F(BillingDrafts, DraftsWaitForTheTreasurerThenGetTheNextNumber) {
    subscribe(*managerA_, a_, R"({"plan": "asso-web", "interval": "month"})");
    // The association sees nothing yet; the treasurer sees the draft, without a number.
    EXPECT_EQ(invoicesOf(*managerA_, a_)->size(), 0u);
    auto staff = invoicesOf(*treasurer_, a_);
    ASSERT_EQ(staff->size(), 1u);
    const std::string draft = staff->getObject(0)->getValue<std::string>("id");
    EXPECT_EQ(staff->getObject(0)->getValue<std::string>("status"), "draft");
    EXPECT_TRUE(staff->getObject(0)->isNull("number"));
    EXPECT_EQ(managerA_->get("/api/v1/invoices/" + draft).status, 404);
    expectRefused(treasurer_->post("/api/v1/invoices/" + draft + "/payments",
                                   R"({"amount_cents": 500, "method": "cash"})"),
                  409, "invoice_draft");
    const std::size_t mails = d_.sink().messages().size();

    // Two days later the run leaves it; on the third it is finalized, numbered and mailed.
    d_.clock().set(at("2027-01-12T09:00:00Z"));
    EXPECT_EQ(treasurer_->post("/api/v1/billing/run", "{}").json()->getValue<int>("drafts_finalized"), 0);
    d_.clock().set(at("2027-01-13T09:00:00Z"));
    EXPECT_EQ(treasurer_->post("/api/v1/billing/run", "{}").json()->getValue<int>("drafts_finalized"), 1);
    const auto list = invoicesOf(*managerA_, a_);
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("number"), "F-2027-000001");
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("issue_date"), "2027-01-13");
    const auto sent = d_.sink().waitForMessages(mails + 1);
    EXPECT_NE(sent.back().body.find("F-2027-000001"), std::string::npos);
    expectRefused(treasurer_->post("/api/v1/invoices/" + draft + "/finalize", "{}"), 409,
                  "already_finalized");
}

class BillingScheduler : public BillingApi {
protected:
    BillingScheduler() : BillingApi(/*draftDays=*/0, /*runIntervalSeconds=*/1) {}
};

TEST_F(BillingScheduler, TheDaemonBillsEachNewPeriodOnItsOwn) {
    subscribe(*admin_, a_, R"({"plan": "asso-web", "interval": "month"})");
    d_.clock().set(at("2027-02-10T09:00:00Z"));
    EXPECT_TRUE(
        eventually([&] { return invoicesOf(*managerA_, a_)->size() == 2; }, std::chrono::seconds(20)));
    const auto list = invoicesOf(*managerA_, a_);
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("number"), "F-2027-000002");
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("period_start"), "2027-02-10");
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("period_end"), "2027-03-10");
}

}  // namespace
