#pragma once

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// One day of an association's usage, as the export gives it.
struct ExportUsageDay {
    std::string day;
    int64_t samples = 0;
    int64_t cpuNs = 0;
    std::optional<int64_t> storedBytesAvg;  // nullopt: never measured that day
    std::optional<int64_t> storedBytesMax;
};

// What the association's export reads that no other repository gives.
class ExportReader {
public:
    explicit ExportReader(Session& session) : session_(session) {}
    // Its daily usage, oldest first.
    std::vector<ExportUsageDay> usageDays(const std::string& associationId);

private:
    Session& session_;
};

}  // namespace chatiere::manager
