#include "billing/Periods.h"

#include "core/IsoDate.h"

#include <date/date.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace chatiere::manager {

namespace {

// The years a date written YYYY-MM-DD can have.
constexpr int64_t kLastYear = 9999;

// Start of period n: the anchor's month moved by n months (or years), the anchor's day clamped to
// that month's length. Always from the anchor, never from the previous period, so no drift.
date::year_month_day startOf(const date::year_month_day& anchor, Interval interval, int64_t n) {
    const int64_t months = interval == Interval::Month ? n : n * 12;
    const int64_t index = static_cast<int64_t>(static_cast<int>(anchor.year())) * 12 +
                          (static_cast<unsigned>(anchor.month()) - 1) + months;
    const int64_t year = index / 12;  // index ≥ 0: the anchor's year is ≥ 0 and n ≥ 0
    if (year > kLastYear) {
        throw std::invalid_argument("period " + std::to_string(n) + " ends after the year 9999");
    }
    const date::year_month month{date::year{static_cast<int>(year)},
                                 date::month{static_cast<unsigned>(index % 12 + 1)}};
    const date::day last = (month / date::last).day();
    return month / std::min(anchor.day(), last);
}

void requireIndex(int n) {
    if (n < 0) {
        throw std::invalid_argument("period index must be >= 0: " + std::to_string(n));
    }
}

// The index of the period containing `day`, and that period's start.
struct Found {
    int n;
    date::year_month_day start;
};

Found find(const date::year_month_day& anchor, Interval interval, const date::year_month_day& day,
           const std::string& dayText) {
    if (day < anchor) {
        throw std::invalid_argument(dayText + " is before the anchor " + formatIsoDate(anchor));
    }
    const int years = static_cast<int>(day.year()) - static_cast<int>(anchor.year());
    int n = interval == Interval::Month ? years * 12 + static_cast<int>(static_cast<unsigned>(day.month())) -
                                              static_cast<int>(static_cast<unsigned>(anchor.month()))
                                        : years;
    // Period n starts in the same month (or year) as `day`; if it starts after `day`, `day` is in
    // the previous one. n ≥ 0 here, and period 0 (the anchor) never starts after `day`.
    const auto start = startOf(anchor, interval, n);
    if (day < start) {
        return {n - 1, startOf(anchor, interval, n - 1)};
    }
    return {n, start};
}

}  // namespace

Interval intervalFromString(const std::string& text) {
    if (text == "month") {
        return Interval::Month;
    }
    if (text == "year") {
        return Interval::Year;
    }
    throw std::invalid_argument("unknown billing interval (month or year): " + text);
}

std::string toString(Interval interval) {
    return interval == Interval::Month ? "month" : "year";
}

std::string periodStart(const std::string& anchor, Interval interval, int n) {
    requireIndex(n);
    return formatIsoDate(startOf(parseIsoDate(anchor), interval, n));
}

Period nthPeriod(const std::string& anchor, Interval interval, int n) {
    requireIndex(n);
    const auto a = parseIsoDate(anchor);
    return {formatIsoDate(startOf(a, interval, n)), formatIsoDate(startOf(a, interval, int64_t{n} + 1))};
}

int periodIndexOf(const std::string& anchor, Interval interval, const std::string& date) {
    return find(parseIsoDate(anchor), interval, parseIsoDate(date), date).n;
}

Period periodContaining(const std::string& anchor, Interval interval, const std::string& date) {
    const auto a = parseIsoDate(anchor);
    const auto [n, start] = find(a, interval, parseIsoDate(date), date);
    return {formatIsoDate(start), formatIsoDate(startOf(a, interval, int64_t{n} + 1))};
}

int daysBetween(const std::string& a, const std::string& b) {
    return (date::sys_days{parseIsoDate(b)} - date::sys_days{parseIsoDate(a)}).count();
}

}  // namespace chatiere::manager
