#pragma once

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatiere::manager {

inline constexpr double kBytesPerGiB = 1024.0 * 1024.0 * 1024.0;

// What an association uses now, in each quota metric's unit: `disk_gib` measured (the latest
// allocation of its data volumes), `memory_mib`, `vcpus` and `services` allocated (services not
// deleted, as the plan's limits count them).
using MetricUse = std::map<std::string, double>;

// An association's stored data over some local days, from the daily figures: its peak and its
// average (weighted by samples), in GiB; and the bytes the proxy sent for its services over those
// days (transfer_gib). What billing reads for overage.
struct StoredFigures {
    std::optional<double> peakGib;
    std::optional<double> averageGib;
    int64_t samples = 0;
    int64_t transferBytes = 0;
};

// A service the collector measures (it has, or is getting, a guest).
struct MeteredService {
    std::string id;
    std::string associationId;
    int64_t volumeGeneration = 0;  // which data volume is current
    std::string templateName;
};

// A service's last CPU counter reading, what the next delta is measured from.
struct CpuReading {
    std::string serviceId;
    uint64_t cpuTimeNs = 0;
    std::string at;
};

// One raw usage sample of a service at a collection's instant.
struct UsageSample {
    std::string_view serviceId;
    std::string_view associationId;
    int64_t intervalSeconds = 0;
    std::optional<uint64_t> cpuTimeNs;  // the guest's counter
    uint64_t cpuNs = 0;                 // the delta since the previous sample
    std::optional<uint64_t> memoryKib;
    std::optional<uint64_t> storedBytes;
};

// One point of a service's usage series: the samples of bucket `bucket` (steps from the start).
struct SeriesPoint {
    int64_t bucket = 0;
    int64_t samples = 0;
    int64_t cpuNs = 0;
    int64_t measuredSeconds = 0;  // the time the CPU figure covers
    std::optional<double> memoryKib;
    std::optional<double> memoryKibMax;
    std::optional<int64_t> storedBytes;
    int64_t transferBytes = 0;  // sent through the proxy in the bucket
};

// An association's disk use on one local day (the day's average), when measured.
struct DailyStored {
    std::string day;
    std::optional<int64_t> storedBytes;
};

// An association's figures of one local day (association_usage_daily), as its export gives them.
// A figure never measured is nullopt.
struct AssociationUsageDay {
    std::string day;
    int64_t samples = 0;
    int64_t cpuNs = 0;
    std::optional<int64_t> storedBytesAvg;
    std::optional<int64_t> storedBytesMax;
    int64_t transferBytes = 0;
};

// Where an association stands on the quota ladder of one metric (a quota_levels row); the quota
// ladder's decision (monitoring/QuotaDecision.h) works on it as its QuotaState.
struct QuotaLevel {
    std::string level = "none";               // the rung reached, by name
    std::optional<std::string> atLimitSince;  // RFC 3339, while at the limit
    bool enforced = false;                    // websites suspended for it
    std::optional<std::string> periodStart;   // the usage period `level` was reached in
    bool operator==(const QuotaLevel&) const = default;
};

// Over every metric of an association: since when it is at a limit, and whether its websites are
// suspended for it.
struct QuotaStanding {
    std::optional<std::string> atLimitSince;
    bool enforced = false;
};

// Everything the usage API says of one association, read at once.
struct UsageSummary {
    MetricUse use;  // as UsageRepository::current
    std::optional<std::string> measuredAt;
    StoredFigures stored;  // over the period asked
    QuotaStanding quota;
    std::optional<std::string> exceptionUntil;
};

// The usage of the services: raw samples and each service's latest reading, their hourly and daily
// roll-ups (per service and per association), the quota ladder's levels and the quota exceptions.
class UsageRepository {
public:
    explicit UsageRepository(Session& session) : session_(session) {}

    // Samples.
    std::vector<MeteredService> meteredServices();
    std::vector<CpuReading> lastCpuReadings();
    int64_t lastSampleId();
    void addSample(const std::string& at, const UsageSample& sample);
    // The latest reading of each service from the samples stored after `afterId`; a counter missing
    // from them keeps the last one seen.
    void refreshLatest(int64_t afterId);
    // Deletes the samples before `cutoff`, never those of an hour not yet rolled up; how many.
    int pruneSamples(const std::string& cutoff);

    // By association id; one query. `associationId` narrows it to one association (present even
    // without services).
    std::map<std::string, MetricUse> current(const std::optional<std::string>& associationId = std::nullopt);
    // Over the local days [fromDay, toDay).
    StoredFigures storedOver(const std::string& associationId, const std::string& fromDay,
                             const std::string& toDay);
    // The association's current use, stored data over the local days [fromDay, toDay), quota state
    // and the exception running at `at`, in one statement.
    UsageSummary summary(const std::string& associationId, const std::string& fromDay,
                         const std::string& toDay, const std::string& at);
    // A service's points of `step` seconds from `from` (epoch seconds), over [fromText, toText):
    // from the raw samples, or from the hourly figures.
    std::vector<SeriesPoint> series(bool hourly, const std::string& serviceId, int64_t fromEpoch,
                                    int64_t step, const std::string& fromText, const std::string& toText);
    // The bytes each of the association's services sent over the local days [fromDay, toDay), by
    // service id (those that sent none left out).
    std::vector<std::pair<std::string, int64_t>> serviceTransfer(const std::string& associationId,
                                                                 const std::string& fromDay,
                                                                 const std::string& toDay);
    // The days of [firstDay, lastDay] with a figure.
    std::vector<DailyStored> dailyStored(const std::string& associationId, const std::string& firstDay,
                                         const std::string& lastDay);
    // Every day of the association's daily figures, oldest first.
    std::vector<AssociationUsageDay> associationDays(const std::string& associationId);

    // Roll-ups.
    std::optional<std::string> rolledUpThrough();
    std::optional<std::string> firstSampleAt();
    void rollUpHour(const std::string& hour, const std::string& end);
    void rollUpDay(const std::string& day, const std::string& start, const std::string& end);
    void setRolledUpThrough(const std::string& hour);
    void pruneHourly(const std::string& cutoff);

    // Quotas.
    // Active associations with a plan, by id: (id, plan slug).
    std::vector<std::pair<std::string, std::string>> associationsWithPlans();
    QuotaLevel level(const std::string& associationId, const std::string& metric);
    void storeLevel(const std::string& associationId, const std::string& metric, const QuotaLevel& level,
                    const std::string& at);
    std::vector<std::string> trackedMetrics(const std::string& associationId);
    // The end of the latest exception still running at `at`.
    std::optional<std::string> exceptionUntil(const std::string& associationId, const std::string& at);
    void addException(const std::string& id, const std::string& associationId, const std::string& until,
                      const std::string& reason, const std::string& createdBy, const std::string& at);

private:
    Session& session_;
};

// The same as UsageRepository(session).current(associationId) and .storedOver(…).
std::map<std::string, MetricUse> currentUsage(Session& session,
                                              const std::optional<std::string>& associationId = std::nullopt);
StoredFigures storedOver(Session& session, const std::string& associationId, const std::string& fromDay,
                         const std::string& toDay);

}  // namespace chatiere::manager
