#pragma once

#include "monitoring/HealthMonitor.h"
#include "monitoring/UsageCollector.h"

#include "chatiere/manager/Database.h"

#include <optional>
#include <string>

namespace chatiere::manager {

// What the metrics page shows besides the database: the collector's last cycle and the host.
struct MetricsInputs {
    std::optional<CollectionReport> collection;
    std::optional<double> collectedAtSeconds;  // Unix time of the last cycle's end
    HostHealth host;
    std::string today;  // the installation's local date: what each association's usage period is
};

// The Prometheus text exposition format (version 0.0.4): services by state and health, each
// service's and association's usage, quota ratios (now, and stored data averaged over the usage
// period), the job queue, the mail outbox, open alerts,
// the collector's last cycle and the host. Every family has HELP and TYPE, in base units.
std::string renderMetrics(Session& session, const MetricsInputs& inputs);

// A label value escaped as the format asks (backslash, double quote, line feed).
std::string escapeLabel(const std::string& value);

}  // namespace chatiere::manager
