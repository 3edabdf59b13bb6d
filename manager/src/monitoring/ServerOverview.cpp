#include "monitoring/ServerOverview.h"

#include "chatiere/manager/Time.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>

#include <fstream>
#include <thread>

namespace chatiere::manager {

using namespace Poco::Data::Keywords;

namespace {

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

// "name count" rows of `sql` into {name: count}, with every name of `names` present (0 when absent).
Poco::JSON::Object counts(Session& s, const std::string& sql,
                          const std::vector<std::string>& names) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& name : names) {
        out.set(name, 0);
    }
    Poco::Data::Statement stmt(s);
    stmt << sql;
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        out.set(rs[0].convert<std::string>(), rs[1].convert<Poco::Int64>());
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
    // What the services were given (every one still holding resources).
    Poco::JSON::Object allocated(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::Int64 vcpus = 0, memoryMib = 0, diskGib = 0;
    s << "SELECT COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mib), 0), COALESCE(SUM(disk_gib), 0) FROM "
         "services "
         "WHERE state != 'deleted'",
        into(vcpus), into(memoryMib), into(diskGib), now;
    allocated.set("vcpus", vcpus);
    allocated.set("memory_mib", memoryMib);
    allocated.set("disk_gib", diskGib);
    out.set("allocated", allocated);

    Poco::JSON::Object services =
        counts(s, "SELECT state, COUNT(*) FROM services WHERE state != 'deleted' GROUP BY state",
               {"requested", "provisioning", "active", "failed", "deleting"});
    services.set("suspended",
                 single(s, "SELECT COUNT(*) FROM services WHERE state != 'deleted' AND suspended_for != ''"));
    out.set("services", services);

    Poco::JSON::Object jobs(Poco::JSON_PRESERVE_KEY_ORDER);
    jobs.set("pending", single(s, "SELECT COUNT(*) FROM jobs WHERE status = 'pending'"));
    jobs.set("failed_24h", single(s, "SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND finished_at > ?",
                                  formatTime(nowPoint - std::chrono::hours(24))));
    std::vector<std::string> oldest;
    s << "SELECT MIN(created_at) FROM jobs WHERE status = 'pending' HAVING COUNT(*) > 0", into(oldest), now;
    jobs.set("oldest_pending_at", oldest.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(oldest.front()));
    out.set("jobs", jobs);

    out.set("outbox", counts(s, "SELECT status, COUNT(*) FROM outbox WHERE status != 'sent' GROUP BY status",
                             {"pending", "failed"}));
    out.set("associations", counts(s, "SELECT status, COUNT(*) FROM associations GROUP BY status",
                                   {"pending", "active", "suspended", "closed", "rejected"}));

    Poco::JSON::Object invoices(Poco::JSON_PRESERVE_KEY_ORDER);
    const std::string today = calendar_.dateOf(nowPoint);
    invoices.set("drafts", single(s, "SELECT COUNT(*) FROM invoices WHERE status = 'draft'"));
    invoices.set("overdue", single(s,
                                   "SELECT COUNT(*) FROM invoices WHERE kind = 'invoice' AND status = "
                                   "'finalized' AND due_date < ?",
                                   today));
    out.set("invoices", invoices);
    out.set("open_alerts", single(s, "SELECT COUNT(*) FROM alerts WHERE closed_at IS NULL"));
    return out;
}

}  // namespace chatiere::manager
