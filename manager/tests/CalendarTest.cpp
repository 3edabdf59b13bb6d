// Calendar days in Europe/Paris from the system's time zone database, across summer time.

#include "chatiere/manager/Calendar.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

namespace {

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

TEST(Calendar, LocalDatesAndTheirStartInWinterAndSummer) {
    const Calendar paris;
    EXPECT_EQ(paris.dateOf(at("2026-12-01T22:59:59Z")), "2026-12-01");
    EXPECT_EQ(paris.dateOf(at("2026-12-01T23:00:00Z")), "2026-12-02");  // UTC+1
    EXPECT_EQ(paris.dateOf(at("2026-07-14T21:59:59Z")), "2026-07-14");
    EXPECT_EQ(paris.dateOf(at("2026-07-14T22:00:00Z")), "2026-07-15");  // UTC+2
    EXPECT_EQ(formatTime(paris.startOf("2026-12-02")), "2026-12-01T23:00:00Z");
    EXPECT_EQ(formatTime(paris.startOf("2026-07-15")), "2026-07-14T22:00:00Z");
    EXPECT_EQ(paris.timeOf(at("2026-12-01T22:59:59Z")), "23:59");
    EXPECT_EQ(paris.timeOf(at("2026-12-01T23:00:00Z")), "00:00");
    EXPECT_EQ(paris.timeOf(at("2026-07-14T08:05:00Z")), "10:05");
}

TEST(Calendar, TheDaysOfTheChangesAre23And25HoursLong) {
    const Calendar paris;
    const auto hours = [&](const std::string& day) {
        return std::chrono::duration_cast<std::chrono::hours>(paris.startOf(Calendar::addDays(day, 1)) -
                                                              paris.startOf(day))
            .count();
    };
    EXPECT_EQ(hours("2026-03-28"), 24);
    EXPECT_EQ(hours("2026-03-29"), 23);  // 02:00 → 03:00
    EXPECT_EQ(hours("2026-10-25"), 25);  // 03:00 → 02:00
    EXPECT_EQ(hours("2026-10-26"), 24);
}

TEST(Calendar, MonthsAndDays) {
    EXPECT_EQ(Calendar::monthStart("2026-12-17"), "2026-12-01");
    EXPECT_EQ(Calendar::nextMonthStart("2026-12-17"), "2027-01-01");
    EXPECT_EQ(Calendar::nextMonthStart("2028-02-29"), "2028-03-01");
    EXPECT_EQ(Calendar::addDays("2028-02-28", 1), "2028-02-29");
    EXPECT_EQ(Calendar::addDays("2027-03-01", -1), "2027-02-28");
    EXPECT_TRUE(Calendar::isDate("2028-02-29"));
    EXPECT_FALSE(Calendar::isDate("2027-02-29"));
    EXPECT_FALSE(Calendar::isDate("2027-13-01"));
    EXPECT_FALSE(Calendar::isDate("27-01-01"));
    EXPECT_FALSE(Calendar::isDate("2027-01-01x"));
}

TEST(Calendar, AnUnknownZoneIsRefused) {
    EXPECT_THROW(Calendar("Europe/Atlantis"), std::runtime_error);
    EXPECT_EQ(Calendar("UTC").dateOf(at("2026-12-01T23:30:00Z")), "2026-12-01");
}

}  // namespace
