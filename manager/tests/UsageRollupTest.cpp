// Roll-ups of usage samples: hourly and daily per service and per association, local days of
// Europe/Paris (the weeks of the summer-time changes), idempotent, the same whether run at every
// cycle or once, and after a crash that left the watermark behind.

#include "MonitoringFixture.h"
#include "monitoring/UsageRollup.h"
#include "store/Usage.h"

#include <Poco/Data/RecordSet.h>

using namespace chatiere::manager;
using namespace chatiere::testing;
using namespace std::chrono_literals;

namespace {

class UsageRollupTest : public MonitoringFixture {
protected:
    UsageRollupTest() {
        addService("svc1");
        addService("svc2");
    }
    // One sample per service every 10 minutes over [from, to): svc1 stores 1 GiB, svc2 2 GiB
    // (3 GiB for the association at each instant); each uses 1 s of CPU per sample.
    void sampleEvery10Minutes(const std::string& from, const std::string& to,
                              const std::function<void(TimePoint)>& afterEach = {}) {
        auto s = db_.session();
        for (auto t = parseTime(from).value(); t < parseTime(to).value(); t += 10min) {
            const std::string at = formatTime(t);
            Transaction tx(s);
            for (const auto& [id, gib] : {std::pair{"svc1", 1}, std::pair{"svc2", 2}}) {
                const std::string sid = id;
                const Poco::Int64 stored = Poco::Int64{gib} << 30;
                s << "INSERT INTO usage_samples (service_id, association_id, at, interval_seconds, "
                     "cpu_time_ns, "
                     "cpu_ns, memory_kib, stored_bytes) VALUES (?, 'asso1', ?, 600, 1, 1000000000, 65536, ?)",
                    bind(sid), bind(at), bind(stored), now;
            }
            tx.commit();
            if (afterEach) {
                afterEach(t);
            }
        }
    }
    // Every roll-up table as text, to compare two runs.
    std::string dump() {
        auto s = db_.session();
        std::string out;
        for (const char* table :
             {"usage_hourly", "usage_daily", "association_usage_hourly", "association_usage_daily"}) {
            Poco::Data::Statement stmt(s);
            stmt << std::string("SELECT * FROM ") + table + " ORDER BY 1, 2, 3";
            stmt.execute();
            Poco::Data::RecordSet rs(stmt);
            for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
                out += table;
                for (std::size_t c = 0; c < rs.columnCount(); ++c) {
                    out += "|" +
                           (rs.value(c).isEmpty() ? std::string("NULL") : rs.value(c).convert<std::string>());
                }
                out += "\n";
            }
        }
        return out;
    }
    int64_t daily(const std::string& table, const std::string& where, const std::string& column) {
        auto s = db_.session();
        Poco::Int64 v = -1;
        s << "SELECT " + column + " FROM " + table + " WHERE " + where, into(v), now;
        return v;
    }
};

TEST_F(UsageRollupTest, TheWeekOfTheSpringChangeHasA23HourDay) {
    // Monday 23 March 00:00 to Monday 30 March 00:00, Paris time.
    sampleEvery10Minutes("2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z");
    const auto report = UsageRollup(db_, calendar_, 90).run(parseTime("2026-03-29T22:00:00Z").value());
    EXPECT_EQ(report.hours, 7 * 24 - 1 + 1);  // 167 hours, and the (empty) current one
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc1' AND day = '2026-03-28'", "samples"), 144);
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc1' AND day = '2026-03-29'", "samples"), 138);
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc1' AND day = '2026-03-29'", "cpu_ns"), 138'000'000'000);
    EXPECT_EQ(daily("association_usage_daily", "day = '2026-03-29'", "samples"), 138);
    EXPECT_EQ(daily("association_usage_daily", "day = '2026-03-29'", "stored_bytes_max"),
              Poco::Int64{3} << 30);
    EXPECT_EQ(daily("association_usage_daily", "day = '2026-03-29'", "stored_bytes_avg"),
              Poco::Int64{3} << 30);
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc2' AND day = '2026-03-29'", "memory_kib_avg"), 65536);
    auto s = db_.session();
    int days = 0;
    s << "SELECT COUNT(*) FROM usage_daily WHERE service_id = 'svc1'", into(days), now;
    EXPECT_EQ(days, 7);
    // What billing reads for a period: the association's peak and average stored data.
    const auto week = storedOver(s, "asso1", "2026-03-23", "2026-03-30");
    EXPECT_DOUBLE_EQ(week.peakGib.value_or(0), 3.0);
    EXPECT_DOUBLE_EQ(week.averageGib.value_or(0), 3.0);
    EXPECT_EQ(week.samples, 7 * 144 - 6);
    EXPECT_FALSE(storedOver(s, "asso1", "2026-04-01", "2026-05-01").peakGib.has_value());
}

