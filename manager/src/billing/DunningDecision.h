#pragma once

#include <string>
#include <vector>

namespace chatiere::manager {

// The dunning steps an unpaid invoice has reached, `daysLate` days after its due date: a
// reminder at each of `reminderDays` reached ("reminder_<day>"), and the `unpaid` suspension from
// `suspendDays` on. Each is recorded once (dunning_steps), so a run that catches up on several
// steps records them all.
struct DunningSteps {
    std::vector<std::string> reminders;
    bool suspend = false;
    bool operator==(const DunningSteps&) const = default;
};
DunningSteps dunningStepsAt(int daysLate, const std::vector<int>& reminderDays, int suspendDays);

// The one mail an invoice's run sends, of the steps it newly recorded: the suspension notice wins
// over a reminder; nothing when nothing is new.
enum class DunningMail { None, Reminder, Suspension };
DunningMail dunningMail(bool reminderRecorded, bool suspensionRecorded);

}  // namespace chatiere::manager
