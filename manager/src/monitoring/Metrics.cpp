#include "monitoring/Metrics.h"

#include "billing/UsagePeriod.h"
#include "store/Alerts.h"
#include "store/Overview.h"
#include "store/Plans.h"
#include "store/Services.h"
#include "store/Transfer.h"
#include "store/Usage.h"

#include <cstdio>
#include <map>
#include <vector>

namespace chatiere::manager {

namespace {

std::string number(double v) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return buffer;
}

// Families in the order they are declared, each with its samples (which may come in any order).
class Writer {
public:
    void family(const std::string& name, const std::string& type, const std::string& help) {
        order_.push_back(name);
        families_[name] = "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    }
    void sample(const std::string& name, const std::map<std::string, std::string>& labels, double value) {
        std::string& out = families_.at(name);
        out += name;
        if (!labels.empty()) {
            out += '{';
            bool first = true;
            for (const auto& [k, v] : labels) {
                out += (first ? "" : ",") + k + "=\"" + escapeLabel(v) + '"';
                first = false;
            }
            out += '}';
        }
        out += ' ' + number(value) + '\n';
    }
    std::string str() const {
        std::string out;
        for (const auto& name : order_) {
            out += families_.at(name);
        }
        return out;
    }

private:
    std::vector<std::string> order_;
    std::map<std::string, std::string> families_;
};

}  // namespace

std::string escapeLabel(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string renderMetrics(Session& s, const MetricsInputs& inputs) {
    Writer w;

    // Services by state (as the API shows it) and health.
    std::map<std::pair<std::string, std::string>, int> byState;
    for (const char* state : {"requested", "provisioning", "active", "suspended", "failed", "deleting"}) {
        for (const char* health : {"unknown", "ok", "degraded"}) {
            byState[{state, health}] = 0;
        }
    }
    OverviewRepository read(s);
    for (const auto& count : read.servicesByStateAndHealth()) {
        Service service;
        service.state = count.state;
        service.suspendedFor = splitReasons(count.suspendedFor);
        byState[{service.displayState(), wireName(count.health)}] += static_cast<int>(count.count);
    }
    w.family("chatiere_services", "gauge", "Services by lifecycle state and health.");
    for (const auto& [key, n] : byState) {
        w.sample("chatiere_services", {{"state", key.first}, {"health", key.second}}, n);
    }

    // Each service's latest reading.
    w.family("chatiere_service_memory_bytes", "gauge",
             "Memory the service's guest uses (resident), last reading.");
    w.family("chatiere_service_cpu_seconds_total", "counter",
             "CPU time the service's guest used since it started (resets when the guest restarts).");
    w.family("chatiere_service_stored_bytes", "gauge",
             "Data the service's volume really stores, last reading.");
    for (const auto& reading : read.latestReadings()) {
        const std::map<std::string, std::string> labels = {
            {"service", reading.serviceId}, {"association", reading.associationId}, {"name", reading.name}};
        if (reading.memoryKib) {
            w.sample("chatiere_service_memory_bytes", labels, static_cast<double>(*reading.memoryKib) * 1024);
        }
        if (reading.cpuTimeNs) {
            w.sample("chatiere_service_cpu_seconds_total", labels,
                     static_cast<double>(*reading.cpuTimeNs) / 1e9);
        }
        if (reading.storedBytes) {
            w.sample("chatiere_service_stored_bytes", labels, static_cast<double>(*reading.storedBytes));
        }
    }

    // What each service sent through the proxy (its transfer log), since it was created.
    w.family("chatiere_service_transfer_bytes_total", "counter",
             "Bytes the proxy sent for the service (headers and bodies), as read from its transfer log.");
    for (const auto& total : TransferRepository(s).totals()) {
        w.sample("chatiere_service_transfer_bytes_total",
                 {{"service", total.serviceId}, {"association", total.associationId}},
                 static_cast<double>(total.bytes));
    }

    // Associations: stored data and quota ratios.
    UsageRepository usageRepository(s);
    const auto usage = usageRepository.current();
    w.family("chatiere_association_stored_bytes", "gauge",
             "Data the association's volumes store, last reading.");
    for (const auto& [id, use] : usage) {
        w.sample("chatiere_association_stored_bytes", {{"association", id}},
                 use.at("disk_gib") * kBytesPerGiB);
    }
    w.family("chatiere_quota_usage_ratio", "gauge",
             "An association's usage as a share of its plan's included amount or limit (1 = all of it).");
    {
        std::vector<std::string> ids;
        std::vector<std::string> plans;
        for (auto& [id, slug] : usageRepository.associationsWithPlans()) {
            ids.push_back(std::move(id));
            plans.push_back(std::move(slug));
        }
        PlanRepository repository(s);
        std::map<std::string, std::optional<Plan>> planCache;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (!planCache.count(plans[i])) {
                planCache[plans[i]] = repository.find(plans[i]);
            }
            const auto& plan = planCache[plans[i]];
            if (!plan) {
                continue;
            }
            const auto use = usage.find(ids[i]);
            for (const auto& [metric, quota] : plan->quotas) {
                double used = use == usage.end() || !use->second.count(metric) ? 0.0 : use->second.at(metric);
                if (metric == "transfer_gib") {
                    // Transfer counts over the usage period, as the quota ladder counts it.
                    if (inputs.today.empty()) {
                        continue;
                    }
                    const Period period = usagePeriod(s, ids[i], inputs.today);
                    used = static_cast<double>(
                               usageRepository.storedOver(ids[i], period.start, period.end).transferBytes) /
                           kBytesPerGiB;
                }
                if (quota.included > 0) {
                    w.sample("chatiere_quota_usage_ratio",
                             {{"association", ids[i]}, {"metric", metric}, {"bound", "included"}},
                             used / static_cast<double>(quota.included));
                }
                if (quota.limit > 0) {
                    w.sample("chatiere_quota_usage_ratio",
                             {{"association", ids[i]}, {"metric", metric}, {"bound", "limit"}},
                             used / static_cast<double>(quota.limit));
                }
            }
        }
        // Stored data averaged over each association's usage period — what overage is billed on.
        w.family("chatiere_quota_period_average_ratio", "gauge",
                 "An association's stored data averaged over its current usage period (its subscription's, "
                 "else the calendar month) as a share of its plan's included amount.");
        for (std::size_t i = 0; i < ids.size() && !inputs.today.empty(); ++i) {
            const auto& plan = planCache[plans[i]];
            const auto quota = plan ? plan->quotas.find("disk_gib") : decltype(plan->quotas.end()){};
            if (!plan || quota == plan->quotas.end() || quota->second.included <= 0) {
                continue;
            }
            const Period period = usagePeriod(s, ids[i], inputs.today);
            const StoredFigures stored = usageRepository.storedOver(ids[i], period.start, period.end);
            if (stored.averageGib) {
                w.sample("chatiere_quota_period_average_ratio",
                         {{"association", ids[i]}, {"metric", "disk_gib"}, {"bound", "included"}},
                         *stored.averageGib / static_cast<double>(quota->second.included));
            }
        }
    }

    // Queues.
    const auto pendingJobs = static_cast<double>(read.pendingJobs());
    const auto failedJobs = static_cast<double>(read.failedJobs());
    w.family("chatiere_jobs", "gauge", "Provisioning jobs by status (pending: the queue's depth).");
    w.sample("chatiere_jobs", {{"status", "pending"}}, pendingJobs);
    w.sample("chatiere_jobs", {{"status", "failed"}}, failedJobs);
    std::map<std::string, int64_t> outbox = {{"pending", 0}, {"failed", 0}};
    for (const auto& [status, n] : read.unsentMailByStatus()) {
        if (outbox.count(status)) {
            outbox[status] = n;
        }
    }
    w.family("chatiere_outbox_messages", "gauge", "Mails in the outbox by status (pending: not yet sent).");
    for (const auto& [status, n] : outbox) {
        w.sample("chatiere_outbox_messages", {{"status", status}}, n);
    }
    std::map<std::string, int> alerts = {{"health", 0}, {"quota", 0}, {"host", 0}};
    for (const auto& [kind, n] : AlertBook(s).openByKind()) {
        alerts[kind] = n;
    }
    w.family("chatiere_alerts_open", "gauge", "Open alerts by kind.");
    for (const auto& [kind, n] : alerts) {
        w.sample("chatiere_alerts_open", {{"kind", kind}}, n);
    }

    // The collector's last cycle.
    if (inputs.collection) {
        w.family("chatiere_collector_duration_seconds", "gauge", "How long the last usage collection took.");
        w.sample("chatiere_collector_duration_seconds", {},
                 static_cast<double>(inputs.collection->duration.count()) / 1000.0);
        w.family("chatiere_collector_samples", "gauge", "Usage samples stored by the last collection.");
        w.sample("chatiere_collector_samples", {}, inputs.collection->samples);
        w.family("chatiere_collector_missing_guests", "gauge",
                 "Services without a running guest in the last collection.");
        w.sample("chatiere_collector_missing_guests", {}, inputs.collection->missingGuests);
    }
    if (inputs.collectedAtSeconds) {
        w.family("chatiere_collector_last_run_timestamp_seconds", "gauge",
                 "When the last usage collection ended.");
        w.sample("chatiere_collector_last_run_timestamp_seconds", {}, *inputs.collectedAtSeconds);
    }

    // The host.
    if (!inputs.host.checkedAt.empty()) {
        w.family("chatiere_libvirt_up", "gauge",
                 "Whether libvirtd answered the last host check (1) or not (0).");
        w.sample("chatiere_libvirt_up", {}, inputs.host.libvirtReachable ? 1 : 0);
        if (inputs.host.pool) {
            w.family("chatiere_pool_capacity_bytes", "gauge",
                     "Size of the storage pool of the guests' volumes.");
            w.sample("chatiere_pool_capacity_bytes", {},
                     static_cast<double>(inputs.host.pool->capacityBytes));
            w.family("chatiere_pool_available_bytes", "gauge", "Free space in the storage pool.");
            w.sample("chatiere_pool_available_bytes", {},
                     static_cast<double>(inputs.host.pool->availableBytes));
        }
        if (inputs.host.memoryTotalKib > 0) {
            w.family("chatiere_host_memory_bytes", "gauge", "The host's memory.");
            w.sample("chatiere_host_memory_bytes", {},
                     static_cast<double>(inputs.host.memoryTotalKib) * 1024);
            w.family("chatiere_host_memory_available_bytes", "gauge",
                     "The host's memory available to new work.");
            w.sample("chatiere_host_memory_available_bytes", {},
                     static_cast<double>(inputs.host.memoryAvailableKib) * 1024);
        }
    }
    return w.str();
}

}  // namespace chatiere::manager
