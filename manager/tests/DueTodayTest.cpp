// What a billing run has due for a subscription, as a table: the periods from the first day not
// billed yet up to the run's day, cancellations and pending changes taking effect.

#include "billing/DueToday.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

namespace {

// Anchored on 31 January 2027, monthly, 10 € (periods 31/01, 28/02, 31/03, 30/04…).
Subscription monthly(const std::string& billedThrough) {
    Subscription s;
    s.id = "sub1";
    s.planSlug = "web";
    s.planVersion = 1;
    s.interval = "month";
    s.priceCents = 1000;
    s.anchorDate = "2027-01-31";
    s.status = SubscriptionStatus::Active;
    s.billedThrough = billedThrough;
    return s;
}

DuePeriod fee(const std::string& start, const std::string& end, bool applyPending = false) {
    return {start, false, "overage", applyPending, {start, end}};
}

DuePeriod finalInvoice(const std::string& start) {
    return {start, true, "final", false, {}};
}

}  // namespace

TEST(DueToday, Table) {
    Subscription cancelled = monthly("2027-01-31");
    cancelled.cancelAt = "2027-02-28";
    Subscription ended = monthly("2027-01-31");
    ended.status = SubscriptionStatus::Ended;
    Subscription toYearly = monthly("2027-02-28");
    toYearly.pending = PendingChange{"chg1", "web", 1, "year", 10000, 0};
    Subscription downgraded = monthly("2027-02-28");
    downgraded.pending = PendingChange{"chg2", "small", 2, "month", 500, 0};
    Subscription notYet = monthly("2027-01-31");
    notYet.trialEnd = "2027-01-31";

    struct Row {
        const char* what;
        Subscription sub;
        std::string asOf;
        std::vector<DuePeriod> due;
    };
    const std::vector<Row> rows = {
        {"the first fee, on its first day",
         monthly("2027-01-31"),
         "2027-01-31",
         {fee("2027-01-31", "2027-02-28")}},
        {"nothing before the next period", monthly("2027-02-28"), "2027-02-27", {}},
        {"a trial before its first period", notYet, "2027-01-30", {}},
        {"every period missed, in order",
         monthly("2027-01-31"),
         "2027-04-15",
         {fee("2027-01-31", "2027-02-28"), fee("2027-02-28", "2027-03-31"), fee("2027-03-31", "2027-04-30")}},
        {"a cancellation ends it at its period end, with a final invoice",
         cancelled,
         "2027-03-10",
         {fee("2027-01-31", "2027-02-28"), finalInvoice("2027-02-28")}},
        {"an ended subscription owes nothing", ended, "2027-06-01", {}},
        {"a change of interval anchors the new periods on its day",
         toYearly,
         "2027-03-31",
         {fee("2027-02-28", "2028-02-28", true)}},
        {"a downgrade takes effect once, then periods go on",
         downgraded,
         "2027-03-31",
         {fee("2027-02-28", "2027-03-31", true), fee("2027-03-31", "2027-04-30")}},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.what);
        EXPECT_EQ(dueToday(row.sub, row.asOf), row.due);
    }
}

TEST(DueToday, APendingChangeGivesTheNewPlanAndPrice) {
    Subscription sub = monthly("2027-02-28");
    sub.pending = PendingChange{"chg1", "small", 2, "year", 9000, 300};
    applyPendingChange(sub, "2027-02-28");
    EXPECT_EQ(sub.planSlug, "small");
    EXPECT_EQ(sub.planVersion, 2);
    EXPECT_EQ(sub.interval, "year");
    EXPECT_EQ(sub.priceCents, 9000);
    EXPECT_EQ(sub.membershipCents, 300);
    EXPECT_EQ(sub.anchorDate, "2027-02-28");
    EXPECT_FALSE(sub.pending.has_value());
    applyPendingChange(sub, "2028-02-28");
    EXPECT_EQ(sub.anchorDate, "2027-02-28") << "nothing pending: nothing changes";
}
