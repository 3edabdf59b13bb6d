// The quota ladder's decision as a table: usage, quota and the state before → the rung mailed,
// the rung cleared, the time at the limit, the enforcement and why it changed.

#include "monitoring/QuotaDecision.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;
using namespace std::chrono_literals;

namespace {

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

const std::string kNow = "2027-03-10T12:00:00Z";
const std::string kPeriod = "2027-03-01";

QuotaState state(std::string level, std::optional<std::string> since = std::nullopt, bool enforced = false,
                 std::optional<std::string> period = kPeriod) {
    return {std::move(level), std::move(since), enforced, std::move(period)};
}

struct Case {
    const char* what;
    std::string metric;
    double value;
    QuotaLimit quota;
    QuotaState before;
    bool excepted;
    // expected
    std::string level;
    std::string mailed;  // the rung reached, "" for none
    bool cleared;
    std::optional<std::string> atLimitSince;
    bool enforced;
    std::string enforcementChange;  // "" for none
    bool store;
};

}  // namespace

TEST(QuotaDecision, Table) {
    // disk_gib 10 included, 20 the limit: rungs included_80 (8), included_100 (10), limit_90 (18),
    // limit_100 (20); a rung is kept down to 95 % of it; the grace is 72 h.
    const QuotaLimit disk{10, 20};
    const std::string h71 = "2027-03-07T13:00:00Z";  // 71 h before now
    const std::string h72 = "2027-03-07T12:00:00Z";  // 72 h before now
    const std::vector<Case> rows = {
        {"under every rung, first look: dated", "disk_gib", 5, disk, QuotaState{}, false,  //
         "none", "", false, std::nullopt, false, "", true},
        {"under every rung, nothing new", "disk_gib", 5, disk, state("none"), false,  //
         "none", "", false, std::nullopt, false, "", false},
        {"the first rung", "disk_gib", 8, disk, state("none"), false,  //
         "included_80", "included_80", false, std::nullopt, false, "", true},
        {"several rungs at once: only the highest is mailed", "disk_gib", 19, disk, state("none"), false,
         "limit_90", "limit_90", false, std::nullopt, false, "", true},
        {"a rung kept within the hysteresis", "disk_gib", 7.7, disk, state("included_80"), false,  //
         "included_80", "", false, std::nullopt, false, "", false},
        {"a rung left under the hysteresis", "disk_gib", 7.5, disk, state("included_80"), false,  //
         "none", "", true, std::nullopt, false, "", true},
        {"down one rung, still within the hysteresis of the upper one", "disk_gib", 9.6, disk,
         state("included_100"), false,  //
         "included_100", "", false, std::nullopt, false, "", false},
        {"down one rung, past the hysteresis", "disk_gib", 9, disk, state("included_100"), false,  //
         "included_80", "", true, std::nullopt, false, "", true},
        {"a new period mails a rung still reached again", "disk_gib", 10, disk,
         state("included_100", std::nullopt, false, "2027-02-01"), false,  //
         "included_100", "included_100", false, std::nullopt, false, "", true},
        {"a level from before periods is kept, then dated", "disk_gib", 10, disk,
         state("included_100", std::nullopt, false, std::nullopt), false,  //
         "included_100", "", false, std::nullopt, false, "", true},
        {"the limit reached: the grace starts", "disk_gib", 20, disk, state("limit_90"), false,  //
         "limit_100", "limit_100", false, kNow, false, "", true},
        {"at the limit, 71 h: still in the grace", "disk_gib", 21, disk, state("limit_100", h71), false,  //
         "limit_100", "", false, h71, false, "", false},
        {"at the limit, 72 h: websites suspended", "disk_gib", 21, disk, state("limit_100", h72), false,  //
         "limit_100", "", false, h72, true, "limit_reached", true},
        {"suspended, then an exception", "disk_gib", 21, disk, state("limit_100", h72, true), true,  //
         "limit_100", "", false, h72, false, "exception", true},
        {"an exception before the grace ends: never suspended", "disk_gib", 21, disk, state("limit_100", h72),
         true,  //
         "limit_100", "", false, h72, false, "", false},
        {"suspended, then under the limit", "disk_gib", 15, disk, state("limit_100", h72, true), false,  //
         "included_100", "", true, std::nullopt, false, "under_limit", true},
        {"memory at its limit: mailed, never enforced", "memory_mib", 512, QuotaLimit{256, 512},
         state("limit_90"), false,  //
         "limit_100", "limit_100", false, std::nullopt, false, "", true},
        {"a metric the plan no longer limits: reset, enforcement lifted", "disk_gib", 30, QuotaLimit{0, 0},
         state("limit_100", h72, true), false,  // no rung left to clear
         "none", "", false, std::nullopt, false, "under_limit", true},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        const QuotaDecision d = decideQuota(row.metric, row.value, row.quota, row.before, kPeriod,
                                            row.excepted, at(kNow), QuotaRules{});
        EXPECT_EQ(d.next.level, row.level);
        EXPECT_EQ(d.reached ? d.reached->name : "", row.mailed);
        EXPECT_EQ(d.cleared, row.cleared);
        EXPECT_EQ(d.next.atLimitSince, row.atLimitSince);
        EXPECT_EQ(d.atLimit, row.atLimitSince.has_value());
        EXPECT_EQ(d.next.enforced, row.enforced);
        EXPECT_EQ(d.enforcementChange.value_or(""), row.enforcementChange);
        EXPECT_EQ(d.store, row.store);
        EXPECT_EQ(d.next.periodStart, kPeriod);
        if (row.atLimitSince) {
            ASSERT_TRUE(d.graceEnds.has_value());
            EXPECT_EQ(*d.graceEnds, at(*row.atLimitSince) + 72h)
                << "the grace ends 72 h after reaching the limit";
        } else {
            EXPECT_FALSE(d.graceEnds.has_value());
        }
    }
}

