#include "chatiere/manager/Calendar.h"

#include "core/IsoDate.h"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <stdexcept>

namespace chatiere::manager {

Calendar::Calendar(const std::string& zone) : zoneName_(zone) {
    try {
        zone_ = date::locate_zone(zone);
    } catch (const std::exception& e) {
        throw std::runtime_error("unknown time zone " + zone + " (" + e.what() + ")");
    }
}

std::string Calendar::dateOf(TimePoint t) const {
    const auto local = zone_->to_local(std::chrono::time_point_cast<std::chrono::seconds>(t));
    return formatIsoDate(date::year_month_day{date::floor<date::days>(local)});
}

std::string Calendar::timeOf(TimePoint t) const {
    const auto local = zone_->to_local(std::chrono::time_point_cast<std::chrono::seconds>(t));
    const date::hh_mm_ss time{local - date::floor<date::days>(local)};
    char out[8];
    std::snprintf(out, sizeof out, "%02d:%02d", static_cast<int>(time.hours().count()),
                  static_cast<int>(time.minutes().count()));
    return out;
}

TimePoint Calendar::startOf(const std::string& text) const {
    const date::local_days day{parseIsoDate(text)};
    // Midnight exists in Europe/Paris every day (changes happen at 02:00 and 03:00); elsewhere a
    // day may start at a gap: take the earliest instant of that local day.
    const auto info = zone_->get_info(day);
    if (info.result == date::local_info::nonexistent) {
        return info.second.begin;
    }
    return zone_->to_sys(day, date::choose::earliest);
}

std::string Calendar::monthStart(const std::string& text) {
    const auto ymd = parseIsoDate(text);
    return formatIsoDate(ymd.year() / ymd.month() / date::day{1});
}

std::string Calendar::nextMonthStart(const std::string& text) {
    const auto ymd = parseIsoDate(text);
    const auto first = ymd.year() / ymd.month() / date::day{1};
    return formatIsoDate(date::year_month_day{first + date::months{1}});
}

std::string Calendar::addDays(const std::string& text, int days) {
    return formatIsoDate(date::year_month_day{date::sys_days{parseIsoDate(text)} + date::days{days}});
}

bool Calendar::isDate(const std::string& text) {
    try {
        parseIsoDate(text);
        return true;
    } catch (const std::invalid_argument&) {
        return false;
    }
}

}  // namespace chatiere::manager
