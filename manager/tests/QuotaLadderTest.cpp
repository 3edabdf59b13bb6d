// The quota ladder with a manual clock: each rung mailed once, enforcement after the grace period
// on website services only, lifted when usage falls, the plan allows more or an exception is
// granted; every step audited; mails sent once each even when the SMTP server was down.

#include "MonitoringFixture.h"
#include "chatiere/manager/Mailer.h"
#include "monitoring/QuotaLadder.h"
#include "store/Alerts.h"

#include <Poco/Logger.h>

using namespace chatiere::manager;
using namespace chatiere::testing;
using namespace std::chrono_literals;

namespace {

class QuotaLadderTest : public MonitoringFixture {
protected:
    QuotaLadderTest() {
        setPlan({{"disk_gib", {1, 2}}, {"services", {3, 5}}});
        settings.grace = 1h;
        settings.publicUrl = "https://chatiere.test";
    }
    QuotaLadder ladder() {
        return QuotaLadder(db_, clock_, catalogue_, associations_, settings, [this] { ++jobWakes; });
    }
    int pendingApplyJobs(const std::string& serviceId) {
        auto s = db_.session();
        int n = 0;
        s << "SELECT COUNT(*) FROM jobs WHERE service_id = ? AND kind = 'apply' AND status = 'pending'",
            bind(serviceId), into(n), now;
        return n;
    }
    std::vector<Alert> openAlerts() {
        auto s = db_.session();
        return AlertBook(s).list(false, 50);
    }

