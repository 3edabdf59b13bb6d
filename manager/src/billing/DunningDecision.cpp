#include "billing/DunningDecision.h"

namespace chatiere::manager {

DunningSteps dunningStepsAt(int daysLate, const std::vector<int>& reminderDays, int suspendDays) {
    DunningSteps steps;
    for (const int day : reminderDays) {
        if (daysLate >= day) {
            steps.reminders.push_back("reminder_" + std::to_string(day));
        }
    }
    steps.suspend = daysLate >= suspendDays;
    return steps;
}

DunningMail dunningMail(bool reminderRecorded, bool suspensionRecorded) {
    if (suspensionRecorded) {
        return DunningMail::Suspension;
    }
    return reminderRecorded ? DunningMail::Reminder : DunningMail::None;
}

}  // namespace chatiere::manager
