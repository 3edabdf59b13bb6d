#pragma once

#include "chatiere/manager/Database.h"
#include "core/States.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// What the services not deleted were given.
struct Allocated {
    int64_t vcpus = 0;
    int64_t memoryMib = 0;
    int64_t diskGib = 0;
};

// Services not deleted, counted by lifecycle state, whether suspended, and health.
struct ServiceCount {
    ServiceState state = ServiceState::Active;
    std::string suspendedFor;  // one of the group's reasons ('' when not suspended)
    ServiceHealth health = ServiceHealth::Unknown;
    int64_t count = 0;
};

// A service's latest usage reading, with its name.
struct LatestReading {
    std::string serviceId;
    std::string associationId;
    std::string name;
    std::optional<int64_t> cpuTimeNs;
    std::optional<int64_t> memoryKib;
    std::optional<int64_t> storedBytes;
};

// The counts the admin's overview and the Prometheus metrics read across the aggregates (services,
// jobs, outbox, associations, invoices): read-only, one query each.
class OverviewRepository {
public:
    explicit OverviewRepository(Session& session) : session_(session) {}

    Allocated allocated();
    std::map<std::string, int64_t> servicesByState();
    int64_t suspendedServices();
    std::vector<ServiceCount> servicesByStateAndHealth();
    std::vector<LatestReading> latestReadings();  // by service id
    int64_t pendingJobs();
    int64_t failedJobs();
    int64_t failedJobsSince(const std::string& at);
    std::optional<std::string> oldestPendingJob();
    std::map<std::string, int64_t> unsentMailByStatus();
    std::map<std::string, int64_t> associationsByStatus();
    int64_t draftInvoices();
    int64_t overdueInvoices(const std::string& today);

private:
    Session& session_;
};

}  // namespace chatiere::manager
