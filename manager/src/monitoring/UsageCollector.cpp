#include "monitoring/UsageCollector.h"

#include "chatiere/manager/Time.h"
#include "domain/Rows.h"
#include "monitoring/Counters.h"

#include "chatiere/manager/Error.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Statement.h>
#include <Poco/Logger.h>
#include <Poco/Nullable.h>

#include <memory>
#include <vector>

#include <sqlite3.h>

namespace chatiere::manager {

using namespace Poco::Data::Keywords;
using provisioning::HypervisorError;

namespace {

struct Watched {
    std::string id;
    std::string associationId;
    int64_t volumeGeneration = 0;  // which data volume is current
};

}  // namespace

UsageCollector::UsageCollector(Database& db, provisioning::Hypervisor& hypervisor,
                               const provisioning::GuestBuilder& builder, base::Clock& clock,
                               Poco::Logger& logger, int rawRetentionDays)
    : db_(db),
      hypervisor_(hypervisor),
      builder_(builder),
      clock_(clock),
      logger_(logger),
      rawRetentionDays_(rawRetentionDays) {}

void UsageCollector::loadLastReadings() {
    auto s = db_.session();
    Poco::Data::Statement stmt(s);
    stmt << "SELECT service_id, cpu_time_ns, at FROM usage_latest WHERE cpu_time_ns IS NOT NULL";
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        const auto at = parseTime(text(rs, "at"));
        if (at) {
            last_[text(rs, "service_id")] = {static_cast<uint64_t>(integer(rs, "cpu_time_ns")), *at};
        }
    }
    loaded_ = true;
}