    LadderSettings settings;
    int jobWakes = 0;
};

TEST(QuotaSteps, OrderedByThresholdWithTheLimitLast) {
    const auto steps = ladderSteps({10, 12}, {80, 100}, {90});
    ASSERT_EQ(steps.size(), 4u);
    EXPECT_EQ(steps[0].name, "included_80");   // 8
    EXPECT_EQ(steps[1].name, "included_100");  // 10
    EXPECT_EQ(steps[2].name, "limit_90");      // 10.8
    EXPECT_EQ(steps[3].name, "limit_100");     // 12
    EXPECT_DOUBLE_EQ(steps[2].threshold, 10.8);
    // Nothing included: only the rungs of the limit.
    const auto none = ladderSteps({0, 4}, {80, 100}, {90});
    ASSERT_EQ(none.size(), 2u);
    EXPECT_EQ(none[0].name, "limit_90");
}

TEST_F(QuotaLadderTest, EachRungIsMailedOnceAndTheLimitSuspendsWebsitesAfterTheGracePeriod) {
    addService("web1");
    addService("web2");
    setStored("web1", 0.5);
    auto l = ladder();
    EXPECT_EQ(l.evaluate().notices, 0);
    EXPECT_TRUE(mailSubjects().empty());

    setStored("web1", 0.85);  // past 80 % of the 1 GiB included
    EXPECT_EQ(l.evaluate().notices, 1);
    EXPECT_EQ(l.evaluate().notices, 0);  // once
    ASSERT_EQ(mailSubjects().size(), 1u);
    EXPECT_NE(mailSubjects()[0].find("données stockées"), std::string::npos) << mailSubjects()[0];

    setStored("web1", 1.9);  // past 100 % of included and 90 % of the limit at once: one mail
    EXPECT_EQ(l.evaluate().notices, 1);
    EXPECT_EQ(mailSubjects().size(), 2u);

    setStored("web1", 2.0);  // at the limit: mailed, an alert, not yet suspended
    auto report = l.evaluate();
    EXPECT_EQ(report.notices, 1);
    EXPECT_EQ(report.enforced, 0);
    EXPECT_TRUE(service("web1").suspendedFor.empty());
    ASSERT_EQ(openAlerts().size(), 1u);
    EXPECT_EQ(openAlerts()[0].severity, "warning");
    EXPECT_NE(openAlerts()[0].message.find("cannot be throttled"), std::string::npos);

    clock_.advance(59min);
    EXPECT_EQ(l.evaluate().enforced, 0);
    clock_.advance(2min);  // the grace period is over
    report = l.evaluate();
    EXPECT_EQ(report.enforced, 1);
    EXPECT_EQ(service("web1").suspendedFor, std::set<std::string>{"quota"});
    EXPECT_EQ(service("web2").suspendedFor, std::set<std::string>{"quota"});
    EXPECT_EQ(pendingApplyJobs("web1"), 1);
    EXPECT_GT(jobWakes, 0);
    EXPECT_EQ(openAlerts()[0].severity, "critical");
    EXPECT_EQ(mailSubjects().size(), 4u);
    EXPECT_NE(mailSubjects()[3].find("suspendus"), std::string::npos) << mailSubjects()[3];
    EXPECT_EQ(l.evaluate().enforced, 0);  // stays enforced, nothing new
    EXPECT_EQ(pendingApplyJobs("web1"), 1);

    setStored("web1", 1.2);  // the association cleaned up
    report = l.evaluate();
    EXPECT_EQ(report.released, 1);
    EXPECT_TRUE(service("web1").suspendedFor.empty());
    EXPECT_TRUE(service("web2").suspendedFor.empty());
    EXPECT_EQ(pendingApplyJobs("web1"), 2);
    EXPECT_TRUE(openAlerts().empty());
    EXPECT_NE(mailSubjects().back().find("redémarrent"), std::string::npos);

    const std::vector<std::string> expected = {"quota.step",    "quota.step",         "quota.step",
                                               "quota.enforce", "quota.step_cleared", "quota.release"};
    EXPECT_EQ(auditActions("quota."), expected);
    const std::vector<std::string> services = {"service.suspend", "service.suspend", "service.resume",
                                               "service.resume"};
    EXPECT_EQ(auditActions("service."), services);
}

TEST_F(QuotaLadderTest, AManagersOwnSuspensionIsKeptUnderTheQuotaOne) {
    addService("web1");
    {
        auto s = db_.session();
        s << "UPDATE services SET suspended_for = 'association' WHERE id = 'web1'", now;
    }
    setStored("web1", 2.0);
    auto l = ladder();
    l.evaluate();
    clock_.advance(2h);
    l.evaluate();
    EXPECT_EQ(service("web1").suspendedFor, (std::set<std::string>{"association", "quota"}));
    setStored("web1", 0.1);
    l.evaluate();
    EXPECT_EQ(service("web1").suspendedFor, std::set<std::string>{"association"});
}

TEST_F(QuotaLadderTest, ARungIsMailedAgainOnlyAfterUsageFellClearlyUnderIt) {
    addService("web1");
    auto l = ladder();
    setStored("web1", 0.81);
    l.evaluate();
    setStored("web1", 0.79);  // still within 5 %: no mail when it goes back up
    l.evaluate();
    setStored("web1", 0.81);
    l.evaluate();
    EXPECT_EQ(mailSubjects().size(), 1u);
    setStored("web1", 0.5);  // clearly under
    l.evaluate();
    setStored("web1", 0.81);
    l.evaluate();
    EXPECT_EQ(mailSubjects().size(), 2u);
}

// The hysteresis is a setting (quota.hysteresis_percent): at 70 %, 0.6 GiB of a 0.8 GiB rung
// keeps it (no second mail), where the default 95 % would have left it at 0.76.
TEST_F(QuotaLadderTest, TheHysteresisIsASetting) {
    settings.hysteresisPercent = 70;
    addService("web1");
    auto l = ladder();
    setStored("web1", 0.81);
    l.evaluate();
    setStored("web1", 0.6);
    l.evaluate();
    setStored("web1", 0.81);
    l.evaluate();
    EXPECT_EQ(mailSubjects().size(), 1u);
    setStored("web1", 0.5);  // under 70 % of the rung: left
    l.evaluate();
    setStored("web1", 0.81);
    l.evaluate();
    EXPECT_EQ(mailSubjects().size(), 2u);
}

TEST_F(QuotaLadderTest, AnExceptionOrABiggerPlanLiftsTheSuspension) {
    addService("web1");
    setStored("web1", 2.0);
    auto l = ladder();
    l.evaluate();
    clock_.advance(2h);
    EXPECT_EQ(l.evaluate().enforced, 1);

    // The admin grants an exception until tomorrow.
    {
        auto s = db_.session();
        const std::string until = formatTime(clock_.now() + 24h);
        s << "INSERT INTO quota_exceptions (id, association_id, until, reason, created_by, created_at) "
             "VALUES "
             "('qex1', 'asso1', ?, 'fête annuelle', 'admin', '2026-12-01T00:00:00Z')",
            bind(until), now;
    }
    EXPECT_EQ(l.evaluate().released, 1);
    EXPECT_TRUE(service("web1").suspendedFor.empty());
    EXPECT_NE(openAlerts()[0].message.find("exception"), std::string::npos);
    clock_.advance(25h);  // the exception ran out
    EXPECT_EQ(l.evaluate().enforced, 1);

    // The association moves to a bigger plan: under its new limit at once.
    setPlan({{"disk_gib", {5, 10}}});
    EXPECT_EQ(l.evaluate().released, 1);
    EXPECT_TRUE(service("web1").suspendedFor.empty());
    EXPECT_TRUE(openAlerts().empty());
}

TEST_F(QuotaLadderTest, AllocatedMetricsAreMailedButNeverEnforced) {
    for (const char* id : {"a", "b", "c", "d", "e"}) {
        addService(id);
    }
    auto l = ladder();
    auto report = l.evaluate();  // 5 services: over the 3 included, at the limit of 5
    EXPECT_EQ(report.notices, 1);
    clock_.advance(3h);
    EXPECT_EQ(l.evaluate().enforced, 0);
    EXPECT_TRUE(service("a").suspendedFor.empty());
    EXPECT_TRUE(openAlerts().empty());
}

// A mailer that is down for its first `failures` sends.
class FlakyMailer final : public Mailer {
public:
    explicit FlakyMailer(int failures) : failures_(failures) {}
    void send(const MailMessage& m) override {
        if (failures_-- > 0) {
            throw MailError("connection refused", false);
        }
        sent.push_back(m);
    }
    std::vector<MailMessage> sent;

private:
    int failures_;
};

TEST_F(QuotaLadderTest, MailsQueuedWhileTheSmtpServerIsDownAreEachSentOnceWhenItIsBack) {
    addService("web1");
    auto l = ladder();
    setStored("web1", 0.85);
    l.evaluate();
    setStored("web1", 2.0);
    l.evaluate();
    clock_.advance(2h);
    l.evaluate();
    ASSERT_EQ(mailSubjects().size(), 3u);
    FlakyMailer mailer(4);
    OutboxWorker worker(db_, mailer, "chatiere@test", clock_, 10, 20, Poco::Logger::get("test"));
    for (int i = 0; i < 12; ++i) {
        worker.deliverDue();
        clock_.advance(10min);
        l.evaluate();  // nothing new to say meanwhile
    }
    ASSERT_EQ(mailer.sent.size(), 3u);
    std::set<std::string> ids;
    for (const auto& m : mailer.sent) {
        ids.insert(m.messageId);
        EXPECT_EQ(m.to, "manager@jardin.test");
    }
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_EQ(worker.counts().sent, 3);
}

}  // namespace

