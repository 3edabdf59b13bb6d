#include "monitoring/UsageRollup.h"

#include "chatiere/manager/Error.h"
#include "store/Usage.h"

namespace chatiere::manager {

namespace {

constexpr auto kHour = std::chrono::hours(1);

TimePoint floorHour(TimePoint t) {
    return std::chrono::floor<std::chrono::hours>(t);
}

}  // namespace

UsageRollup::UsageRollup(Database& db, const Calendar& calendar, int hourlyRetentionDays)
    : db_(db), calendar_(calendar), hourlyRetentionDays_(hourlyRetentionDays) {}

RollupReport UsageRollup::run(TimePoint at) {
    RollupReport report;
    auto s = db_.session();
    UsageRepository usage(s);
    TimePoint hour;
    if (const auto through = usage.rolledUpThrough()) {
        const auto parsed = parseTime(*through);
        if (!parsed) {
            throw Error(ErrorKind::Internal, "rollup", "bad roll-up watermark " + *through);
        }
        hour = *parsed;
    } else {
        const auto first = usage.firstSampleAt();
        if (!first) {
            return report;
        }
        hour = floorHour(parseTime(*first).value_or(at));
    }
    const TimePoint current = floorHour(at);
    for (; hour <= current; hour += kHour) {
        const std::string hourText = formatTime(hour);
        const std::string day = calendar_.dateOf(hour);
        Transaction tx(s);
        usage.rollUpHour(hourText, formatTime(hour + kHour));
        ++report.hours;
        // The day once its last hour is in, and the current day on every run.
        if (hour == current || calendar_.dateOf(hour + kHour) != day) {
            usage.rollUpDay(day, formatTime(calendar_.startOf(day)),
                            formatTime(calendar_.startOf(Calendar::addDays(day, 1))));
            ++report.days;
        }
        usage.setRolledUpThrough(hourText);
        tx.commit();
    }
    const std::string cutoff = formatTime(current - std::chrono::hours(24) * hourlyRetentionDays_);
    Transaction tx(s);
    usage.pruneHourly(cutoff);
    tx.commit();
    return report;
}

}  // namespace chatiere::manager
