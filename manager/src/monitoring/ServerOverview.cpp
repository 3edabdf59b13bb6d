#include "monitoring/ServerOverview.h"

#include "chatiere/manager/Time.h"
#include "store/Alerts.h"
#include "store/Overview.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

namespace chatiere::manager {

namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

// {name: count} with every name of `names` present (0 when absent), then the others counted.
Counts counts(const std::map<std::string, int64_t>& counted, const std::vector<std::string>& names) {
    Counts out;
    for (const auto& name : names) {
        out.emplace_back(name, 0);
    }
    for (const auto& [name, n] : counted) {
        const auto known = std::ranges::find(out, name, &Counts::value_type::first);
        if (known != out.end()) {
            known->second = n;
        } else {
            out.emplace_back(name, n);
        }
    }
    return out;
}

double gib(uint64_t bytes) {
    return static_cast<double>(bytes) / kGib;
}

}  // namespace

ServerOverview::ServerOverview(Database& db, base::Clock& clock, const Calendar& calendar,
                               std::function<HostHealth()> host, std::string loadavgPath)
    : db_(db),
      clock_(clock),
      calendar_(calendar),
      host_(std::move(host)),
      loadavgPath_(std::move(loadavgPath)) {}

Overview ServerOverview::overview() {
    const auto nowPoint = clock_.now();
    const std::string at = formatTime(nowPoint);
    Overview out;
    out.at = at;

    const HostHealth h = host_();
    HostOverview& host = out.host;
    if (!h.checkedAt.empty()) {
        host.checkedAt = h.checkedAt;
    }
    host.libvirtReachable = h.libvirtReachable;
    host.cpus = static_cast<int>(std::thread::hardware_concurrency());
    if (std::ifstream in(loadavgPath_); in) {
        double one = 0, five = 0, fifteen = 0;
        if (in >> one >> five >> fifteen) {
            host.load = {one, five, fifteen};
        }
    }
    host.memoryTotalMib = static_cast<int64_t>(h.memoryTotalKib / 1024);
    host.memoryAvailableMib = static_cast<int64_t>(h.memoryAvailableKib / 1024);
    if (h.pool) {
        host.disk =
            PoolSpace{gib(h.pool->capacityBytes), gib(h.pool->allocationBytes), gib(h.pool->availableBytes)};
    }

    auto s = db_.session();
    OverviewRepository read(s);
    // What the services were given (every one still holding resources).
    const Allocated given = read.allocated();
    out.allocatedVcpus = given.vcpus;
    out.allocatedMemoryMib = given.memoryMib;
    out.allocatedDiskGib = given.diskGib;

    out.services =
        counts(read.servicesByState(), {"requested", "provisioning", "active", "failed", "deleting"});
    out.services.emplace_back("suspended", read.suspendedServices());

    out.jobsPending = read.pendingJobs();
    out.jobsFailed24h = read.failedJobsSince(formatTime(nowPoint - std::chrono::hours(24)));
    out.oldestPendingJobAt = read.oldestPendingJob();

    out.outbox = counts(read.unsentMailByStatus(), {"pending", "failed"});
    out.associations =
        counts(read.associationsByStatus(), {"pending", "active", "suspended", "closed", "rejected"});

    out.invoiceDrafts = read.draftInvoices();
    out.invoicesOverdue = read.overdueInvoices(calendar_.dateOf(nowPoint));
    out.openAlerts = AlertBook(s).openCount();
    return out;
}

}  // namespace chatiere::manager
