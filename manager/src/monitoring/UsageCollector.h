#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "chatiere/provisioning/Hypervisor.h"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

struct CollectionReport {
    int samples = 0;        // rows stored
    int missingGuests = 0;  // services whose guest was not in the bulk statistics
    int pruned = 0;         // raw samples past their retention, deleted
    std::chrono::milliseconds duration{0};
};

// Measures what each service uses: one bulk statistics call for this installation's guests and
// each data volume's allocation (what the volume really stores: the guest trims it), stored as
// one usage sample per service in one transaction. CPU time is stored both as the guest's
// counter and as the delta since the previous sample, correct across a guest restart (counter
// reset), a missed interval and a restart of the daemon (the last readings come from the database).
//
// Volume allocations change slowly and cost a call per volume (an RPC each under libvirtd), so they
// are kept between cycles: the pool is listed again once `volumeRefresh` has passed since the last
// listing (every cycle when it is zero), and in between a volume is read on its own when its
// service has none kept (a new service, a new volume generation) or its guest has just started
// (a service just provisioned: its content was written before the guest started).
class UsageCollector {
public:
    UsageCollector(Database& db, provisioning::Hypervisor& hypervisor,
                   const provisioning::GuestBuilder& builder, base::Clock& clock, Poco::Logger& logger,
                   int rawRetentionDays, std::chrono::seconds volumeRefresh = std::chrono::seconds(0));

    CollectionReport collectOnce();
    // The last cycle's report and when it ended (nullopt before the first).
    std::optional<std::pair<CollectionReport, base::Clock::TimePoint>> lastReport();

private:
    struct Reading {
        uint64_t cpuTimeNs = 0;
        base::Clock::TimePoint at;
    };
    void loadLastReadings();
    void listVolumes(base::Clock::TimePoint now);
    // Asks the guest's agent to trim its file systems; an agent down or absent is no error.
    void trim(const std::string& domainName);
    void readVolume(const std::string& name);

    Database& db_;
    provisioning::Hypervisor& hypervisor_;
    const provisioning::GuestBuilder& builder_;
    base::Clock& clock_;
    Poco::Logger& logger_;
    int rawRetentionDays_;
    std::chrono::seconds volumeRefresh_;
    std::mutex mutex_;  // one collection at a time
    bool loaded_ = false;
    std::map<std::string, Reading> last_;                    // by service id
    std::unordered_map<std::string, uint64_t> allocations_;  // by volume name, as last read
    std::optional<base::Clock::TimePoint> listedAt_;         // the last listing of the pool
    // The last cycle's guest statistics, by name (the names are those of lastGuests_).
    std::vector<provisioning::GuestStats> lastGuests_;
    std::unordered_map<std::string_view, const provisioning::GuestStats*> lastStats_;
    std::mutex reportMutex_;
    std::optional<std::pair<CollectionReport, base::Clock::TimePoint>> lastReport_;
};

}  // namespace chatiere::manager
