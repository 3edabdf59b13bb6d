#pragma once

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace chatiere::manager {

inline constexpr double kBytesPerGiB = 1024.0 * 1024.0 * 1024.0;

// What an association uses now, in each quota metric's unit: `disk_gib` measured (the latest
// allocation of its data volumes), `memory_mib`, `vcpus` and `services` allocated (services not
// deleted, as the plan's limits count them).
using MetricUse = std::map<std::string, double>;

// By association id; one query. `associationId` narrows it to one association.
std::map<std::string, MetricUse> currentUsage(Session& session,
                                              const std::optional<std::string>& associationId = std::nullopt);

// An association's stored data over the local days [fromDay, toDay), from the daily figures:
// its peak and its average (weighted by samples), in GiB. What billing reads for overage.
struct StoredFigures {
    std::optional<double> peakGib;
    std::optional<double> averageGib;
    int64_t samples = 0;
};
StoredFigures storedOver(Session& session, const std::string& associationId,
                         const std::string& fromDay, const std::string& toDay);

}  // namespace chatiere::manager
