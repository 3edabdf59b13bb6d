// The proxy's transfer log reader: the pure line parsing and rotation decision (tables), then the
// reader on a temp SQLite file and a log the test writes as nginx would — whole lines only, a
// rotation followed by the inode, a restart (a new reader) never counting a line twice.

#include "MonitoringFixture.h"
#include "monitoring/TransferLog.h"
#include "monitoring/UsageRollup.h"
#include "store/Transfer.h"
#include "store/Usage.h"

#include <Poco/Logger.h>
#include <sys/stat.h>

#include <fstream>

using namespace chatiere::manager;
using namespace chatiere::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

TEST(TransferLineTest, ParsesTheLogFormat) {
    struct Case {
        std::string line;
        std::optional<std::pair<std::string, uint64_t>> expected;
    };
    const std::vector<Case> cases = {
        {"1733540000.123 svc_abc 5120", std::pair<std::string, uint64_t>{"svc_abc", 5120}},
        {"1733540000.123 svc-1 0", std::pair<std::string, uint64_t>{"svc-1", 0}},
        {"1.000 - 312", std::pair<std::string, uint64_t>{"-", 312}},
        {"1733540000.123 svc 9223372036854775807",
         std::pair<std::string, uint64_t>{"svc", 9223372036854775807ULL}},
        {"1733540000.123 svc 9223372036854775808", std::nullopt},  // past int64
        {"", std::nullopt},
        {"1733540000.123 svc", std::nullopt},           // a field missing
        {"1733540000.123 svc 12 extra", std::nullopt},  // one too many
        {"1733540000 svc 12", std::nullopt},            // no milliseconds
        {"abc.123 svc 12", std::nullopt},
        {"1733540000.123 svc -12", std::nullopt},
        {"1733540000.123 svc 12x", std::nullopt},
        {"1733540000.123 sv\"c 12", std::nullopt},
        {"1733540000.123  svc 12", std::nullopt},  // two spaces
        {"1733540000.123 svc 12\r", std::nullopt},
    };
    for (const auto& c : cases) {
        const auto parsed = parseTransferLine(c.line);
        ASSERT_EQ(parsed.has_value(), c.expected.has_value()) << c.line;
        if (parsed) {
            EXPECT_EQ(std::string(parsed->serviceId), c.expected->first) << c.line;
            EXPECT_EQ(parsed->bytes, c.expected->second) << c.line;
        }
    }
}

TEST(TransferReadPlanTest, FollowsTheInodeAcrossARotation) {
    using C = std::optional<TransferCursor>;
    using F = std::optional<LogFile>;
    struct Case {
        const char* what;
        C cursor;
        F current;
        F rotated;
        std::optional<uint64_t> rotatedFrom;
        std::optional<uint64_t> currentFrom;
        bool lost;
        bool truncated;
    };
    const std::vector<Case> cases = {
        {"nothing yet", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, false, false},
        {"first reading", std::nullopt, LogFile{7, 100}, std::nullopt, std::nullopt, 0, false, false},
        {"first reading leaves an unknown rotated file", std::nullopt, LogFile{7, 100}, LogFile{6, 50},
         std::nullopt, 0, false, false},
        {"same file, grown", TransferCursor{7, 40}, LogFile{7, 100}, std::nullopt, std::nullopt, 40, false,
         false},
        {"same file, nothing new", TransferCursor{7, 100}, LogFile{7, 100}, LogFile{6, 10}, std::nullopt, 100,
         false, false},
        {"rotated: finish .1 then the new one", TransferCursor{7, 40}, LogFile{8, 30}, LogFile{7, 120}, 40, 0,
         false, false},
        {"rotated, new file not yet created", TransferCursor{7, 40}, std::nullopt, LogFile{7, 120}, 40,
         std::nullopt, false, false},
        {"rotated twice: the cursor's file is gone", TransferCursor{7, 40}, LogFile{9, 30}, LogFile{8, 120},
         std::nullopt, 0, true, false},
        {"truncated in place", TransferCursor{7, 400}, LogFile{7, 30}, std::nullopt, std::nullopt, 0, false,
         true},
        {"no log at all", TransferCursor{7, 40}, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
         false, false},
    };
    for (const auto& c : cases) {
        const TransferReadPlan plan = planTransferRead(c.cursor, c.current, c.rotated);
        EXPECT_EQ(plan.rotatedFrom, c.rotatedFrom) << c.what;
        EXPECT_EQ(plan.currentFrom, c.currentFrom) << c.what;
        EXPECT_EQ(plan.lost, c.lost) << c.what;
        EXPECT_EQ(plan.truncated, c.truncated) << c.what;
    }
}

class TransferLogTest : public MonitoringFixture {
protected:
    TransferLogTest() : log_(dir_ / "logs" / "transfer.log") {
        fs::create_directories(log_.parent_path());
        addService("svc1");
        addService("svc2");
        addService("gone", "deleted");
    }

    TransferLog reader() { return TransferLog(db_, clock_, Poco::Logger::get("test.transfer"), log_, 7); }

    void append(const fs::path& file, const std::string& text) {
        std::ofstream(file, std::ios::app | std::ios::binary) << text;
    }
    static std::string line(const std::string& service, int64_t bytes) {
        return "1733540000.123 " + service + " " + std::to_string(bytes) + "\n";
    }

    int64_t total(const std::string& serviceId) {
        auto s = db_.session();
        for (const auto& t : TransferRepository(s).totals()) {
            if (t.serviceId == serviceId) {
                return t.bytes;
            }
        }
        return 0;
    }
    int64_t sampled() {
        auto s = db_.session();
        return s.integer("SELECT COALESCE(SUM(bytes), 0) FROM transfer_samples").value_or(-1);
    }

    fs::path log_;
};

