#include "chatiere/manager/Calendar.h"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <stdexcept>

namespace chatiere::manager {

namespace {

date::year_month_day parseDate(const std::string& text) {
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    char tail = 0;
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
        std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
        throw std::invalid_argument("not a date (YYYY-MM-DD): " + text);
    }
    const date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
    if (!ymd.ok()) {
        throw std::invalid_argument("not a calendar date: " + text);
    }
    return ymd;
}

std::string formatDate(const date::year_month_day& ymd) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buffer;
}

}  // namespace

Calendar::Calendar(const std::string& zone) : zoneName_(zone) {
    try {
        zone_ = date::locate_zone(zone);
    } catch (const std::exception& e) {
        throw std::runtime_error("unknown time zone " + zone + " (" + e.what() + ")");
    }
}

std::string Calendar::dateOf(TimePoint t) const {
    const auto local = zone_->to_local(std::chrono::time_point_cast<std::chrono::seconds>(t));
    return formatDate(date::year_month_day{date::floor<date::days>(local)});
}

TimePoint Calendar::startOf(const std::string& text) const {
    const date::local_days day{parseDate(text)};
    // Midnight exists in Europe/Paris every day (changes happen at 02:00 and 03:00); elsewhere a
    // day may start at a gap: take the earliest instant of that local day.
    const auto info = zone_->get_info(day);
    if (info.result == date::local_info::nonexistent) {
        return info.second.begin;
    }
    return zone_->to_sys(day, date::choose::earliest);
}

std::string Calendar::monthStart(const std::string& text) {
    const auto ymd = parseDate(text);
    return formatDate(ymd.year() / ymd.month() / date::day{1});
}

std::string Calendar::nextMonthStart(const std::string& text) {
    const auto ymd = parseDate(text);
    const auto first = ymd.year() / ymd.month() / date::day{1};
    return formatDate(date::year_month_day{first + date::months{1}});
}

std::string Calendar::addDays(const std::string& text, int days) {
    return formatDate(date::year_month_day{date::sys_days{parseDate(text)} + date::days{days}});
}

bool Calendar::isDate(const std::string& text) {
    try {
        parseDate(text);
        return true;
    } catch (const std::invalid_argument&) {
        return false;
    }
}

}  // namespace chatiere::manager