TEST(QuotaDecision, TransferAtItsLimitIsMailedAndAlertedButNeverEnforced) {
    // transfer_gib 100 included, 200 the limit: the rungs are mailed like stored data's, the limit
    // raises the admin's alert, and however long it lasts nothing is suspended.
    const QuotaLimit transfer{100, 200};
    const std::string longAgo = "2027-03-01T00:00:00Z";
    struct Row {
        const char* what;
        double value;
        QuotaState before;
        bool excepted;
        std::string level;
        std::string mailed;
        std::optional<std::string> atLimitSince;
    };
    const std::vector<Row> rows = {
        {"the included amount reached: mailed", 100, state("included_80"), false, "included_100",
         "included_100", std::nullopt},
        {"the limit reached: mailed, alert, no grace", 250, state("limit_90"), false, "limit_100",
         "limit_100", kNow},
        {"at the limit for days: still not suspended", 400, state("limit_100", longAgo), false, "limit_100",
         "", longAgo},
        {"a state suspended (by an older rule) is lifted", 400, state("limit_100", longAgo, true), false,
         "limit_100", "", longAgo},
        {"at the limit with an exception", 400, state("limit_100", longAgo), true, "limit_100", "", longAgo},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        const QuotaDecision d = decideQuota("transfer_gib", row.value, transfer, row.before, kPeriod,
                                            row.excepted, at(kNow), QuotaRules{});
        EXPECT_EQ(d.next.level, row.level);
        EXPECT_EQ(d.reached ? d.reached->name : "", row.mailed);
        EXPECT_EQ(d.next.atLimitSince, row.atLimitSince);
        EXPECT_EQ(d.atLimit, row.atLimitSince.has_value());
        EXPECT_FALSE(d.next.enforced);
        EXPECT_FALSE(d.graceEnds.has_value());
        EXPECT_EQ(d.enforcementChange.has_value(), row.before.enforced);
    }
    EXPECT_FALSE(enforcedMetric("transfer_gib"));
    EXPECT_TRUE(measuredMetric("transfer_gib"));
}

TEST(QuotaDecision, WhichServicesGainOrLoseTheQuotaReason) {
    struct ReasonRow {
        bool enforced;
        bool website;
        std::string state;
        bool has;
        std::optional<bool> change;
    };
    const std::vector<ReasonRow> rows = {
        {true, true, "active", false, true},          {true, true, "active", true, true},
        {true, true, "requested", false, true},       {true, true, "deleting", false, std::nullopt},
        {true, false, "active", false, std::nullopt},  // mail keeps running
        {true, false, "active", true, std::nullopt},  {false, true, "active", true, false},
        {false, false, "active", true, false},        {false, true, "active", false, std::nullopt},
        {false, true, "deleting", true, false},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(std::to_string(r.enforced) + " " + std::to_string(r.website) + " " + r.state + " " +
                     std::to_string(r.has));
        EXPECT_EQ(quotaReasonChange(r.enforced, r.website, r.state, r.has), r.change);
    }
}
