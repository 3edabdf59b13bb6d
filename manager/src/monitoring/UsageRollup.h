#pragma once

#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Time.h"

namespace chatiere::manager {

struct RollupReport {
    int hours = 0;  // hours (re)computed
    int days = 0;   // days (re)computed
};

// Rolls the raw usage samples up into hourly and daily figures, per service and per association
// (CPU used, average and peak memory and stored data). Hours are UTC hours — they are local hours
// too, the zone's offsets being whole hours —; days are the calendar's local days, 23 to 25 hours.
// Each hour is recomputed from the raw samples and each day from its hours, in one transaction
// that also moves the watermark: running twice gives the same figures, and a crash mid-way
// redoes at most the hour it was in. The current hour and day are recomputed on every run until
// they end. Hourly figures are kept `hourlyRetentionDays`; daily ones are kept (billing reads them).
class UsageRollup {
public:
    UsageRollup(Database& db, const Calendar& calendar, int hourlyRetentionDays);

    RollupReport run(TimePoint now);

private:
    Database& db_;
    const Calendar& calendar_;
    int hourlyRetentionDays_;
};

}  // namespace chatiere::manager
