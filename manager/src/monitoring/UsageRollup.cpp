#include "monitoring/UsageRollup.h"

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include "chatiere/manager/Error.h"

namespace chatiere::manager {

using namespace Poco::Data::Keywords;

namespace {

constexpr auto kHour = std::chrono::hours(1);

TimePoint floorHour(TimePoint t) {
    return std::chrono::floor<std::chrono::hours>(t);
}

void rollUpHour(Session& s, const std::string& hour, const std::string& end) {
    s << "DELETE FROM usage_hourly WHERE hour = ?", useRef(hour), now;
    s << "INSERT INTO usage_hourly (service_id, association_id, hour, samples, cpu_ns, measured_seconds, "
         "memory_kib_avg, memory_kib_max, stored_bytes_avg, stored_bytes_max) "
         "SELECT service_id, association_id, ?, COUNT(*), SUM(cpu_ns), "
         "SUM(CASE WHEN cpu_time_ns IS NOT NULL THEN interval_seconds ELSE 0 END), "
         "CAST(ROUND(AVG(memory_kib)) AS INTEGER), MAX(memory_kib), "
         "CAST(ROUND(AVG(stored_bytes)) AS INTEGER), MAX(stored_bytes) "
         "FROM usage_samples WHERE at >= ? AND at < ? GROUP BY service_id, association_id",
        useRef(hour), useRef(hour), useRef(end), now;
    // An association's figure at an instant is the sum over its services sampled then (one
    // collection stores every service at the same instant).
    s << "DELETE FROM association_usage_hourly WHERE hour = ?", useRef(hour), now;
    s << "INSERT INTO association_usage_hourly (association_id, hour, samples, cpu_ns, memory_kib_avg, "
         "memory_kib_max, stored_bytes_avg, stored_bytes_max) "
         "SELECT association_id, ?, COUNT(*), SUM(cpu), CAST(ROUND(AVG(memory)) AS INTEGER), MAX(memory), "
         "CAST(ROUND(AVG(stored)) AS INTEGER), MAX(stored) FROM (SELECT association_id, at, "
         "SUM(cpu_ns) AS cpu, SUM(memory_kib) AS memory, SUM(stored_bytes) AS stored FROM usage_samples "
         "WHERE at >= ? AND at < ? GROUP BY association_id, at) GROUP BY association_id",
        useRef(hour), useRef(hour), useRef(end), now;
}

// A day from its hours; averages weighted by the samples behind each hour.
void rollUpDay(Session& s, const std::string& day, const std::string& start,
               const std::string& end) {
    s << "DELETE FROM usage_daily WHERE day = ?", useRef(day), now;
    s << "INSERT INTO usage_daily (service_id, association_id, day, samples, cpu_ns, measured_seconds, "
         "memory_kib_avg, memory_kib_max, stored_bytes_avg, stored_bytes_max) "
         "SELECT service_id, association_id, ?, SUM(samples), SUM(cpu_ns), SUM(measured_seconds), "
         "CAST(ROUND(SUM(memory_kib_avg * samples) * 1.0 / SUM(CASE WHEN memory_kib_avg IS NOT NULL "
         "THEN samples END)) AS INTEGER), MAX(memory_kib_max), "
         "CAST(ROUND(SUM(stored_bytes_avg * samples) * 1.0 / SUM(CASE WHEN stored_bytes_avg IS NOT NULL "
         "THEN samples END)) AS INTEGER), MAX(stored_bytes_max) "
         "FROM usage_hourly WHERE hour >= ? AND hour < ? GROUP BY service_id, association_id",
        useRef(day), useRef(start), useRef(end), now;
    s << "DELETE FROM association_usage_daily WHERE day = ?", useRef(day), now;
    s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, memory_kib_avg, "
         "memory_kib_max, stored_bytes_avg, stored_bytes_max) "
         "SELECT association_id, ?, SUM(samples), SUM(cpu_ns), "
         "CAST(ROUND(SUM(memory_kib_avg * samples) * 1.0 / SUM(CASE WHEN memory_kib_avg IS NOT NULL "
         "THEN samples END)) AS INTEGER), MAX(memory_kib_max), "
         "CAST(ROUND(SUM(stored_bytes_avg * samples) * 1.0 / SUM(CASE WHEN stored_bytes_avg IS NOT NULL "
         "THEN samples END)) AS INTEGER), MAX(stored_bytes_max) "
         "FROM association_usage_hourly WHERE hour >= ? AND hour < ? GROUP BY association_id",
        useRef(day), useRef(start), useRef(end), now;
}

}  // namespace

UsageRollup::UsageRollup(Database& db, const Calendar& calendar, int hourlyRetentionDays)
    : db_(db), calendar_(calendar), hourlyRetentionDays_(hourlyRetentionDays) {}

RollupReport UsageRollup::run(TimePoint at) {
    RollupReport report;
    auto s = db_.session();
    Poco::Nullable<std::string> through;
    s << "SELECT through FROM rollup_state WHERE name = 'hourly'", into(through), now;
    TimePoint hour;
    if (!through.isNull()) {
        const auto parsed = parseTime(through.value());
        if (!parsed) {
            throw Error(ErrorKind::Internal, "rollup", "bad roll-up watermark " + through.value());
        }
        hour = *parsed;
    } else {
        Poco::Nullable<std::string> first;
        s << "SELECT MIN(at) FROM usage_samples", into(first), now;
        if (first.isNull()) {
            return report;
        }
        hour = floorHour(parseTime(first.value()).value_or(at));
    }
    const TimePoint current = floorHour(at);
    for (; hour <= current; hour += kHour) {
        const std::string hourText = formatTime(hour);
        const std::string day = calendar_.dateOf(hour);
        Transaction tx(s);
        rollUpHour(s, hourText, formatTime(hour + kHour));
        ++report.hours;
        // The day once its last hour is in, and the current day on every run.
        if (hour == current || calendar_.dateOf(hour + kHour) != day) {
            rollUpDay(s, day, formatTime(calendar_.startOf(day)),
                      formatTime(calendar_.startOf(Calendar::addDays(day, 1))));
            ++report.days;
        }
        s << "INSERT INTO rollup_state (name, through) VALUES ('hourly', ?) "
             "ON CONFLICT (name) DO UPDATE SET through = excluded.through",
            useRef(hourText), now;
        tx.commit();
    }
    const std::string cutoff = formatTime(current - std::chrono::hours(24) * hourlyRetentionDays_);
    Transaction tx(s);
    s << "DELETE FROM usage_hourly WHERE hour < ?", useRef(cutoff), now;
    s << "DELETE FROM association_usage_hourly WHERE hour < ?", useRef(cutoff), now;
    tx.commit();
    return report;
}

}  // namespace chatiere::manager