TEST_F(UsageRollupTest, TheWeekOfTheAutumnChangeHasA25HourDay) {
    sampleEvery10Minutes("2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z");
    UsageRollup(db_, calendar_, 90).run(parseTime("2026-10-26T00:00:00Z").value());
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc1' AND day = '2026-10-24'", "samples"), 144);
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc1' AND day = '2026-10-25'", "samples"), 150);
    EXPECT_EQ(daily("association_usage_daily", "day = '2026-10-25'", "cpu_ns"), 300'000'000'000);
}

TEST_F(UsageRollupTest, RunningTwiceOrAtEveryCycleGivesTheSameFigures) {
    // At every cycle, as the daemon does.
    UsageRollup rollup(db_, calendar_, 90);
    sampleEvery10Minutes("2026-11-30T20:00:00Z", "2026-12-01T04:00:00Z",
                         [&](TimePoint t) { rollup.run(t + 1s); });
    const std::string incremental = dump();
    // Once, from nothing.
    {
        auto s = db_.session();
        s << "DELETE FROM usage_hourly", now;
        s << "DELETE FROM usage_daily", now;
        s << "DELETE FROM association_usage_hourly", now;
        s << "DELETE FROM association_usage_daily", now;
        s << "DELETE FROM rollup_state", now;
    }
    const auto end = parseTime("2026-12-01T03:50:01Z").value();
    rollup.run(end);
    EXPECT_EQ(dump(), incremental);
    rollup.run(end);  // again: nothing changes
    EXPECT_EQ(dump(), incremental);
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc1' AND day = '2026-11-30'", "samples"),
              18);  // 20:00–23:00 UTC
    EXPECT_EQ(daily("usage_daily", "service_id = 'svc1' AND day = '2026-12-01'", "samples"), 30);
}

TEST_F(UsageRollupTest, ACrashThatLeftTheWatermarkBehindIsRedoneToTheSameFigures) {
    sampleEvery10Minutes("2026-11-30T20:00:00Z", "2026-12-01T04:00:00Z");
    UsageRollup rollup(db_, calendar_, 90);
    const auto end = parseTime("2026-12-01T04:00:00Z").value();
    rollup.run(end);
    const std::string expected = dump();
    // A run that died after writing some hours but before its watermark moved: hours half
    // written, the watermark hours behind.
    {
        auto s = db_.session();
        s << "UPDATE usage_hourly SET samples = 999 WHERE hour >= '2026-12-01T01:00:00Z'", now;
        s << "UPDATE rollup_state SET through = '2026-11-30T22:00:00Z'", now;
    }
    rollup.run(end);
    EXPECT_EQ(dump(), expected);
}

TEST_F(UsageRollupTest, HourlyFiguresPastTheirRetentionGoDailyOnesStay) {
    sampleEvery10Minutes("2026-11-01T00:00:00Z", "2026-11-01T02:00:00Z");
    UsageRollup rollup(db_, calendar_, 7);
    rollup.run(parseTime("2026-11-01T02:00:00Z").value());
    rollup.run(parseTime("2026-11-20T00:00:00Z").value());
    auto s = db_.session();
    int hourly = 0;
    int dailyRows = 0;
    s << "SELECT COUNT(*) FROM usage_hourly", into(hourly), now;
    s << "SELECT COUNT(*) FROM usage_daily WHERE day = '2026-11-01'", into(dailyRows), now;
    EXPECT_EQ(hourly, 0);
    EXPECT_EQ(dailyRows, 2);
}

}  // namespace
