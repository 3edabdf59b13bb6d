#pragma once

#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/base/Clock.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "hosting/ServiceManager.h"

#include <Poco/JSON/Object.h>

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
    Poco::JSON::Object serviceSeries(const Actor& actor, const std::string& serviceId,
                                     const SeriesQuery& query);
    // {"period": {"start", "end"}, "metrics": {"disk_gib": {"used", "included", "limit", "peak",
    // "average"}, "memory_mib": {…}, "vcpus": {…}, "services": {…}}, "quota": {…}}. The period is
    // the calendar month (local days; `end` excluded) until subscriptions give their own.
    Poco::JSON::Object associationUsage(const Actor& actor, const std::string& associationId);
    // Every local day of the last `days` up to today, oldest first, with the association's disk
    // use (the dashboard's chart). 404 for an association the caller cannot see.
    std::vector<DiskDay> diskHistory(const Actor& actor, const std::string& associationId, int days);
    // The share of the service's health checks that passed, per local day of `month` ("YYYY-MM",
    // default: this month) and over the month. 400 for a month not written YYYY-MM.
    Poco::JSON::Object uptime(const Actor& actor, const std::string& serviceId,
                              const std::optional<std::string>& month);
    Poco::JSON::Object alerts(const Actor& actor, bool includeClosed, int limit);
    // {"until": RFC 3339 | "days": N, "reason": text}: no quota enforcement for the association
    // until then (at most quota.max_exception_days).
    Poco::JSON::Object grantException(const Actor& actor, const std::string& associationId,
                                      const Poco::JSON::Object::Ptr& body);

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
