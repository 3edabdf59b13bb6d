#include "store/Usage.h"

#include <algorithm>

namespace chatiere::manager {

namespace {

constexpr const char* kMeteredServices =
    "SELECT id, association_id, volume_generation, template FROM services "
    "WHERE state IN ('active', 'provisioning')";
constexpr const char* kLastCpuReadings =
    "SELECT service_id, cpu_time_ns, at FROM usage_latest WHERE cpu_time_ns IS NOT NULL";
constexpr const char* kLastSampleId = "SELECT COALESCE(MAX(id), 0) FROM usage_samples";
constexpr const char* kAddSample =
    "INSERT INTO usage_samples (service_id, association_id, at, interval_seconds, cpu_time_ns, cpu_ns, "
    "memory_kib, stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kRefreshLatest =
    "INSERT INTO usage_latest (service_id, association_id, at, cpu_time_ns, memory_kib, stored_bytes) "
    "SELECT service_id, association_id, at, cpu_time_ns, memory_kib, stored_bytes FROM usage_samples "
    "WHERE id > ? ON CONFLICT (service_id) DO UPDATE SET at = excluded.at, cpu_time_ns = "
    "COALESCE(excluded.cpu_time_ns, usage_latest.cpu_time_ns), memory_kib = excluded.memory_kib, "
    "stored_bytes = COALESCE(excluded.stored_bytes, usage_latest.stored_bytes)";
constexpr const char* kPruneSamples =
    "DELETE FROM usage_samples WHERE at < ? AND at < COALESCE((SELECT through FROM rollup_state "
    "WHERE name = 'hourly'), '')";

constexpr const char* kCurrentAll =
    "SELECT s.association_id, COUNT(*), SUM(s.vcpus), SUM(s.memory_mib), COALESCE(SUM(u.stored_bytes), 0) "
    "FROM services s LEFT JOIN usage_latest u ON u.service_id = s.id WHERE s.state != 'deleted' "
    "GROUP BY s.association_id";
constexpr const char* kCurrentOne =
    "SELECT s.association_id, COUNT(*), SUM(s.vcpus), SUM(s.memory_mib), COALESCE(SUM(u.stored_bytes), 0) "
    "FROM services s LEFT JOIN usage_latest u ON u.service_id = s.id WHERE s.state != 'deleted' "
    "AND s.association_id = ? GROUP BY s.association_id";
constexpr const char* kStoredOver =
    "SELECT MAX(stored_bytes_max), SUM(stored_bytes_avg * samples) * 1.0 / SUM(CASE WHEN "
    "stored_bytes_avg IS NOT NULL THEN samples END), SUM(samples), COALESCE(SUM(transfer_bytes), 0) "
    "FROM association_usage_daily "
    "WHERE association_id = ? AND day >= ? AND day < ?";
constexpr const char* kSummary =
    "SELECT c.services, c.vcpus, c.memory_mib, c.stored, "
    "(SELECT MAX(at) FROM usage_latest WHERE association_id = ?1), d.peak, d.average, d.samples, "
    "(SELECT MIN(at_limit_since) FROM quota_levels WHERE association_id = ?1), "
    "(SELECT MAX(enforced) FROM quota_levels WHERE association_id = ?1), "
    "(SELECT MAX(until) FROM quota_exceptions WHERE association_id = ?1 AND until > ?4), d.transfer "
    "FROM (SELECT COUNT(*) AS services, COALESCE(SUM(s.vcpus), 0) AS vcpus, "
    "COALESCE(SUM(s.memory_mib), 0) AS memory_mib, COALESCE(SUM(u.stored_bytes), 0) AS stored "
    "FROM services s LEFT JOIN usage_latest u ON u.service_id = s.id "
    "WHERE s.association_id = ?1 AND s.state != 'deleted') c, "
    "(SELECT MAX(stored_bytes_max) AS peak, SUM(stored_bytes_avg * samples) * 1.0 / SUM(CASE WHEN "
    "stored_bytes_avg IS NOT NULL THEN samples END) AS average, SUM(samples) AS samples, "
    "COALESCE(SUM(transfer_bytes), 0) AS transfer "
    "FROM association_usage_daily WHERE association_id = ?1 AND day >= ?2 AND day < ?3) d";
constexpr const char* kHourlySeries =
    "SELECT (CAST(strftime('%s', hour) AS INTEGER) - ?) / ? AS bucket, SUM(samples), SUM(cpu_ns), "
    "SUM(measured_seconds), SUM(memory_kib_avg * samples) * 1.0 / SUM(CASE WHEN memory_kib_avg IS NOT NULL "
    "THEN samples END), MAX(memory_kib_max), MAX(stored_bytes_max), SUM(transfer_bytes) FROM usage_hourly "
    "WHERE service_id = ? "
    "AND hour >= ? AND hour < ? GROUP BY bucket ORDER BY bucket";
constexpr const char* kRawSeries =
    "SELECT (CAST(strftime('%s', at) AS INTEGER) - ?) / ? AS bucket, COUNT(*), SUM(cpu_ns), "
    "SUM(CASE WHEN cpu_time_ns IS NOT NULL THEN interval_seconds ELSE 0 END), AVG(memory_kib), "
    "MAX(memory_kib), MAX(stored_bytes), 0 FROM usage_samples WHERE service_id = ? AND at >= ? AND at < ? "
    "GROUP BY bucket ORDER BY bucket";
// The transfer log's readings in the same buckets as kRawSeries.
constexpr const char* kRawTransferSeries =
    "SELECT (CAST(strftime('%s', at) AS INTEGER) - ?) / ? AS bucket, SUM(bytes) FROM transfer_samples "
    "WHERE service_id = ? AND at >= ? AND at < ? GROUP BY bucket ORDER BY bucket";
// Each service's transfer over the local days [from, to), from the daily figures.
constexpr const char* kServiceTransfer =
    "SELECT service_id, SUM(transfer_bytes) FROM usage_daily WHERE association_id = ? AND day >= ? "
    "AND day < ? GROUP BY service_id HAVING SUM(transfer_bytes) > 0 ORDER BY service_id";
constexpr const char* kDailyStored =
    "SELECT day, stored_bytes_avg FROM association_usage_daily WHERE association_id = ? AND day >= ? "
    "AND day <= ?";
constexpr const char* kAssociationDays =
    "SELECT day, samples, cpu_ns, stored_bytes_avg, stored_bytes_max, transfer_bytes FROM "
    "association_usage_daily "
    "WHERE association_id = ? ORDER BY day";

constexpr const char* kRolledUpThrough = "SELECT through FROM rollup_state WHERE name = 'hourly'";
// The transfer log's readings count too: an installation whose proxy logged before any guest ran.
constexpr const char* kFirstSampleAt =
    "SELECT MIN(at) FROM (SELECT MIN(at) AS at FROM usage_samples UNION ALL SELECT MIN(at) FROM "
    "transfer_samples)";
constexpr const char* kClearHour = "DELETE FROM usage_hourly WHERE hour = ?";
constexpr const char* kRollUpHour =
    "INSERT INTO usage_hourly (service_id, association_id, hour, samples, cpu_ns, measured_seconds, "
    "memory_kib_avg, memory_kib_max, stored_bytes_avg, stored_bytes_max) "
    "SELECT service_id, association_id, ?, COUNT(*), SUM(cpu_ns), "
    "SUM(CASE WHEN cpu_time_ns IS NOT NULL THEN interval_seconds ELSE 0 END), "
    "CAST(ROUND(AVG(memory_kib)) AS INTEGER), MAX(memory_kib), "
    "CAST(ROUND(AVG(stored_bytes)) AS INTEGER), MAX(stored_bytes) "
    "FROM usage_samples WHERE at >= ? AND at < ? GROUP BY service_id, association_id";
// The bytes the proxy sent in the hour (monitoring/TransferLog's readings), beside the samples'
// figures: a service that only transferred gets a row of its own with no sample behind it (0
// samples weigh nothing in the averages).
constexpr const char* kRollUpTransferHour =
    "INSERT INTO usage_hourly (service_id, association_id, hour, samples, cpu_ns, measured_seconds, "
    "transfer_bytes) SELECT service_id, association_id, ?1, 0, 0, 0, SUM(bytes) FROM transfer_samples "
    "WHERE at >= ?1 AND at < ?2 GROUP BY service_id, association_id "
    "ON CONFLICT (service_id, hour) DO UPDATE SET transfer_bytes = excluded.transfer_bytes";
constexpr const char* kRollUpAssociationTransferHour =
    "INSERT INTO association_usage_hourly (association_id, hour, samples, cpu_ns, transfer_bytes) "
    "SELECT association_id, ?1, 0, 0, SUM(bytes) FROM transfer_samples WHERE at >= ?1 AND at < ?2 "
    "GROUP BY association_id ON CONFLICT (association_id, hour) DO UPDATE SET transfer_bytes = "
    "excluded.transfer_bytes";
constexpr const char* kClearAssociationHour = "DELETE FROM association_usage_hourly WHERE hour = ?";
// An association's figure at an instant is the sum over its services sampled then (one collection
// stores every service at the same instant).
constexpr const char* kRollUpAssociationHour =
    "INSERT INTO association_usage_hourly (association_id, hour, samples, cpu_ns, memory_kib_avg, "
    "memory_kib_max, stored_bytes_avg, stored_bytes_max) "
    "SELECT association_id, ?, COUNT(*), SUM(cpu), CAST(ROUND(AVG(memory)) AS INTEGER), MAX(memory), "
    "CAST(ROUND(AVG(stored)) AS INTEGER), MAX(stored) FROM (SELECT association_id, at, "
    "SUM(cpu_ns) AS cpu, SUM(memory_kib) AS memory, SUM(stored_bytes) AS stored FROM usage_samples "
    "WHERE at >= ? AND at < ? GROUP BY association_id, at) GROUP BY association_id";
constexpr const char* kClearDay = "DELETE FROM usage_daily WHERE day = ?";
// A day from its hours; averages weighted by the samples behind each hour.
constexpr const char* kRollUpDay =
    "INSERT INTO usage_daily (service_id, association_id, day, samples, cpu_ns, measured_seconds, "
    "memory_kib_avg, memory_kib_max, stored_bytes_avg, stored_bytes_max, transfer_bytes) "
    "SELECT service_id, association_id, ?, SUM(samples), SUM(cpu_ns), SUM(measured_seconds), "
    "CAST(ROUND(SUM(memory_kib_avg * samples) * 1.0 / SUM(CASE WHEN memory_kib_avg IS NOT NULL "
    "THEN samples END)) AS INTEGER), MAX(memory_kib_max), "
    "CAST(ROUND(SUM(stored_bytes_avg * samples) * 1.0 / SUM(CASE WHEN stored_bytes_avg IS NOT NULL "
    "THEN samples END)) AS INTEGER), MAX(stored_bytes_max), SUM(transfer_bytes) "
    "FROM usage_hourly WHERE hour >= ? AND hour < ? GROUP BY service_id, association_id";
constexpr const char* kClearAssociationDay = "DELETE FROM association_usage_daily WHERE day = ?";
constexpr const char* kRollUpAssociationDay =
    "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, memory_kib_avg, "
    "memory_kib_max, stored_bytes_avg, stored_bytes_max, transfer_bytes) "
    "SELECT association_id, ?, SUM(samples), SUM(cpu_ns), "
    "CAST(ROUND(SUM(memory_kib_avg * samples) * 1.0 / SUM(CASE WHEN memory_kib_avg IS NOT NULL "
    "THEN samples END)) AS INTEGER), MAX(memory_kib_max), "
    "CAST(ROUND(SUM(stored_bytes_avg * samples) * 1.0 / SUM(CASE WHEN stored_bytes_avg IS NOT NULL "
    "THEN samples END)) AS INTEGER), MAX(stored_bytes_max), SUM(transfer_bytes) "
    "FROM association_usage_hourly WHERE hour >= ? AND hour < ? GROUP BY association_id";
constexpr const char* kSetRolledUpThrough =
    "INSERT INTO rollup_state (name, through) VALUES ('hourly', ?) "
    "ON CONFLICT (name) DO UPDATE SET through = excluded.through";
constexpr const char* kPruneHourly = "DELETE FROM usage_hourly WHERE hour < ?";
constexpr const char* kPruneAssociationHourly = "DELETE FROM association_usage_hourly WHERE hour < ?";

constexpr const char* kAssociationsWithPlans =
    "SELECT id, plan_slug FROM associations WHERE status = 'active' AND plan_slug IS NOT NULL ORDER BY id";
constexpr const char* kLevel =
    "SELECT level, at_limit_since, enforced, period_start FROM quota_levels WHERE association_id = ? "
    "AND metric = ?";
constexpr const char* kStoreLevel =
    "INSERT INTO quota_levels (association_id, metric, level, at_limit_since, enforced, updated_at, "
    "period_start) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (association_id, metric) DO UPDATE SET "
    "level = excluded.level, at_limit_since = excluded.at_limit_since, enforced = excluded.enforced, "
    "updated_at = excluded.updated_at, period_start = excluded.period_start";
constexpr const char* kTrackedMetrics = "SELECT metric FROM quota_levels WHERE association_id = ?";
constexpr const char* kExceptionUntil =
    "SELECT MAX(until) FROM quota_exceptions WHERE association_id = ? AND until > ?";
constexpr const char* kAddException =
    "INSERT INTO quota_exceptions (id, association_id, until, reason, created_by, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)";

std::optional<int64_t> signedOf(const std::optional<uint64_t>& v) {
    return v ? std::optional<int64_t>(static_cast<int64_t>(*v)) : std::nullopt;
}

std::optional<double> optReal(const Row& r, int i) {
    return r.isNull(i) ? std::nullopt : std::optional<double>(r.real(i));
}

}  // namespace

std::vector<MeteredService> UsageRepository::meteredServices() {
    return session_.query(kMeteredServices, [](const Row& r) {
        return MeteredService{r.text(0), r.text(1), r.integer(2), r.text(3)};
    });
}

std::vector<CpuReading> UsageRepository::lastCpuReadings() {
    return session_.query(kLastCpuReadings, [](const Row& r) {
        return CpuReading{r.text(0), static_cast<uint64_t>(r.integer(1)), r.text(2)};
    });
}

int64_t UsageRepository::lastSampleId() {
    return session_.integer(kLastSampleId).value_or(0);
}

void UsageRepository::addSample(const std::string& at, const UsageSample& sample) {
    session_.execute(kAddSample, sample.serviceId, sample.associationId, at, sample.intervalSeconds,
                     signedOf(sample.cpuTimeNs), static_cast<int64_t>(sample.cpuNs),
                     signedOf(sample.memoryKib), signedOf(sample.storedBytes));
}

void UsageRepository::refreshLatest(int64_t afterId) {
    session_.execute(kRefreshLatest, afterId);
}

int UsageRepository::pruneSamples(const std::string& cutoff) {
    return session_.execute(kPruneSamples, cutoff);
}

std::map<std::string, MetricUse> UsageRepository::current(const std::optional<std::string>& associationId) {
    std::map<std::string, MetricUse> out;
    const auto add = [&out](const Row& r) {
        MetricUse& use = out[r.text(0)];
        use["services"] = static_cast<double>(r.integer(1));
        use["vcpus"] = static_cast<double>(r.integer(2));
        use["memory_mib"] = static_cast<double>(r.integer(3));
        use["disk_gib"] = static_cast<double>(r.integer(4)) / kBytesPerGiB;
    };
    if (associationId) {
        session_.each(kCurrentOne, add, *associationId);
        if (out.empty()) {
            out[*associationId] = {{"services", 0}, {"vcpus", 0}, {"memory_mib", 0}, {"disk_gib", 0}};
        }
    } else {
        session_.each(kCurrentAll, add);
    }
    return out;
}

StoredFigures UsageRepository::storedOver(const std::string& associationId, const std::string& fromDay,
                                          const std::string& toDay) {
    return session_
        .first(
            kStoredOver,
            [](const Row& r) {
                StoredFigures out;
                if (!r.isNull(0)) {
                    out.peakGib = static_cast<double>(r.integer(0)) / kBytesPerGiB;
                }
                if (!r.isNull(1)) {
                    out.averageGib = r.real(1) / kBytesPerGiB;
                }
                out.samples = r.integer(2);
                out.transferBytes = r.integer(3);
                return out;
            },
            associationId, fromDay, toDay)
        .value_or(StoredFigures{});
}

UsageSummary UsageRepository::summary(const std::string& associationId, const std::string& fromDay,
                                      const std::string& toDay, const std::string& at) {
    UsageSummary out;
    session_.each(
        kSummary,
        [&out](const Row& r) {
            out.use = {{"services", static_cast<double>(r.integer(0))},
                       {"vcpus", static_cast<double>(r.integer(1))},
                       {"memory_mib", static_cast<double>(r.integer(2))},
                       {"disk_gib", static_cast<double>(r.integer(3)) / kBytesPerGiB}};
            out.measuredAt = r.optText(4);
            if (!r.isNull(5)) {
                out.stored.peakGib = static_cast<double>(r.integer(5)) / kBytesPerGiB;
            }
            if (!r.isNull(6)) {
                out.stored.averageGib = r.real(6) / kBytesPerGiB;
            }
            out.stored.samples = r.integer(7);
            out.quota = {r.optText(8), r.integer(9) != 0};
            out.exceptionUntil = r.optText(10);
            out.stored.transferBytes = r.integer(11);
        },
        associationId, fromDay, toDay, at);
    return out;
}

std::vector<SeriesPoint> UsageRepository::series(bool hourly, const std::string& serviceId, int64_t fromEpoch,
                                                 int64_t step, const std::string& fromText,
                                                 const std::string& toText) {
    auto points = session_.query(
        hourly ? kHourlySeries : kRawSeries,
        [](const Row& r) {
            return SeriesPoint{r.integer(0),  r.integer(1),  r.integer(2),    r.integer(3),
                               optReal(r, 4), optReal(r, 5), r.optInteger(6), r.integer(7)};
        },
        fromEpoch, step, serviceId, fromText, toText);
    if (hourly) {
        return points;
    }
    // The raw readings of the transfer log are rows of their own: merged bucket by bucket (a bucket
    // with transfer and no sample has 0 samples).
    std::map<int64_t, int64_t> transfer;
    session_.each(
        kRawTransferSeries, [&transfer](const Row& r) { transfer[r.integer(0)] = r.integer(1); }, fromEpoch,
        step, serviceId, fromText, toText);
    if (transfer.empty()) {
        return points;
    }
    for (auto& point : points) {
        if (const auto it = transfer.find(point.bucket); it != transfer.end()) {
            point.transferBytes = it->second;
            transfer.erase(it);
        }
    }
    for (const auto& [bucket, bytes] : transfer) {
        SeriesPoint point;
        point.bucket = bucket;
        point.transferBytes = bytes;
        points.push_back(point);
    }
    std::sort(points.begin(), points.end(),
              [](const SeriesPoint& a, const SeriesPoint& b) { return a.bucket < b.bucket; });
    return points;
}

std::vector<std::pair<std::string, int64_t>> UsageRepository::serviceTransfer(
    const std::string& associationId, const std::string& fromDay, const std::string& toDay) {
    return session_.query(
        kServiceTransfer, [](const Row& r) { return std::make_pair(r.text(0), r.integer(1)); }, associationId,
        fromDay, toDay);
}

std::vector<DailyStored> UsageRepository::dailyStored(const std::string& associationId,
                                                      const std::string& firstDay,
                                                      const std::string& lastDay) {
    return session_.query(
        kDailyStored,
        [](const Row& r) {
            return DailyStored{r.text(0), r.optInteger(1)};
        },
        associationId, firstDay, lastDay);
}

std::vector<AssociationUsageDay> UsageRepository::associationDays(const std::string& associationId) {
    return session_.query(
        kAssociationDays,
        [](const Row& r) {
            return AssociationUsageDay{r.text(0),       r.integer(1),    r.integer(2),
                                       r.optInteger(3), r.optInteger(4), r.integer(5)};
        },
        associationId);
}

std::optional<std::string> UsageRepository::rolledUpThrough() {
    return session_.text(kRolledUpThrough);
}

std::optional<std::string> UsageRepository::firstSampleAt() {
    return session_.text(kFirstSampleAt);
}

void UsageRepository::rollUpHour(const std::string& hour, const std::string& end) {
    session_.execute(kClearHour, hour);
    session_.execute(kRollUpHour, hour, hour, end);
    session_.execute(kRollUpTransferHour, hour, end);
    session_.execute(kClearAssociationHour, hour);
    session_.execute(kRollUpAssociationHour, hour, hour, end);
    session_.execute(kRollUpAssociationTransferHour, hour, end);
}

void UsageRepository::rollUpDay(const std::string& day, const std::string& start, const std::string& end) {
    session_.execute(kClearDay, day);
    session_.execute(kRollUpDay, day, start, end);
    session_.execute(kClearAssociationDay, day);
    session_.execute(kRollUpAssociationDay, day, start, end);
}

void UsageRepository::setRolledUpThrough(const std::string& hour) {
    session_.execute(kSetRolledUpThrough, hour);
}

void UsageRepository::pruneHourly(const std::string& cutoff) {
    session_.execute(kPruneHourly, cutoff);
    session_.execute(kPruneAssociationHourly, cutoff);
}

std::vector<std::pair<std::string, std::string>> UsageRepository::associationsWithPlans() {
    return session_.query(kAssociationsWithPlans,
                          [](const Row& r) { return std::make_pair(r.text(0), r.text(1)); });
}

QuotaLevel UsageRepository::level(const std::string& associationId, const std::string& metric) {
    return session_
        .first(
            kLevel,
            [](const Row& r) {
                return QuotaLevel{r.text(0), r.optText(1), r.integer(2) != 0, r.optText(3)};
            },
            associationId, metric)
        .value_or(QuotaLevel{});
}

void UsageRepository::storeLevel(const std::string& associationId, const std::string& metric,
                                 const QuotaLevel& level, const std::string& at) {
    session_.execute(kStoreLevel, associationId, metric, level.level, level.atLimitSince,
                     level.enforced ? 1 : 0, at, level.periodStart);
}

std::vector<std::string> UsageRepository::trackedMetrics(const std::string& associationId) {
    return session_.query(
        kTrackedMetrics, [](const Row& r) { return r.text(0); }, associationId);
}

std::optional<std::string> UsageRepository::exceptionUntil(const std::string& associationId,
                                                           const std::string& at) {
    return session_.text(kExceptionUntil, associationId, at);
}

void UsageRepository::addException(const std::string& id, const std::string& associationId,
                                   const std::string& until, const std::string& reason,
                                   const std::string& createdBy, const std::string& at) {
    session_.execute(kAddException, id, associationId, until, reason, createdBy, at);
}

std::map<std::string, MetricUse> currentUsage(Session& session,
                                              const std::optional<std::string>& associationId) {
    return UsageRepository(session).current(associationId);
}

StoredFigures storedOver(Session& session, const std::string& associationId, const std::string& fromDay,
                         const std::string& toDay) {
    return UsageRepository(session).storedOver(associationId, fromDay, toDay);
}

}  // namespace chatiere::manager
