// Billing periods from an anchor date: no drift, clamping to short months, leap years, the changes of
// summer time in Europe/Paris (which do not move calendar dates), and proration over every day.

#include "InvalidArgument.h"
#include "billing/Money.h"
#include "billing/Periods.h"
#include "chatiere/manager/Calendar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using namespace chatiere::manager;

namespace {

using chatiere::test_support::invalidArgumentMessage;

// Independent oracles, written from the Gregorian rules rather than with the date library.
bool isLeap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int monthLength(int year, int month) {
    static constexpr int kLengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && isLeap(year) ? 29 : kLengths[month - 1];
}

int yearOf(const std::string& date) {
    return std::stoi(date.substr(0, 4));
}
int monthOf(const std::string& date) {
    return std::stoi(date.substr(5, 2));
}
int dayOf(const std::string& date) {
    return std::stoi(date.substr(8, 2));
}

// Every date from 2026-01-01 to the end of 2034, numbered: the exhaustive tests walk indices
// rather than strings so that their time goes to the code under test.
struct Days {
    std::vector<std::string> text;
    std::unordered_map<std::string, int> index;

    Days() {
        for (std::string d = "2026-01-01"; d < "2035-01-01"; d = Calendar::addDays(d, 1)) {
            index.emplace(d, static_cast<int>(text.size()));
            text.push_back(d);
        }
    }
    int at(const std::string& date) const {
        const auto it = index.find(date);
        if (it == index.end()) {
            throw std::out_of_range("date outside the test range: " + date);
        }
        return it->second;
    }
};

const Days& days() {
    static const Days kDays;
    return kDays;
}

std::vector<std::string> starts(const std::string& anchor, Interval interval, int count) {
    std::vector<std::string> out;
    for (int n = 0; n < count; ++n) {
        out.push_back(periodStart(anchor, interval, n));
    }
    return out;
}

TEST(PeriodIntervals, ParseAndPrint) {
    EXPECT_EQ(intervalFromString("month"), Interval::Month);
    EXPECT_EQ(intervalFromString("year"), Interval::Year);
    EXPECT_EQ(toString(Interval::Month), "month");
    EXPECT_EQ(toString(Interval::Year), "year");
    for (const std::string bad : {"monthly", "Month", "", "week"}) {
        EXPECT_THROW(intervalFromString(bad), std::invalid_argument) << bad;
    }
}

TEST(PeriodStarts, AnchoredOnThe31stClampsWithoutDrift) {
    EXPECT_EQ(starts("2026-01-31", Interval::Month, 13),
              (std::vector<std::string>{"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31",
                                        "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31",
                                        "2026-11-30", "2026-12-31", "2027-01-31"}));
    EXPECT_EQ(periodStart("2026-01-31", Interval::Month, 25), "2028-02-29");  // leap year
    EXPECT_EQ(periodStart("2026-01-31", Interval::Month, 37), "2029-02-28");
    EXPECT_EQ(periodStart("2026-01-30", Interval::Month, 1), "2026-02-28");
    EXPECT_EQ(periodStart("2026-01-30", Interval::Month, 2), "2026-03-30");
    EXPECT_EQ(periodStart("2026-01-15", Interval::Month, 1200), "2126-01-15");
}

TEST(PeriodStarts, YearlyFromALeapDay) {
    EXPECT_EQ(
        starts("2028-02-29", Interval::Year, 5),
        (std::vector<std::string>{"2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"}));
    EXPECT_EQ(periodStart("2028-02-29", Interval::Year, 72), "2100-02-28");  // 2100 is not leap
    EXPECT_EQ(periodStart("2028-02-29", Interval::Year, 372), "2400-02-29");
}

TEST(PeriodStarts, NthPeriodAndContaining) {
    EXPECT_EQ(nthPeriod("2026-01-31", Interval::Month, 1), (Period{"2026-02-28", "2026-03-31"}));
    EXPECT_EQ(nthPeriod("2028-02-29", Interval::Year, 0), (Period{"2028-02-29", "2029-02-28"}));
    EXPECT_EQ(periodIndexOf("2026-01-31", Interval::Month, "2026-02-27"), 0);
    EXPECT_EQ(periodIndexOf("2026-01-31", Interval::Month, "2026-02-28"), 1);
    EXPECT_EQ(periodIndexOf("2026-01-31", Interval::Month, "2026-03-30"), 1);
    EXPECT_EQ(periodIndexOf("2026-01-31", Interval::Month, "2026-03-31"), 2);
    EXPECT_EQ(periodIndexOf("2026-01-15", Interval::Month, "2126-01-14"), 1199);
    EXPECT_EQ(periodIndexOf("2026-01-15", Interval::Month, "2126-01-15"), 1200);
    EXPECT_EQ(periodIndexOf("2028-02-29", Interval::Year, "2032-02-28"), 3);
    EXPECT_EQ(periodIndexOf("2028-02-29", Interval::Year, "2032-02-29"), 4);
    EXPECT_EQ(periodContaining("2026-01-31", Interval::Month, "2026-03-30"),
              (Period{"2026-02-28", "2026-03-31"}));
    EXPECT_EQ(periodContaining("2026-01-31", Interval::Month, "2026-01-31"),
              (Period{"2026-01-31", "2026-02-28"}));
}

TEST(PeriodDays, DaysBetween) {
    EXPECT_EQ(daysBetween("2026-01-01", "2026-01-01"), 0);
    EXPECT_EQ(daysBetween("2026-01-01", "2027-01-01"), 365);
    EXPECT_EQ(daysBetween("2028-01-01", "2029-01-01"), 366);
    EXPECT_EQ(daysBetween("2026-03-01", "2026-02-01"), -28);
    EXPECT_EQ(daysBetween("2028-03-01", "2028-02-01"), -29);
}

TEST(PeriodErrors, BadInputNamesTheBadValue) {
    EXPECT_NE(invalidArgumentMessage([] { periodStart("2026-01-31", Interval::Month, -1); }).find("-1"),
              std::string::npos);
    EXPECT_NE(invalidArgumentMessage([] { nthPeriod("2026-01-31", Interval::Year, -7); }).find("-7"),
              std::string::npos);
    EXPECT_NE(invalidArgumentMessage([] {
                  periodIndexOf("2026-01-31", Interval::Month, "2026-01-30");
              }).find("2026-01-30"),
              std::string::npos);
    EXPECT_NE(invalidArgumentMessage([] {
                  periodContaining("2026-01-31", Interval::Year, "2025-12-31");
              }).find("2025-12-31"),
              std::string::npos);
    for (const std::string bad : {"2026-02-29", "2026-04-31", "2026-13-01", "2026-1-31", "2026-01-31 ",
                                  "31/01/2026", "+026-01-31", "2026-0a-31"}) {
        EXPECT_NE(invalidArgumentMessage([&] { periodStart(bad, Interval::Month, 0); }).find(bad),
                  std::string::npos)
            << bad;
        EXPECT_NE(
            invalidArgumentMessage([&] { periodIndexOf("2026-01-01", Interval::Month, bad); }).find(bad),
            std::string::npos)
            << bad;
        EXPECT_NE(invalidArgumentMessage([&] { daysBetween("2026-01-01", bad); }).find(bad),
                  std::string::npos)
            << bad;
    }
    // A period beyond the year 9999 cannot be written YYYY-MM-DD.
    EXPECT_THROW(periodStart("2026-01-01", Interval::Year, 8000), std::invalid_argument);
    EXPECT_THROW(periodStart("2026-01-01", Interval::Month, 2'000'000'000), std::invalid_argument);
    EXPECT_EQ(periodStart("2026-01-01", Interval::Year, 7973), "9999-01-01");
}

// For every anchor from 2026-01-01 to 2029-12-31 (so every day-of-month, in leap 2028 and in three
// common years) and both intervals, walk the periods covering four years and check every day.
void walkEveryAnchor(Interval interval) {
    const Days& all = days();
    const int periodCount = interval == Interval::Month ? 48 : 4;
    const int lastAnchor = all.at("2029-12-31");
    for (int a = 0; a <= lastAnchor; ++a) {
        const std::string& anchor = all.text[a];
        const int anchorYear = yearOf(anchor);
        const int anchorMonth = monthOf(anchor);
        const int anchorDay = dayOf(anchor);
        std::string previousEnd = anchor;
        for (int n = 0; n < periodCount; ++n) {
            const Period p = nthPeriod(anchor, interval, n);
            SCOPED_TRACE(anchor + " " + toString(interval) + " #" + std::to_string(n) + " " + p.start);
            ASSERT_EQ(p.start, previousEnd);  // contiguous
            ASSERT_EQ(periodStart(anchor, interval, n), p.start);

            // Counted from the anchor: the expected month, the anchor's day clamped to its length.
            const int monthIndex =
                anchorYear * 12 + anchorMonth - 1 + (interval == Interval::Month ? n : 12 * n);
            const int year = monthIndex / 12;
            const int month = monthIndex % 12 + 1;
            ASSERT_EQ(yearOf(p.start), year);
            ASSERT_EQ(monthOf(p.start), month);
            ASSERT_EQ(dayOf(p.start), std::min(anchorDay, monthLength(year, month)));

            const int first = all.at(p.start);
            const int end = all.at(p.end);
            const int length = end - first;
            ASSERT_EQ(daysBetween(p.start, p.end), length);
            // Proration is a pure function of (price, days, period length): with the length pinned
            // to 28–31 or 365–366 here, ProrationOfEveryDayOfEveryPeriodLength checks every day of
            // every period of every anchor without repeating the same sums 1 461 times.
            if (interval == Interval::Month) {
                ASSERT_GE(length, 28);
                ASSERT_LE(length, 31);
            } else {
                ASSERT_GE(length, 365);
                ASSERT_LE(length, 366);
            }

            for (int d = first; d < end; ++d) {
                ASSERT_EQ(periodIndexOf(anchor, interval, all.text[d]), n) << all.text[d];
                ASSERT_EQ(periodContaining(anchor, interval, all.text[d]), p) << all.text[d];
            }
            previousEnd = p.end;
        }
    }
}

TEST(PeriodExhaustive, EveryMonthlyAnchorOverFourYears) {
    walkEveryAnchor(Interval::Month);
}

TEST(PeriodExhaustive, EveryYearlyAnchorOverFourYears) {
    walkEveryAnchor(Interval::Year);
}

// Every period length the walks above meet, every day of it, and prices of both signs, odd and even:
// a mid-period start pays the remaining days, a cancellation the elapsed ones, and the two parts make
// the price within a cent.
TEST(PeriodExhaustive, ProrationOfEveryDayOfEveryPeriodLength) {
    for (const int64_t length : {28, 29, 30, 31, 365, 366}) {
        for (const int64_t price :
             {0, 1, 2, 99, 999, 1000, 1500, 12'345, 99'999, 120'000, -1, -999, -12'345}) {
            const int64_t magnitude = price < 0 ? -price : price;
            for (int64_t elapsed = 0; elapsed <= length; ++elapsed) {
                const int64_t remainingPart = prorate(price, length - elapsed, length);
                const int64_t elapsedPart = prorate(price, elapsed, length);
                ASSERT_LE(std::abs(remainingPart), magnitude) << price << " " << elapsed << "/" << length;
                ASSERT_LE(std::abs(elapsedPart), magnitude) << price << " " << elapsed << "/" << length;
                ASSERT_TRUE(price >= 0 ? remainingPart >= 0 && elapsedPart >= 0
                                       : remainingPart <= 0 && elapsedPart <= 0);
                ASSERT_LE(std::abs(remainingPart + elapsedPart - price), 1)
                    << price << " " << elapsed << "/" << length;
                // A credit note prorates to the exact opposite.
                ASSERT_EQ(prorate(-price, elapsed, length), -elapsedPart);
            }
            EXPECT_EQ(prorate(price, 0, length), 0);
            EXPECT_EQ(prorate(price, length, length), price);
        }
    }
    EXPECT_EQ(prorate(1000, 14, 28), 500);
    EXPECT_EQ(prorate(999, 1, 2), 500);
    EXPECT_EQ(prorate(-999, 1, 2), -500);
    EXPECT_EQ(prorate(1000, daysBetween("2028-02-15", "2028-02-29"), daysBetween("2028-02-01", "2028-03-01")),
              483);
}

// The changes of summer time in Europe/Paris: the last Sunday of March (a 23-hour day) and of
// October (a 25-hour day). Periods are calendar dates, so these days move nothing.
TEST(PeriodDaylightSaving, ChangesOfSummerTimeDoNotMoveBoundaries) {
    const Calendar paris("Europe/Paris");
    const auto hours = [&](const std::string& day) {
        return std::chrono::duration_cast<std::chrono::hours>(paris.startOf(Calendar::addDays(day, 1)) -
                                                              paris.startOf(day))
            .count();
    };
    const std::vector<std::pair<std::string, int>> changes{
        {"2026-03-29", 23}, {"2026-10-25", 25}, {"2027-03-28", 23}, {"2027-10-31", 25},
        {"2028-03-26", 23}, {"2028-10-29", 25}, {"2029-03-25", 23}, {"2029-10-28", 25}};
    for (const auto& [change, changeHours] : changes) {
        SCOPED_TRACE(change);
        ASSERT_EQ(hours(change), changeHours);  // these are the change days
        // The last Sunday of its month: a week later is next month.
        ASSERT_NE(monthOf(Calendar::addDays(change, 7)), monthOf(change));
        EXPECT_EQ(daysBetween(Calendar::addDays(change, -1), Calendar::addDays(change, 1)), 2);
        EXPECT_EQ(daysBetween(change, Calendar::addDays(change, 1)), 1);

        // Anchored on every day-of-month (of January the year before), monthly and yearly: the period
        // containing the change has exact date boundaries on the anchor's (clamped) day, its length
        // in days is its calendar length, while a monthly one is an hour shorter or longer in hours.
        for (int anchorDay = 1; anchorDay <= 31; ++anchorDay) {
            for (const Interval interval : {Interval::Month, Interval::Year}) {
                const std::string anchor = std::to_string(yearOf(change) - 1) + "-01-" +
                                           (anchorDay < 10 ? "0" : "") + std::to_string(anchorDay);
                const Period p = periodContaining(anchor, interval, change);
                ASSERT_TRUE(Calendar::isDate(p.start) && Calendar::isDate(p.end)) << anchor;
                ASSERT_LE(p.start, change);
                ASSERT_GT(p.end, change);
                const int lengthDays = daysBetween(p.start, p.end);
                const int expectedDay = std::min(anchorDay, monthLength(yearOf(p.start), monthOf(p.start)));
                ASSERT_EQ(dayOf(p.start), expectedDay) << anchor;
                std::string walked = p.start;
                for (int i = 0; i < lengthDays; ++i) {
                    walked = Calendar::addDays(walked, 1);
                }
                ASSERT_EQ(walked, p.end) << anchor;
                const auto lengthHours = std::chrono::duration_cast<std::chrono::hours>(
                                             paris.startOf(p.end) - paris.startOf(p.start))
                                             .count();
                if (interval == Interval::Month) {
                    // A month-long period holds one change of summer time at most.
                    ASSERT_EQ(lengthHours, 24 * lengthDays + (changeHours - 24)) << anchor;
                }
            }
        }
        // A period anchored on the change day itself starts on that date, and the next one on the same
        // day-of-month (clamped: 31 October → 30 November), whatever the hour shift.
        const Period own = nthPeriod(change, Interval::Month, 0);
        EXPECT_EQ(own.start, change);
        EXPECT_EQ(dayOf(own.end), std::min(dayOf(change), monthLength(yearOf(own.end), monthOf(own.end))));
        EXPECT_EQ(periodIndexOf(change, Interval::Month, change), 0);
        EXPECT_EQ(periodIndexOf(Calendar::addDays(change, -1), Interval::Month, change), 0);
        EXPECT_EQ(periodIndexOf(Calendar::addDays(change, 1), Interval::Month, Calendar::addDays(change, 1)),
                  0);
    }
    EXPECT_EQ(daysBetween("2026-03-28", "2026-03-30"), 2);
    EXPECT_EQ(daysBetween("2026-10-24", "2026-10-26"), 2);
    EXPECT_EQ(daysBetween("2026-03-01", "2026-04-01"), 31);
    EXPECT_EQ(daysBetween("2026-10-01", "2026-11-01"), 31);
}

}  // namespace