CollectionReport UsageCollector::collectOnce() {
    std::lock_guard lock(mutex_);
    const auto started = std::chrono::steady_clock::now();
    if (!loaded_) {
        loadLastReadings();
    }
    CollectionReport report;
    const auto collectedAt = clock_.now();
    const std::string at = formatTime(collectedAt);

    // Services that have (or are getting) a guest.
    std::vector<Watched> watched;
    {
        std::vector<std::string> ids;
        std::vector<std::string> associations;
        std::vector<Poco::Int64> generations;
        auto s = db_.session();
        s << "SELECT id, association_id, volume_generation FROM services WHERE state IN ('active', "
             "'provisioning')",
            into(ids), into(associations), into(generations), now;
        watched.reserve(ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            watched.push_back({std::move(ids[i]), std::move(associations[i]), generations[i]});
        }
    }
    // One bulk call: this installation's guests only.
    std::map<std::string, provisioning::GuestStats> stats;
    for (auto& g : hypervisor_.bulkStats(builder_.settings().instanceId)) {
        stats.emplace(g.name, std::move(g));
    }

    // One listing of the pool: each data volume's allocation.
    std::map<std::string, uint64_t> volumes;
    try {
        for (const auto& v : hypervisor_.volumes(builder_.settings().pool)) {
            volumes.emplace(v.name, v.allocationBytes);
        }
    } catch (const HypervisorError& e) {
        if (e.code() != HypervisorError::Code::NotFound) {
            throw;
        }
    }

    struct Row {
        Watched service;
        int64_t intervalSeconds = 0;
        std::optional<uint64_t> cpuTimeNs;
        uint64_t cpuNs = 0;
        std::optional<uint64_t> memoryKib;
        std::optional<uint64_t> storedBytes;
    };
    std::vector<Row> rows;
    rows.reserve(watched.size());
    for (const auto& service : watched) {
        Row row;
        row.service = service;
        const auto previous = last_.find(service.id);
        if (previous != last_.end()) {
            row.intervalSeconds =
                std::chrono::duration_cast<std::chrono::seconds>(collectedAt - previous->second.at).count();
        }
        const auto guest = stats.find(builder_.domainName(service.id));
        if (guest == stats.end()) {
            ++report.missingGuests;
        } else {
            row.memoryKib = guest->second.memoryRssKib;
            if (const auto cpu = guest->second.cpuTimeNs) {
                row.cpuTimeNs = cpu;
                row.cpuNs = counterDelta(previous == last_.end()
                                             ? std::nullopt
                                             : std::optional<uint64_t>(previous->second.cpuTimeNs),
                                         *cpu);
            }
        }
        const auto volume = volumes.find(builder_.volumeName(service.id, service.volumeGeneration));
        if (volume != volumes.end()) {
            row.storedBytes = volume->second;
        }
        rows.push_back(std::move(row));
    }

    auto s = db_.session();
    Transaction tx(s);
    Poco::Int64 before = 0;
    s << "SELECT COALESCE(MAX(id), 0) FROM usage_samples", into(before), now;
    {
        // The hot path of a cycle (a row per service): one statement prepared once on the
        // session's own SQLite handle, in the session's transaction.
        sqlite3* handle = s.handle();
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(
                handle,
                "INSERT INTO usage_samples (service_id, association_id, at, interval_seconds, "
                "cpu_time_ns, cpu_ns, memory_kib, stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                -1, &raw, nullptr) != SQLITE_OK) {
            throw Error(ErrorKind::Internal, "usage",
                        std::string("usage samples: ") + sqlite3_errmsg(handle));
        }
        const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> insert(raw, sqlite3_finalize);
        const auto bindOptional = [&](int index, const std::optional<uint64_t>& v) {
            if (v) {
                sqlite3_bind_int64(raw, index, static_cast<sqlite3_int64>(*v));
            } else {
                sqlite3_bind_null(raw, index);
            }
        };
        for (const auto& row : rows) {
            sqlite3_bind_text(raw, 1, row.service.id.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_text(raw, 2, row.service.associationId.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_text(raw, 3, at.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_int64(raw, 4, row.intervalSeconds);
            bindOptional(5, row.cpuTimeNs);
            sqlite3_bind_int64(raw, 6, static_cast<sqlite3_int64>(row.cpuNs));
            bindOptional(7, row.memoryKib);
            bindOptional(8, row.storedBytes);
            if (sqlite3_step(raw) != SQLITE_DONE) {
                throw Error(ErrorKind::Internal, "usage",
                            std::string("usage samples: ") + sqlite3_errmsg(handle));
            }
            sqlite3_reset(raw);
        }
    }
    // The latest reading of each service, from the rows just stored: what quotas, the usage API and
    // the next deltas start from. A counter missing this cycle keeps the last one seen.
    s << "INSERT INTO usage_latest (service_id, association_id, at, cpu_time_ns, memory_kib, stored_bytes) "
         "SELECT service_id, association_id, at, cpu_time_ns, memory_kib, stored_bytes FROM usage_samples "
         "WHERE id > ? ON CONFLICT (service_id) DO UPDATE SET at = excluded.at, cpu_time_ns = "
         "COALESCE(excluded.cpu_time_ns, usage_latest.cpu_time_ns), memory_kib = excluded.memory_kib, "
         "stored_bytes = COALESCE(excluded.stored_bytes, usage_latest.stored_bytes)",
        bind(before), now;
    // Raw samples past their retention go, but never before the hour they belong to is rolled up.
    const std::string cutoff = formatTime(collectedAt - std::chrono::hours(24) * rawRetentionDays_);
    s << "DELETE FROM usage_samples WHERE at < ? AND at < COALESCE((SELECT through FROM rollup_state "
         "WHERE name = 'hourly'), '')",
        useRef(cutoff), now;
    int pruned = 0;
    s << "SELECT changes()", into(pruned), now;
    tx.commit();
    // Only once stored: what the next deltas are measured from.
    for (const auto& row : rows) {
        if (row.cpuTimeNs) {
            last_[row.service.id] = {*row.cpuTimeNs, collectedAt};
        }
    }
    report.samples = static_cast<int>(rows.size());
    report.pruned = pruned;
    report.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    {
        std::lock_guard reportLock(reportMutex_);
        lastReport_ = std::make_pair(report, clock_.now());
    }
    if (report.missingGuests > 0) {
        logger_.debug("usage: %d service(s) without a running guest this cycle", report.missingGuests);
    }
    return report;
}

std::optional<std::pair<CollectionReport, base::Clock::TimePoint>> UsageCollector::lastReport() {
    std::lock_guard lock(reportMutex_);
    return lastReport_;
}

}  // namespace chatiere::manager