TEST_F(TransferLogTest, CountsWholeLinesOnceAndAPartialLineWhenItEnds) {
    append(log_, line("svc1", 100) + line("svc2", 20) + line("svc1", 5) + "1733540000.123 svc1 7");
    TransferReport r = reader().readOnce();
    EXPECT_EQ(r.lines, 3);
    EXPECT_EQ(r.bytes, 125);
    EXPECT_EQ(total("svc1"), 105);
    EXPECT_EQ(total("svc2"), 20);

    // Nothing new: nothing counted again.
    EXPECT_EQ(reader().readOnce().bytes, 0);
    EXPECT_EQ(total("svc1"), 105);

    // The partial line ends: counted whole (7000, not 7).
    append(log_, "000\n");
    r = reader().readOnce();
    EXPECT_EQ(r.lines, 1);
    EXPECT_EQ(r.bytes, 7000);
    EXPECT_EQ(total("svc1"), 7105);
    EXPECT_EQ(sampled(), 7125);
}

TEST_F(TransferLogTest, FinishesTheRotatedFileThenReadsTheNewOneAcrossARestart) {
    append(log_, line("svc1", 10));
    EXPECT_EQ(reader().readOnce().bytes, 10);
    // Written after the reading, then rotated (renamed, nginx reopens a new file).
    append(log_, line("svc1", 20) + line("svc2", 30));
    fs::rename(log_, log_.string() + ".1");
    append(log_, line("svc2", 40));

    TransferReport r = reader().readOnce();  // a new reader: as after a restart
    EXPECT_TRUE(r.rotated);
    EXPECT_FALSE(r.lost);
    EXPECT_EQ(r.bytes, 90);
    EXPECT_EQ(total("svc1"), 30);
    EXPECT_EQ(total("svc2"), 70);
    EXPECT_EQ(reader().readOnce().bytes, 0);

    // A second rotation: the first .1 replaced; nothing of it counted twice.
    append(log_, line("svc1", 1));
    fs::rename(log_, log_.string() + ".1");
    EXPECT_EQ(reader().readOnce().bytes, 1);  // the new log does not exist yet
    append(log_, line("svc1", 2));
    EXPECT_EQ(reader().readOnce().bytes, 2);
    EXPECT_EQ(reader().readOnce().bytes, 0);
    EXPECT_EQ(total("svc1"), 33);
    EXPECT_EQ(sampled(), 103);
}

TEST_F(TransferLogTest, SkipsUnknownDeletedAndMalformedLines) {
    append(log_, line("svc1", 10) + line("gone", 1000) + line("nobody", 2000) + line("-", 300) +
                     "garbage\n\n" + line("svc1", 1));
    const TransferReport r = reader().readOnce();
    EXPECT_EQ(r.lines, 2);
    EXPECT_EQ(r.bytes, 11);
    EXPECT_EQ(r.unknownLines, 3);
    EXPECT_EQ(r.malformedLines, 2);
    EXPECT_EQ(total("svc1"), 11);
    EXPECT_EQ(total("gone"), 0);
    EXPECT_EQ(sampled(), 11);
    // The cursor moved past them: not looked at again.
    EXPECT_EQ(reader().readOnce().unknownLines, 0);
}

TEST_F(TransferLogTest, TheCursorAndTheBytesCommitTogether) {
    append(log_, line("svc1", 10));
    // A reading whose transaction does not commit (the daemon dies before COMMIT): neither the
    // bytes nor the cursor stay.
    {
        const UnitOfWork unit(db_);  // one connection: the reading's transaction nests in `outer`
        auto s = db_.session();
        Transaction outer(s);
        reader().readOnce();  // a savepoint inside `outer`
        EXPECT_EQ(total("svc1"), 10);
    }  // rolled back
    EXPECT_EQ(total("svc1"), 0);
    {
        auto s = db_.session();
        EXPECT_FALSE(TransferRepository(s).cursor(log_.string()));
    }
    EXPECT_EQ(reader().readOnce().bytes, 10);
    EXPECT_EQ(total("svc1"), 10);
}

TEST_F(TransferLogTest, BytesRollUpPerHourAndDayLikeTheOtherMetrics) {
    append(log_, line("svc1", 1000) + line("svc2", 24));
    reader().readOnce();
    clock_.advance(2h);
    append(log_, line("svc1", 3000));
    reader().readOnce();
    clock_.advance(1h);
    UsageRollup(db_, calendar_, 90).run(clock_.now());

    auto s = db_.session();
    EXPECT_EQ(s.integer("SELECT SUM(transfer_bytes) FROM usage_hourly WHERE service_id = 'svc1'"), 4000);
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM usage_hourly WHERE service_id = 'svc1' AND transfer_bytes > 0"),
              2);
    EXPECT_EQ(s.integer("SELECT SUM(transfer_bytes) FROM usage_daily WHERE service_id = 'svc2'"), 24);
    EXPECT_EQ(s.integer("SELECT SUM(transfer_bytes) FROM association_usage_hourly"), 4024);
    EXPECT_EQ(s.integer("SELECT SUM(transfer_bytes) FROM association_usage_daily"), 4024);
    // Rows of transfer only weigh nothing in the averages: no sample behind them.
    EXPECT_EQ(s.integer("SELECT SUM(samples) FROM association_usage_daily"), 0);

    const std::string today = calendar_.dateOf(clock_.now());
    const StoredFigures figures = storedOver(s, "asso1", today, Calendar::addDays(today, 1));
    EXPECT_EQ(figures.transferBytes, 4024);
    EXPECT_FALSE(figures.averageGib);
    const auto days = UsageRepository(s).associationDays("asso1");
    ASSERT_EQ(days.size(), 1U);
    EXPECT_EQ(days[0].transferBytes, 4024);
}

}  // namespace
