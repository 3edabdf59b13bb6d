// One period: an association subscribed on the 6th counts its usage from the 6th to the 6th — the
// usage API, the dashboard, the quota ladder's rungs and the overage billed all agree — while an
// association without a subscription counts the calendar month.

#include "Browser.h"
#include "TestDaemon.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
    "quotas": {"services": {"included": 1, "limit": 3}, "disk_gib": {"included": 1, "limit": 50}},
    "overage": {"disk_gib": {"unit_cents": 50}}})";

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

class UsagePeriod : public ::testing::Test {
protected:
    UsagePeriod()
        : d_([](Settings& s) {
              s.sessionTtlHours = 24 * 365;
              s.monitoringIntervalSeconds = 3600;
              s.billing.runIntervalSeconds = 86400;
          }) {}

    void SetUp() override {
        d_.clock().set(at("2026-12-06T09:00:00Z"));
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_.staffClient("tresorier@chatons.test", "treasurer"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin", "camille@jardin.test", "asso-web");
        b_ = d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "asso-web");
        manager_ = std::make_unique<ApiClient>(d_.login("camille@jardin.test", "correct horse battery"));
        const auto subscribed = manager_->post("/api/v1/associations/" + a_ + "/subscriptions",
                                               R"({"plan": "asso-web", "interval": "month"})");
        ASSERT_EQ(subscribed.status, 201) << subscribed.body;
        // 10 GiB stored each day before the subscription, 3 GiB each day of its first period.
        auto s = d_.daemon().database().session();
        for (std::string day = "2026-12-01"; day < "2027-01-06"; day = Calendar::addDays(day, 1)) {
            const int64_t stored = (day < "2026-12-06" ? int64_t{10} : int64_t{3}) << 30;
            s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, "
                 "stored_bytes_avg, "
                 "stored_bytes_max) VALUES (?, ?, 1440, 0, ?, ?)",
                bind(a_), bind(day), bind(stored), bind(stored), now;
        }
    }

    std::pair<std::string, std::string> periodOf(const ApiClient& who, const std::string& association) {
        const auto r = who.get("/api/v1/associations/" + association + "/usage");
        EXPECT_EQ(r.status, 200) << r.body;
        const auto period = r.json()->getObject("period");
        return {period->getValue<std::string>("start"), period->getValue<std::string>("end")};
    }

    // Walks the quota ladder now (granting an exception re-evaluates it; an exception changes no
    // rung), then counts the rungs mailed for the number of services.
    int servicesSteps() {
        const auto r = admin_->post("/api/v1/associations/" + a_ + "/quota-exceptions",
                                    R"({"days": 1, "reason": "walk the ladder"})");
        EXPECT_EQ(r.status, 201) << r.body;
        auto s = d_.daemon().database().session();
        int n = 0;
        s << "SELECT COUNT(*) FROM audit_log WHERE association_id = ? AND action = 'quota.step' AND details "
             "LIKE '%\"metric\":\"services\"%'",
            bind(a_), into(n), now;
        return n;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_, treasurer_, manager_;
    std::string a_, b_;
};

TEST_F(UsagePeriod, TheUsageApiAndTheDashboardCountTheSubscriptionsPeriod) {
    d_.clock().set(at("2026-12-20T09:00:00Z"));
    EXPECT_EQ(periodOf(*manager_, a_), std::make_pair(std::string("2026-12-06"), std::string("2027-01-06")));
    // Its disk figures are the period's: the 10 GiB days before it do not count.
    const auto usage = manager_->get("/api/v1/associations/" + a_ + "/usage").json();
    const auto disk = usage->getObject("metrics")->getObject("disk_gib");
    EXPECT_DOUBLE_EQ(disk->getValue<double>("average"), 3.0);
    EXPECT_DOUBLE_EQ(disk->getValue<double>("peak"), 3.0);
    // Without a subscription: the calendar month.
    const ApiClient other = d_.login("dominique@chorale.test", "correct horse battery");
    EXPECT_EQ(periodOf(other, b_), std::make_pair(std::string("2026-12-01"), std::string("2027-01-01")));

    // The metrics' period ratio too: 3 GiB on average over the period, 1 included.
    ApiClient prometheus = d_.client();
    prometheus.setToken(d_.metricsToken());
    const auto metrics = prometheus.get("/metrics");
    EXPECT_NE(metrics.body.find("chatiere_quota_period_average_ratio{association=\"" + a_ +
                                "\",bound=\"included\",metric=\"disk_gib\"} 3\n"),
              std::string::npos)
        << metrics.body;

    Browser b = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    const auto page = b.get("/associations/" + a_);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(pageText(page).find("06/12/2026 – 05/01/2027"), std::string::npos) << page.body;

    // A new calendar month is not a new period; the 6th is.
    d_.clock().set(at("2027-01-03T09:00:00Z"));
    EXPECT_EQ(periodOf(*manager_, a_), std::make_pair(std::string("2026-12-06"), std::string("2027-01-06")));
    d_.clock().set(at("2027-01-06T09:00:00Z"));
    EXPECT_EQ(periodOf(*manager_, a_), std::make_pair(std::string("2027-01-06"), std::string("2027-02-06")));
}

TEST_F(UsagePeriod, TheQuotaLadderAndTheOverageFollowTheSamePeriod) {
    d_.clock().set(at("2026-12-20T09:00:00Z"));
    const auto created = manager_->post("/api/v1/associations/" + a_ + "/services",
                                        R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    // One service of the one included: the rung is mailed once in the period…
    EXPECT_EQ(servicesSteps(), 1);
    EXPECT_EQ(servicesSteps(), 1);
    // …not again when the calendar month changes…
    d_.clock().set(at("2027-01-03T09:00:00Z"));
    EXPECT_EQ(servicesSteps(), 1);
    // …but in the next period, which starts on the 6th.
    d_.clock().set(at("2027-01-06T09:00:00Z"));
    EXPECT_EQ(servicesSteps(), 2);
    EXPECT_EQ(servicesSteps(), 2);

    // The overage billed is the period's that just ended, as the usage API showed it: 3 GiB on
    // average from 6 December to 6 January, 2 above the 1 included.
    ASSERT_EQ(treasurer_->post("/api/v1/billing/run", "{}").status, 200);
    const auto invoices = manager_->get("/api/v1/invoices?association=" + a_).json()->getArray("invoices");
    ASSERT_EQ(invoices->size(), 2u);
    const auto last =
        manager_->get("/api/v1/invoices/" + invoices->getObject(0)->getValue<std::string>("id")).json();
    const auto lines = last->getArray("lines");
    bool overage = false;
    for (std::size_t i = 0; i < lines->size(); ++i) {
        const auto line = lines->getObject(static_cast<unsigned>(i));
        if (line->getValue<std::string>("kind") != "overage") {
            continue;
        }
        overage = true;
        EXPECT_EQ(line->getValue<std::string>("period_start"), "2026-12-06");
        EXPECT_EQ(line->getValue<std::string>("period_end"), "2027-01-06");
        EXPECT_EQ(line->getValue<int64_t>("quantity_milli"), 2000);
    }
    EXPECT_TRUE(overage) << "no overage line";
}

}  // namespace
