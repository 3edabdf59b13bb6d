#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "hosting/ServiceManager.h"
#include "store/Alerts.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// The query of a usage time series, as given (text): checked by serviceSeries.
struct SeriesQuery {
    std::optional<std::string> from;  // RFC 3339; default: `to` minus 24 hours
    std::optional<std::string> to;    // RFC 3339; default: now
    std::optional<std::string> step;  // seconds per point; default: the range in about 300 points
};

// The disk space an association used on one local day: the day's average of its stored bytes;
// nullopt when nothing was measured that day.
struct DiskDay {
    std::string day;  // YYYY-MM-DD
    std::optional<int64_t> storedBytes;
};

// One point of a service's usage series: the samples of `step` seconds from `at`.
struct UsagePoint {
    std::string at;
    int64_t samples = 0;
    double cpuSeconds = 0;
    std::optional<double> cpuPercent;  // share of one vCPU over the time measured; nullopt: none measured
    std::optional<double> memoryMib;
    std::optional<double> memoryMibMax;
    std::optional<int64_t> storedBytes;
    int64_t transferBytes = 0;  // sent through the proxy
};

// A service's usage over time (UsageService::serviceSeries).
struct UsageSeries {
    std::string serviceId;
    std::string from;
    std::string to;
    int64_t step = 0;
    bool hourly = false;  // from the hourly figures; the raw samples otherwise
    std::vector<UsagePoint> points;
};

// One service's transfer over the period.
struct ServiceTransfer {
    std::string serviceId;
    int64_t bytes = 0;
    double used = 0;  // GiB, rounded to 3 decimals
};

// One metric of an association's usage against its plan; `disk_gib` in GiB (with its peak and
// average over the period), `transfer_gib` in GiB sent over the period (with the exact bytes, per
// service too), the others whole numbers.
struct MetricUsage {
    std::string metric;  // disk_gib | transfer_gib | memory_mib | vcpus | services
    double used = 0;
    std::optional<int64_t> included;  // nullopt: the plan does not limit it
    std::optional<int64_t> limit;
    std::optional<double> peak;  // disk_gib only
    std::optional<double> average;
    std::optional<int64_t> bytes;           // transfer_gib only
    std::vector<ServiceTransfer> services;  // transfer_gib only: those that sent any
};

// An association's usage this period against its plan (UsageService::associationUsage).
struct AssociationUsage {
    std::string associationId;
    std::optional<std::string> plan;
    std::string periodStart;
    std::string periodEnd;  // excluded
    std::optional<std::string> measuredAt;
    std::vector<MetricUsage> metrics;  // disk_gib, transfer_gib, memory_mib, vcpus, services
    bool websitesSuspended = false;
    std::optional<std::string> atLimitSince;
    std::optional<std::string> exceptionUntil;
};

// The share of a service's health checks that passed on one day, or over a month.
struct UptimeDay {
    std::string day;
    int64_t checks = 0;
    int64_t ok = 0;
    std::optional<double> uptimePercent;  // nullopt without checks
};

struct UptimeMonth {
    std::string serviceId;
    std::string month;  // YYYY-MM
    int64_t checks = 0;
    int64_t ok = 0;
    std::optional<double> uptimePercent;
    std::vector<UptimeDay> days;
};

// An exception to the quota enforcement: until a time, or for a number of days (one of the two),
// with a reason.
struct GrantException {
    std::optional<std::string> until;  // RFC 3339
    std::optional<int64_t> days;
    std::string reason;
};

struct QuotaException {
    std::string id;
    std::string associationId;
    std::string until;
    std::string reason;
    std::string createdBy;
    std::string createdAt;
};

// What the usage API and CLI answer: a service's usage over time, an association's usage this
// period against its plan, the admin's alerts and quota exceptions.
class UsageService {
public:
    UsageService(Database& db, base::Clock& clock, const Calendar& calendar, const Settings& settings,
                 ServiceManager& services, AssociationService& associations,
                 std::function<void()> quotasChanged);

    // Points of `step` seconds from `from`, only those with samples; from the raw samples, or the
    // hourly figures when the step is whole hours. 400 for a bad range or step, or more than
    // kMaxPoints points; 404 for a service the caller cannot see.
    UsageSeries serviceSeries(const Actor& actor, const std::string& serviceId, const SeriesQuery& query);
    // The period is the subscription's (else the calendar month, local days; `end` excluded).
    AssociationUsage associationUsage(const Actor& actor, const std::string& associationId);
    AssociationUsage associationUsage(const AssociationAccess& access);
    // Every local day of the last `days` up to today, oldest first, with the association's disk
    // use (the dashboard's chart). 404 for an association the caller cannot see.
    std::vector<DiskDay> diskHistory(const Actor& actor, const std::string& associationId, int days);
    std::vector<DiskDay> diskHistory(const AssociationAccess& access, int days);
    // The share of the service's health checks that passed, per local day of `month` ("YYYY-MM",
    // default: this month) and over the month. 400 for a month not written YYYY-MM.
    UptimeMonth uptime(const Actor& actor, const std::string& serviceId,
                       const std::optional<std::string>& month);
    std::vector<Alert> alerts(const Actor& actor, bool includeClosed, int limit);
    // No quota enforcement for the association until then (at most quota.max_exception_days).
    QuotaException grantException(const Actor& actor, const std::string& associationId,
                                  const GrantException& command);

    static constexpr int kMaxPoints = 1000;

private:
    Database& db_;
    base::Clock& clock_;
    const Calendar& calendar_;
    const Settings& settings_;
    ServiceManager& services_;
    AssociationService& associations_;
    std::function<void()> quotasChanged_;
};

}  // namespace chatiere::manager
