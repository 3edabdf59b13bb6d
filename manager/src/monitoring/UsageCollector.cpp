#include "monitoring/UsageCollector.h"

#include "chatiere/manager/Time.h"
#include "chatiere/provisioning/GuestAgent.h"
#include "monitoring/Counters.h"
#include "store/Usage.h"

#include <Poco/Logger.h>

#include <string_view>
#include <unordered_map>
#include <vector>

namespace chatiere::manager {

using provisioning::HypervisorError;

UsageCollector::UsageCollector(Database& db, provisioning::Hypervisor& hypervisor,
                               const provisioning::GuestBuilder& builder, base::Clock& clock,
                               Poco::Logger& logger, int rawRetentionDays, std::chrono::seconds volumeRefresh)
    : db_(db),
      hypervisor_(hypervisor),
      builder_(builder),
      clock_(clock),
      logger_(logger),
      rawRetentionDays_(rawRetentionDays),
      volumeRefresh_(volumeRefresh) {}

void UsageCollector::loadLastReadings() {
    auto s = db_.session();
    for (auto& reading : UsageRepository(s).lastCpuReadings()) {
        const auto at = parseTime(reading.at);
        if (at) {
            last_[std::move(reading.serviceId)] = {reading.cpuTimeNs, *at};
        }
    }
    loaded_ = true;
}

void UsageCollector::listVolumes(base::Clock::TimePoint now) {
    std::unordered_map<std::string, uint64_t> listed;
    try {
        const auto volumes = hypervisor_.volumes(builder_.settings().pool);
        listed.reserve(volumes.size());
        for (const auto& v : volumes) {
            listed.emplace(v.name, v.allocationBytes);
        }
    } catch (const HypervisorError& e) {
        if (e.code() != HypervisorError::Code::NotFound) {
            throw;
        }
    }
    allocations_ = std::move(listed);
    listedAt_ = now;
}

void UsageCollector::trim(const std::string& domainName) {
    using Code = HypervisorError::Code;
    try {
        // libvirt waits for a trim without a time limit: a guest whose agent does not answer a ping
        // within seconds is not asked, so that a hung agent never holds the collection up.
        if (!provisioning::agentAnswers(hypervisor_, domainName, std::chrono::seconds(5))) {
            return;
        }
        hypervisor_.fsTrim(domainName);
    } catch (const HypervisorError& e) {
        if (e.code() != Code::Unsupported && e.code() != Code::AgentUnavailable &&
            e.code() != Code::InvalidState && e.code() != Code::NotFound) {
            logger_.warning("trimming the file systems of %s: %s", domainName, std::string(e.what()));
        }
    }
}

void UsageCollector::readVolume(const std::string& name) {
    std::optional<provisioning::VolumeInfo> volume;
    try {
        volume = hypervisor_.volume(builder_.settings().pool, name);
    } catch (const HypervisorError& e) {
        if (e.code() != HypervisorError::Code::NotFound) {
            throw;
        }
    }
    if (volume) {
        allocations_[name] = volume->allocationBytes;
    } else {
        allocations_.erase(name);
    }
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
    std::vector<MeteredService> watched;
    {
        auto s = db_.session();
        watched = UsageRepository(s).meteredServices();
    }
    // One bulk call: this installation's guests only, found by name without copying the names.
    auto guests = hypervisor_.bulkStats(builder_.settings().instanceId);
    std::unordered_map<std::string_view, const provisioning::GuestStats*> stats;
    stats.reserve(guests.size());
    for (const auto& g : guests) {
        stats.emplace(g.name, &g);
    }
    const auto running = [](const provisioning::GuestStats* g) {
        return g->state == provisioning::GuestState::Running;
    };

    // Each data volume's allocation: one listing of the pool when the kept figures are due, else
    // only the volumes not kept yet or whose guest has just started (see the class comment).
    std::vector<std::string> domainNames;
    std::vector<std::string> volumeNames;
    domainNames.reserve(watched.size());
    volumeNames.reserve(watched.size());
    for (const auto& service : watched) {
        domainNames.push_back(builder_.domainName(service.id));
        volumeNames.push_back(builder_.volumeName(service.id, service.volumeGeneration));
    }
    if (!listedAt_ || collectedAt < *listedAt_ || collectedAt - *listedAt_ >= volumeRefresh_) {
        // Before each listing, the guests that have an agent trim their file systems, so that the
        // allocation follows what they store. Their data volume is mounted with `discard` already:
        // this catches what online discard leaves (a guest that crashed mid-delete, say), once per
        // listing rather than on every cycle. An agent that is down, or still booting, is skipped.
        for (std::size_t i = 0; i < watched.size(); ++i) {
            const auto guest = stats.find(domainNames[i]);
            if (guest != stats.end() && running(guest->second) &&
                builder_.hasGuestAgent(watched[i].templateName)) {
                trim(domainNames[i]);
            }
        }
        listVolumes(collectedAt);
    } else {
        std::vector<std::size_t> unread;
        for (std::size_t i = 0; i < watched.size(); ++i) {
            const auto guest = stats.find(domainNames[i]);
            const auto before = lastStats_.find(domainNames[i]);
            const bool started = guest != stats.end() && running(guest->second) &&
                                 (before == lastStats_.end() || !running(before->second));
            if (started || !allocations_.count(volumeNames[i])) {
                unread.push_back(i);
            }
        }
        // Many to read (a pool restored, the daemon's first cycles): one listing costs less.
        if (unread.size() > 32 && unread.size() * 8 > watched.size()) {
            listVolumes(collectedAt);
        } else {
            for (const auto i : unread) {
                readVolume(volumeNames[i]);
            }
        }
    }
    struct Row {
        MeteredService service;
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
        const auto guest = stats.find(domainNames[rows.size()]);
        if (guest == stats.end()) {
            ++report.missingGuests;
        } else {
            row.memoryKib = guest->second->memoryRssKib;
            if (const auto cpu = guest->second->cpuTimeNs) {
                row.cpuTimeNs = cpu;
                row.cpuNs = counterDelta(previous == last_.end()
                                             ? std::nullopt
                                             : std::optional<uint64_t>(previous->second.cpuTimeNs),
                                         *cpu);
            }
        }
        const auto volume = allocations_.find(volumeNames[rows.size()]);
        if (volume != allocations_.end()) {
            row.storedBytes = volume->second;
        }
        rows.push_back(std::move(row));
    }

    auto s = db_.session();
    UsageRepository usage(s);
    Transaction tx(s);
    const int64_t before = usage.lastSampleId();
    // The hot path of a cycle: a row per service, one statement prepared once per connection.
    for (const auto& row : rows) {
        usage.addSample(at, {row.service.id, row.service.associationId, row.intervalSeconds, row.cpuTimeNs,
                             row.cpuNs, row.memoryKib, row.storedBytes});
    }
    // The latest reading of each service, from the rows just stored: what quotas, the usage API and
    // the next deltas start from. A counter missing this cycle keeps the last one seen.
    usage.refreshLatest(before);
    // Raw samples past their retention go, but never before the hour they belong to is rolled up.
    const int pruned =
        usage.pruneSamples(formatTime(collectedAt - std::chrono::hours(24) * rawRetentionDays_));
    tx.commit();
    // Only once stored: what the next deltas are measured from.
    for (const auto& row : rows) {
        if (row.cpuTimeNs) {
            last_[row.service.id] = {*row.cpuTimeNs, collectedAt};
        }
    }
    // What the next cycle tells a guest that has just started from (moving the vector keeps its
    // elements, so the names the map points into stay where they are).
    lastGuests_ = std::move(guests);
    lastStats_ = std::move(stats);
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
