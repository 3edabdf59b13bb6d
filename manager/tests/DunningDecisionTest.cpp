// Dunning's steps as a table: days after the due date → the reminders reached, the suspension,
// and the one mail a run sends of what it newly recorded.

#include "billing/DunningDecision.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

TEST(DunningDecision, StepsReachedByDaysLate) {
    // billing.reminder_days = 7, 15; billing.suspend_days = 30 (the defaults).
    const std::vector<int> reminders = {7, 15};
    const std::vector<std::pair<int, DunningSteps>> rows = {
        {-3, {{}, false}},
        {0, {{}, false}},
        {6, {{}, false}},
        {7, {{"reminder_7"}, false}},
        {14, {{"reminder_7"}, false}},
        {15, {{"reminder_7", "reminder_15"}, false}},
        {29, {{"reminder_7", "reminder_15"}, false}},
        {30, {{"reminder_7", "reminder_15"}, true}},
        {90, {{"reminder_7", "reminder_15"}, true}},
    };
    for (const auto& [late, steps] : rows) {
        SCOPED_TRACE(late);
        EXPECT_EQ(dunningStepsAt(late, reminders, 30), steps);
    }
    EXPECT_EQ(dunningStepsAt(5, {}, 3), (DunningSteps{{}, true})) << "no reminders configured";
}

TEST(DunningDecision, OneMailOfWhatWasNewlyRecorded) {
    EXPECT_EQ(dunningMail(false, false), DunningMail::None);
    EXPECT_EQ(dunningMail(true, false), DunningMail::Reminder);
    EXPECT_EQ(dunningMail(false, true), DunningMail::Suspension);
    EXPECT_EQ(dunningMail(true, true), DunningMail::Suspension);
}
