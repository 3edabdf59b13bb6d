#pragma once

#include <Poco/Data/Session.h>

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
std::map<std::string, MetricUse> currentUsage(Poco::Data::Session& session,
                                              const std::optional<std::string>& associationId = std::nullopt);

}  // namespace chatiere::manager