namespace {

// Transfer over the usage period (the daily figures): each rung mailed with the transfer mail, the
// limit raises the admin's alert, and however long it lasts no website is suspended.
TEST_F(QuotaLadderTest, TransferAtItsLimitIsMailedAndAlertedButNeverSuspends) {
    setPlan({{"transfer_gib", {10, 20}}});
    addService("web1");
    const auto transferred = [this](double gib) {
        auto s = db_.session();
        const auto bytes = static_cast<Poco::Int64>(gib * 1024 * 1024 * 1024);
        const std::string day = calendar_.dateOf(clock_.now());
        s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, transfer_bytes) "
             "VALUES ('asso1', ?, 0, 0, ?) ON CONFLICT (association_id, day) DO UPDATE SET transfer_bytes = "
             "excluded.transfer_bytes",
            bind(day), bind(bytes), now;
    };
    auto l = ladder();
    transferred(12);  // past the 10 GiB included
    EXPECT_EQ(l.evaluate().notices, 1);
    ASSERT_EQ(mailSubjects().size(), 1u);
    EXPECT_NE(mailSubjects()[0].find("données transférées"), std::string::npos) << mailSubjects()[0];

    transferred(25);  // past the limit
    EXPECT_EQ(l.evaluate().notices, 1);
    ASSERT_EQ(openAlerts().size(), 1u);
    EXPECT_EQ(openAlerts()[0].key, "quota:asso1:transfer_gib");
    EXPECT_EQ(openAlerts()[0].severity, "warning");
    EXPECT_NE(openAlerts()[0].message.find("never throttled"), std::string::npos) << openAlerts()[0].message;

    clock_.advance(24h * 5);  // far past the grace period (1 h here)
    const auto report = l.evaluate();
    EXPECT_EQ(report.enforced, 0);
    EXPECT_TRUE(service("web1").suspendedFor.empty());
    EXPECT_EQ(pendingApplyJobs("web1"), 0);
    EXPECT_TRUE(auditActions("quota.enforce").empty());
}

}  // namespace
