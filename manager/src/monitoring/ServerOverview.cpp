#include "monitoring/ServerOverview.h"

#include "chatiere/manager/Time.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

#include <algorithm>
#include <fstream>
#include <thread>

namespace chatiere::manager {

using namespace Poco::Data::Keywords;

namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

// "name count" rows of `sql` into {name: count}, with every name of `names` present (0 when absent).
Counts counts(Session& s, const std::string& sql, const std::vector<std::string>& names) {
    Counts out;
    for (const auto& name : names) {
        out.emplace_back(name, 0);
    }
    Poco::Data::Statement stmt(s);
    stmt << sql;
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        const std::string name = rs[0].convert<std::string>();
        const int64_t count = rs[1].convert<Poco::Int64>();
        const auto known =
            std::find_if(out.begin(), out.end(), [&](const auto& c) { return c.first == name; });
        if (known != out.end()) {
            known->second = count;
        } else {
            out.emplace_back(name, count);
        }
    }
    return out;
}

int64_t single(Session& s, const std::string& sql, const std::string& value = "") {
    Poco::Int64 n = 0;
    if (value.empty()) {
        s << sql, into(n), now;
    } else {
        s << sql, bind(value), into(n), now;
    }
    return n;
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
    // What the services were given (every one still holding resources).
    Poco::Int64 vcpus = 0, memoryMib = 0, diskGib = 0;
    s << "SELECT COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mib), 0), COALESCE(SUM(disk_gib), 0) FROM "
         "services "
         "WHERE state != 'deleted'",
        into(vcpus), into(memoryMib), into(diskGib), now;
    out.allocatedVcpus = vcpus;
    out.allocatedMemoryMib = memoryMib;
    out.allocatedDiskGib = diskGib;

    out.services = counts(s, "SELECT state, COUNT(*) FROM services WHERE state != 'deleted' GROUP BY state",
                          {"requested", "provisioning", "active", "failed", "deleting"});
    out.services.emplace_back(
        "suspended",
        single(s, "SELECT COUNT(*) FROM services WHERE state != 'deleted' AND suspended_for != ''"));

    out.jobsPending = single(s, "SELECT COUNT(*) FROM jobs WHERE status = 'pending'");
    out.jobsFailed24h = single(s, "SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND finished_at > ?",
                               formatTime(nowPoint - std::chrono::hours(24)));
    std::vector<std::string> oldest;
    s << "SELECT MIN(created_at) FROM jobs WHERE status = 'pending' HAVING COUNT(*) > 0", into(oldest), now;
    if (!oldest.empty()) {
        out.oldestPendingJobAt = oldest.front();
    }

    out.outbox = counts(s, "SELECT status, COUNT(*) FROM outbox WHERE status != 'sent' GROUP BY status",
                        {"pending", "failed"});
    out.associations = counts(s, "SELECT status, COUNT(*) FROM associations GROUP BY status",
                              {"pending", "active", "suspended", "closed", "rejected"});

    const std::string today = calendar_.dateOf(nowPoint);
    out.invoiceDrafts = single(s, "SELECT COUNT(*) FROM invoices WHERE status = 'draft'");
    out.invoicesOverdue = single(s,
                                 "SELECT COUNT(*) FROM invoices WHERE kind = 'invoice' AND status = "
                                 "'finalized' AND due_date < ?",
                                 today);
    out.openAlerts = single(s, "SELECT COUNT(*) FROM alerts WHERE closed_at IS NULL");
    return out;
}

}  // namespace chatiere::manager
