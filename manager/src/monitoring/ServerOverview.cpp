#include "monitoring/ServerOverview.h"

#include "chatiere/manager/Time.h"
#include "store/Alerts.h"
#include "store/Overview.h"

#include <Poco/JSON/Array.h>

#include <fstream>
#include <thread>

namespace chatiere::manager {

namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

// {name: count} with every name of `names` present (0 when absent), then the others counted.
Poco::JSON::Object counts(const std::map<std::string, int64_t>& counted,
                          const std::vector<std::string>& names) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& name : names) {
        out.set(name, 0);
    }
    for (const auto& [name, n] : counted) {
        out.set(name, n);
    }
    return out;
}

double gib(uint64_t bytes) {
    return static_cast<double>(bytes) / kGib;
}

}  // namespace

ServerOverview::ServerOverview(Database& db, provisioning::Clock& clock, const Calendar& calendar,
                               std::function<HostHealth()> host, std::string loadavgPath)
    : db_(db),
      clock_(clock),
      calendar_(calendar),
      host_(std::move(host)),
      loadavgPath_(std::move(loadavgPath)) {}

Poco::JSON::Object ServerOverview::overview() {
    const auto nowPoint = clock_.now();
    const std::string at = formatTime(nowPoint);
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("at", at);

    const HostHealth h = host_();
    Poco::JSON::Object host(Poco::JSON_PRESERVE_KEY_ORDER);
    host.set("checked_at", h.checkedAt.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(h.checkedAt));
    host.set("libvirt_reachable", h.libvirtReachable);
    host.set("cpus", static_cast<int>(std::thread::hardware_concurrency()));
    Poco::JSON::Array load;
    if (std::ifstream in(loadavgPath_); in) {
        double one = 0, five = 0, fifteen = 0;
        if (in >> one >> five >> fifteen) {
            load.add(one);
            load.add(five);
            load.add(fifteen);
        }
    }
    host.set("load", load);
    Poco::JSON::Object memory(Poco::JSON_PRESERVE_KEY_ORDER);
    memory.set("total_mib", static_cast<Poco::Int64>(h.memoryTotalKib / 1024));
    memory.set("available_mib", static_cast<Poco::Int64>(h.memoryAvailableKib / 1024));
    host.set("memory", memory);
    if (h.pool) {
        Poco::JSON::Object disk(Poco::JSON_PRESERVE_KEY_ORDER);
        disk.set("capacity_gib", gib(h.pool->capacityBytes));
        disk.set("used_gib", gib(h.pool->allocationBytes));
        disk.set("available_gib", gib(h.pool->availableBytes));
        host.set("disk", disk);
    }
    out.set("host", host);

    auto s = db_.session();
    OverviewRepository read(s);
    // What the services were given (every one still holding resources).
    Poco::JSON::Object allocated(Poco::JSON_PRESERVE_KEY_ORDER);
    const Allocated given = read.allocated();
    allocated.set("vcpus", given.vcpus);
    allocated.set("memory_mib", given.memoryMib);
    allocated.set("disk_gib", given.diskGib);
    out.set("allocated", allocated);

    Poco::JSON::Object services =
        counts(read.servicesByState(), {"requested", "provisioning", "active", "failed", "deleting"});
    services.set("suspended", read.suspendedServices());
    out.set("services", services);

    Poco::JSON::Object jobs(Poco::JSON_PRESERVE_KEY_ORDER);
    jobs.set("pending", read.pendingJobs());
    jobs.set("failed_24h", read.failedJobsSince(formatTime(nowPoint - std::chrono::hours(24))));
    const auto oldest = read.oldestPendingJob();
    jobs.set("oldest_pending_at", oldest ? Poco::Dynamic::Var(*oldest) : Poco::Dynamic::Var());
    out.set("jobs", jobs);

    out.set("outbox", counts(read.unsentMailByStatus(), {"pending", "failed"}));
    out.set("associations",
            counts(read.associationsByStatus(), {"pending", "active", "suspended", "closed", "rejected"}));

    Poco::JSON::Object invoices(Poco::JSON_PRESERVE_KEY_ORDER);
    invoices.set("drafts", read.draftInvoices());
    invoices.set("overdue", read.overdueInvoices(calendar_.dateOf(nowPoint)));
    out.set("invoices", invoices);
    out.set("open_alerts", AlertBook(s).openCount());
    return out;
}

}  // namespace chatiere::manager
