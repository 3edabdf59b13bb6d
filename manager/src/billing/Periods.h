#pragma once

#include <string>

namespace chatiere::manager {

// Billing periods are half-open intervals of calendar dates ("YYYY-MM-DD", `end` excluded) in the
// installation's time zone, computed from the subscription's stored anchor date: period n starts
// on the anchor's day-of-month n months (or n years) after the anchor, clamped to the month's last
// day, always counted from the anchor itself, so there is no drift (anchored on the 31st:
// 31 Jan → 28/29 Feb → 31 Mar → 30 Apr → 31 May).
struct Period {
    std::string start;
    std::string end;
    bool operator==(const Period&) const = default;
};

enum class Interval { Month, Year };

// "month" | "year"; throws std::invalid_argument otherwise.
Interval intervalFromString(const std::string& text);
std::string toString(Interval interval);

// The start of period n (n ≥ 0) of a subscription anchored on `anchor`.
std::string periodStart(const std::string& anchor, Interval interval, int n);
// Period n: [periodStart(n), periodStart(n + 1)).
Period nthPeriod(const std::string& anchor, Interval interval, int n);
// The index of the period that contains `date` (≥ anchor); throws std::invalid_argument before it.
int periodIndexOf(const std::string& anchor, Interval interval, const std::string& date);
// The period that contains `date`.
Period periodContaining(const std::string& anchor, Interval interval, const std::string& date);
// Days from a to b (b − a; negative when b is before a).
int daysBetween(const std::string& a, const std::string& b);

}  // namespace chatiere::manager
