#include "monitoring/HealthMonitor.h"

#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"
#include "store/Alerts.h"
#include "store/ServiceHealth.h"

#include <Poco/Logger.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace chatiere::manager {

using provisioning::HypervisorError;

namespace {

void readMeminfo(const std::string& path, HostHealth& host) {
    std::ifstream in(path);
    std::string key;
    uint64_t value = 0;
    std::string unit;
    while (in >> key >> value) {
        std::getline(in, unit);
        if (key == "MemTotal:") {
            host.memoryTotalKib = value;
        } else if (key == "MemAvailable:") {
            host.memoryAvailableKib = value;
        }
    }
}

std::string percentText(double share) {
    std::ostringstream out;
    out.precision(3);
    out << share * 100 << " %";
    return out.str();
}

}  // namespace

HealthMonitor::HealthMonitor(Database& db, provisioning::Hypervisor& hypervisor,
                             provisioning::HealthProbe& probe, const templates::Catalogue& catalogue,
                             const Calendar& calendar, base::Clock& clock, Poco::Logger& logger,
                             HealthSettings settings)
    : db_(db),
      hypervisor_(hypervisor),
      probe_(probe),
      catalogue_(catalogue),
      calendar_(calendar),
      clock_(clock),
      logger_(logger),
      settings_(std::move(settings)) {}

HealthReport HealthMonitor::checkDue() {
    HealthReport report;
    const Actor system = Actor::system("health");
    auto s = db_.session();
    ServiceHealthRepository services(s);
    {
        // A service that is no longer up (suspended, stopped, deleted) has no health to speak of.
        const std::string at = formatTime(clock_.now());
        Transaction tx(s);
        AlertBook alerts(s);
        for (const auto& id : services.idleWithHealth()) {
            services.forget(id);
            alerts.resolve("health:" + id, at);
        }
        tx.commit();
    }
    const std::vector<HealthCandidate> candidates = services.candidates();
    for (const auto& c : candidates) {
        const auto* manifest = catalogue_.find(c.templateName);
        if (!manifest) {
            continue;
        }
        const auto nowPoint = clock_.now();
        const int interval =
            settings_.intervalSeconds > 0 ? settings_.intervalSeconds : manifest->health.intervalSeconds;
        if (c.checkedAt) {
            const auto last = parseTime(*c.checkedAt);
            if (last && nowPoint - *last < std::chrono::seconds(interval)) {
                continue;
            }
        }
        std::string detail;
        const auto port = c.ports.find(manifest->health.port);
        const bool ok =
            probe_.check(manifest->health, port != c.ports.end() ? port->second : c.hostPort, detail);
        ++report.checked;
        const std::string at = formatTime(clock_.now());
        const std::string day = calendar_.dateOf(clock_.now());
        const int failures = ok ? 0 : c.failures + 1;
        // Not yet known to be bad (unknown) stays so: degraded only after K failures.
        ServiceHealth health = c.health;
        if (ok) {
            health = ServiceHealth::Ok;
        } else if (failures >= settings_.failuresForDegraded) {
            health = ServiceHealth::Degraded;
        }
        Transaction tx(s);
        services.recordCheck(c.id, health, failures, at,
                             ok ? std::nullopt : std::optional<std::string>(detail), day, ok);
        AlertBook alerts(s);
        Poco::JSON::Object details;
        details.set("failures", failures);
        if (!ok) {
            details.set("detail", detail);
            ++report.failed;
        }
        if (health == ServiceHealth::Degraded && c.health != ServiceHealth::Degraded) {
            alerts.raise({0, "health:" + c.id, "health", "critical", c.associationId, c.id,
                          "Service " + c.name + " failed its health check " + std::to_string(failures) +
                              " times in a row: " + detail,
                          "", "", std::nullopt},
                         at);
            AuditLog::record(s, system, at, "service.health_degraded", "service", c.id, c.associationId,
                             details);
            ++report.degraded;
            logger_.warning("service %s is degraded: %s", c.id, detail);
        } else if (ok && c.health == ServiceHealth::Degraded) {
            alerts.resolve("health:" + c.id, at);
            AuditLog::record(s, system, at, "service.health_recovered", "service", c.id, c.associationId,
                             details);
            ++report.recovered;
            logger_.information("service %s is healthy again", c.id);
        }
        tx.commit();
    }
    return report;
}

HostHealth HealthMonitor::checkHost() {
    HostHealth host;
    host.checkedAt = formatTime(clock_.now());
    try {
        host.pool = hypervisor_.poolInfo(settings_.pool);
        host.libvirtReachable = true;
    } catch (const HypervisorError& e) {
        host.libvirtReachable = e.code() != HypervisorError::Code::Unavailable;
        if (host.libvirtReachable) {
            logger_.debug("storage pool %s: %s", settings_.pool, std::string(e.what()));
        }
    }
    readMeminfo(settings_.meminfoPath, host);

    auto s = db_.session();
    Transaction tx(s);
    AlertBook alerts(s);
    if (!host.libvirtReachable) {
        alerts.raise({0, "host:libvirt", "host", "critical", std::nullopt, std::nullopt,
                      "libvirtd does not answer: guests cannot be created, changed or measured.", "", "",
                      std::nullopt},
                     host.checkedAt);
    } else {
        alerts.resolve("host:libvirt", host.checkedAt);
    }
    if (host.pool && host.pool->capacityBytes > 0) {
        const double free =
            static_cast<double>(host.pool->availableBytes) / static_cast<double>(host.pool->capacityBytes);
        if (free * 100 < settings_.poolFreeAlertPercent) {
            alerts.raise(
                {0, "host:pool_space", "host", free < 0.02 ? "critical" : "warning", std::nullopt,
                 std::nullopt,
                 "Storage pool " + settings_.pool + " has " + percentText(free) + " of its space free (" +
                     std::to_string(host.pool->availableBytes >> 20) + " MiB).",
                 "", "", std::nullopt},
                host.checkedAt);
        } else {
            alerts.resolve("host:pool_space", host.checkedAt);
        }
    }
    if (host.memoryTotalKib > 0) {
        const double free =
            static_cast<double>(host.memoryAvailableKib) / static_cast<double>(host.memoryTotalKib);
        if (free * 100 < settings_.memoryFreeAlertPercent) {
            alerts.raise({0, "host:memory", "host", "warning", std::nullopt, std::nullopt,
                          "The host has " + percentText(free) + " of its memory available (" +
                              std::to_string(host.memoryAvailableKib >> 10) + " MiB).",
                          "", "", std::nullopt},
                         host.checkedAt);
        } else {
            alerts.resolve("host:memory", host.checkedAt);
        }
    }
    tx.commit();
    std::lock_guard lock(mutex_);
    host_ = host;
    return host;
}

HostHealth HealthMonitor::lastHost() {
    std::lock_guard lock(mutex_);
    return host_;
}

}  // namespace chatiere::manager
