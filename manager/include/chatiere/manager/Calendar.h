#pragma once

#include "chatiere/manager/Time.h"

#include <optional>
#include <string>

namespace date {
class time_zone;
}

namespace chatiere::manager {

// Calendar dates in the installation's time zone (Europe/Paris by default), from the system's
// time zone database: a day is 23, 24 or 25 hours long across the changes of summer time.
// Dates are "YYYY-MM-DD" text, as stored and on the wire.
class Calendar {
public:
    // Throws std::runtime_error when the zone is unknown.
    explicit Calendar(const std::string& zone = "Europe/Paris");

    const std::string& zoneName() const { return zoneName_; }
    // The local date of an instant.
    std::string dateOf(TimePoint t) const;
    // The local time of day of an instant, "HH:MM" (24 hours).
    std::string timeOf(TimePoint t) const;
    // The instant the local date starts (its first second, in UTC).
    TimePoint startOf(const std::string& date) const;
    // The first day of the month of `date`, and the first day of the next month.
    static std::string monthStart(const std::string& date);
    static std::string nextMonthStart(const std::string& date);
    static std::string addDays(const std::string& date, int days);
    // A real calendar date written YYYY-MM-DD.
    static bool isDate(const std::string& text);

private:
    std::string zoneName_;
    const date::time_zone* zone_;
};

}  // namespace chatiere::manager
