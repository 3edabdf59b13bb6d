#include "store/ExportReader.h"

namespace chatiere::manager {

namespace {
constexpr const char* kUsageDays =
    "SELECT day, samples, cpu_ns, stored_bytes_avg, stored_bytes_max FROM association_usage_daily "
    "WHERE association_id = ? ORDER BY day";
}  // namespace

std::vector<ExportUsageDay> ExportReader::usageDays(const std::string& associationId) {
    return session_.query(
        kUsageDays,
        [](const Row& r) {
            ExportUsageDay d;
            d.day = r.text(0);
            d.samples = r.integer(1);
            d.cpuNs = r.integer(2);
            d.storedBytesAvg = r.optInteger(3);
            d.storedBytesMax = r.optInteger(4);
            return d;
        },
        associationId);
}

}  // namespace chatiere::manager
