// The monitoring's repositories over a temp SQLite file: the usage summary the usage API reads in
// one statement agrees with the separate reads, the quota levels round-trip, a health check of a
// service no longer active counts in its uptime without touching its health, and the public
// incidents leave out quota alerts; the export reads the daily figures.

#include "MonitoringFixture.h"
#include "store/Alerts.h"
#include "store/ServiceHealth.h"
#include "store/Usage.h"

using namespace chatiere::manager;
using namespace chatiere::testing;

namespace {

class UsageStoreTest : public MonitoringFixture {
protected:
    void addDaily(const std::string& day, int64_t avg, int64_t max, int64_t samples) {
        auto s = db_.session();
        s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, memory_kib_avg, "
             "memory_kib_max, stored_bytes_avg, stored_bytes_max) VALUES ('asso1', ?, ?, 0, NULL, NULL, ?, "
             "?)",
            bind(day), bind(samples), bind(avg), bind(max), now;
    }
};

TEST_F(UsageStoreTest, SummaryAgreesWithTheSeparateReads) {
    addService("svc1");
    addService("svc2");
    addService("gone", "deleted");
    setStored("svc1", 1.5);
    setStored("svc2", 0.5);
    addDaily("2026-11-30", int64_t{5} << 30, int64_t{6} << 30, 10);  // before the period
    addDaily("2026-12-01", int64_t{1} << 30, int64_t{2} << 30, 10);
    addDaily("2026-12-02", int64_t{3} << 30, int64_t{4} << 30, 30);
    auto s = db_.session();
    UsageRepository usage(s);
    usage.storeLevel("asso1", "disk_gib", {"limit_100", "2026-12-01T01:00:00Z", true, "2026-12-01"},
                     "2026-12-01T01:00:00Z");
    usage.storeLevel("asso1", "vcpus", {"included_80", std::nullopt, false, "2026-12-01"},
                     "2026-12-01T01:00:00Z");
    usage.addException("qex1", "asso1", "2026-12-05T00:00:00Z", "moving", "admin", "2026-12-01T00:00:00Z");
    usage.addException("qex2", "asso1", "2026-11-05T00:00:00Z", "old", "admin", "2026-11-01T00:00:00Z");

    const auto summary = usage.summary("asso1", "2026-12-01", "2027-01-01", "2026-12-01T08:00:00Z");
    EXPECT_EQ(summary.use, usage.current("asso1").at("asso1"));
    EXPECT_DOUBLE_EQ(summary.use.at("disk_gib"), 2.0);
    EXPECT_DOUBLE_EQ(summary.use.at("services"), 2.0);
    const auto stored = usage.storedOver("asso1", "2026-12-01", "2027-01-01");
    EXPECT_EQ(summary.stored.peakGib, stored.peakGib);
    EXPECT_EQ(summary.stored.averageGib, stored.averageGib);
    EXPECT_EQ(summary.stored.samples, 40);
    EXPECT_DOUBLE_EQ(summary.stored.peakGib.value(), 4.0);
    EXPECT_DOUBLE_EQ(summary.stored.averageGib.value(), 2.5);  // (1×10 + 3×30) / 40
    EXPECT_EQ(summary.measuredAt, "2026-12-01T08:00:00Z");
    EXPECT_EQ(summary.quota.atLimitSince, "2026-12-01T01:00:00Z");
    EXPECT_TRUE(summary.quota.enforced);
    EXPECT_EQ(summary.exceptionUntil, "2026-12-05T00:00:00Z");
    EXPECT_EQ(summary.exceptionUntil, usage.exceptionUntil("asso1", "2026-12-01T08:00:00Z"));
}

TEST_F(UsageStoreTest, SummaryOfAnAssociationWithNothingMeasuredIsZero) {
    auto s = db_.session();
    UsageRepository usage(s);
    const auto summary = usage.summary("asso1", "2026-12-01", "2027-01-01", "2026-12-01T08:00:00Z");
    EXPECT_EQ(summary.use, usage.current("asso1").at("asso1"));
    for (const char* metric : {"services", "vcpus", "memory_mib", "disk_gib"}) {
        EXPECT_EQ(summary.use.at(metric), 0.0) << metric;
    }
    EXPECT_FALSE(summary.measuredAt);
    EXPECT_FALSE(summary.stored.peakGib);
    EXPECT_FALSE(summary.stored.averageGib);
    EXPECT_EQ(summary.stored.samples, 0);
    EXPECT_FALSE(summary.quota.atLimitSince);
    EXPECT_FALSE(summary.quota.enforced);
    EXPECT_FALSE(summary.exceptionUntil);
}

TEST_F(UsageStoreTest, QuotaLevelsRoundTrip) {
    auto s = db_.session();
    UsageRepository usage(s);
    EXPECT_EQ(usage.level("asso1", "disk_gib").level, "none");
    EXPECT_TRUE(usage.trackedMetrics("asso1").empty());
    usage.storeLevel("asso1", "disk_gib", {"limit_90", std::nullopt, false, "2026-12-01"},
                     "2026-12-01T08:00:00Z");
    usage.storeLevel("asso1", "disk_gib", {"limit_100", "2026-12-01T09:00:00Z", true, std::nullopt},
                     "2026-12-01T09:00:00Z");
    const auto level = usage.level("asso1", "disk_gib");
    EXPECT_EQ(level.level, "limit_100");
    EXPECT_EQ(level.atLimitSince, "2026-12-01T09:00:00Z");
    EXPECT_TRUE(level.enforced);
    EXPECT_FALSE(level.periodStart);
    EXPECT_EQ(usage.trackedMetrics("asso1"), std::vector<std::string>{"disk_gib"});
}

TEST_F(UsageStoreTest, TheExportReadsEveryDayInOrderWithUnmeasuredFiguresNull) {
    addDaily("2026-12-02", int64_t{3} << 30, int64_t{4} << 30, 30);
    addDaily("2026-12-01", int64_t{1} << 30, int64_t{2} << 30, 10);
    auto s = db_.session();
    s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, memory_kib_avg, "
         "memory_kib_max, stored_bytes_avg, stored_bytes_max) VALUES ('asso1', '2026-12-03', 5, 7000000000, "
         "NULL, NULL, NULL, NULL)",
        now;
    const auto days = UsageRepository(s).associationDays("asso1");
    ASSERT_EQ(days.size(), 3u);
    EXPECT_EQ(days[0].day, "2026-12-01");
    EXPECT_EQ(days[0].samples, 10);
    EXPECT_EQ(days[0].storedBytesAvg, int64_t{1} << 30);
    EXPECT_EQ(days[0].storedBytesMax, int64_t{2} << 30);
    EXPECT_EQ(days[1].day, "2026-12-02");
    EXPECT_EQ(days[2].cpuNs, 7000000000);
    EXPECT_FALSE(days[2].storedBytesAvg);
    EXPECT_FALSE(days[2].storedBytesMax);
    EXPECT_TRUE(UsageRepository(s).associationDays("asso2").empty());
}

TEST_F(UsageStoreTest, ACheckOfAServiceNoLongerActiveCountsInItsUptimeOnly) {
    addService("svc1");
    addService("svc2", "failed");
    auto s = db_.session();
    ServiceHealthRepository health(s);
    health.recordCheck("svc1", ServiceHealth::Degraded, 3, "2026-12-01T08:00:00Z", std::string("timeout"),
                       "2026-12-01", false);
    health.recordCheck("svc2", ServiceHealth::Ok, 0, "2026-12-01T08:00:00Z", std::nullopt, "2026-12-01",
                       true);
    health.recordCheck("svc2", ServiceHealth::Ok, 0, "2026-12-01T08:01:00Z", std::nullopt, "2026-12-01",
                       true);
    EXPECT_EQ(service("svc1").health, ServiceHealth::Degraded);
    EXPECT_EQ(service("svc2").health, ServiceHealth::Unknown);
    const auto days = health.uptime("svc2", "2026-12-01", "2027-01-01");
    ASSERT_EQ(days.size(), 1u);
    EXPECT_EQ(days[0].checks, 2);
    EXPECT_EQ(days[0].ok, 2);
    const auto byTemplate = health.uptimeByTemplate("2026-12-01", "2026-12-31");
    ASSERT_EQ(byTemplate.size(), 1u);
    EXPECT_EQ(byTemplate[0].templateName, "website");
    EXPECT_EQ(byTemplate[0].checks, 3);
    EXPECT_EQ(byTemplate[0].ok, 2);
    // A service whose health is known but that is no longer up is found, and forgotten.
    EXPECT_EQ(health.idleWithHealth(), std::vector<std::string>{});
    s << "UPDATE services SET suspended_for = 'quota' WHERE id = 'svc1'", now;
    EXPECT_EQ(health.idleWithHealth(), std::vector<std::string>{"svc1"});
    health.forget("svc1");
    EXPECT_EQ(service("svc1").health, ServiceHealth::Unknown);
    EXPECT_TRUE(health.idleWithHealth().empty());
}

TEST_F(UsageStoreTest, IncidentsLeaveOutQuotaAlertsAndNameTheTemplate) {
    addService("svc1");
    auto s = db_.session();
    AlertBook alerts(s);
    EXPECT_TRUE(alerts.raise({0, "health:svc1", "health", "critical", "asso1", "svc1", "down", "", "", {}},
                             "2026-12-01T08:00:00Z"));
    EXPECT_FALSE(
        alerts.raise({0, "health:svc1", "health", "warning", "asso1", "svc1", "still down", "", "", {}},
                     "2026-12-01T08:05:00Z"));
    alerts.raise({0, "quota:asso1:disk_gib", "quota", "warning", "asso1", {}, "full", "", "", {}},
                 "2026-12-01T08:00:00Z");
    alerts.raise({0, "host:memory", "host", "warning", {}, {}, "low", "", "", {}}, "2026-12-01T07:00:00Z");
    EXPECT_TRUE(alerts.resolve("host:memory", "2026-12-01T07:30:00Z"));
    EXPECT_FALSE(alerts.resolve("host:memory", "2026-12-01T07:40:00Z"));

    EXPECT_EQ(alerts.openCount(), 2);
    EXPECT_EQ(alerts.openByKind(), (std::map<std::string, int>{{"health", 1}, {"quota", 1}}));
    const auto open = alerts.list(false, 10);
    ASSERT_EQ(open.size(), 2u);
    EXPECT_EQ(open[0].key, "quota:asso1:disk_gib");
    EXPECT_EQ(open[1].message, "still down");
    EXPECT_EQ(open[1].severity, "warning");
    EXPECT_EQ(open[1].openedAt, "2026-12-01T08:00:00Z");
    EXPECT_EQ(open[1].updatedAt, "2026-12-01T08:05:00Z");
    EXPECT_EQ(alerts.list(true, 10).size(), 3u);

    const auto incidents = alerts.incidents("2026-12-01T00:00:00Z", 10);
    ASSERT_EQ(incidents.size(), 2u);
    EXPECT_EQ(incidents[0].kind, "health");
    EXPECT_EQ(incidents[0].templateName, "website");
    EXPECT_FALSE(incidents[0].closedAt);
    EXPECT_EQ(incidents[1].kind, "host");
    EXPECT_FALSE(incidents[1].templateName);
    EXPECT_EQ(incidents[1].closedAt, "2026-12-01T07:30:00Z");
}

}  // namespace
