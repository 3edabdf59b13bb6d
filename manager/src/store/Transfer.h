#pragma once

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// Where the transfer log's reader stopped in a log: the file (by inode) and the byte after the
// last whole line it counted.
struct TransferCursor {
    uint64_t inode = 0;
    uint64_t offset = 0;
    bool operator==(const TransferCursor&) const = default;
};

// A service's running total of bytes sent through the proxy (what /metrics exposes as a counter).
struct TransferTotal {
    std::string serviceId;
    std::string associationId;
    int64_t bytes = 0;
};

// The proxy's transfer (schema v18, monitoring/TransferLog): the reader's cursor per log, the
// bytes each reading added per service (rolled up by UsageRepository into the usage_* figures)
// and each service's running total. The reader writes the cursor and the bytes in one transaction.
class TransferRepository {
public:
    explicit TransferRepository(Session& session) : session_(session) {}

    std::optional<TransferCursor> cursor(const std::string& log);
    void saveCursor(const std::string& log, const TransferCursor& cursor, const std::string& at);
    // The association of each service not deleted, by service id: whose bytes are counted.
    std::map<std::string, std::string> countedServices();
    // Adds `bytes` sent for the service at `at`: a sample and its running total.
    void add(const std::string& serviceId, const std::string& associationId, int64_t bytes,
             const std::string& at);
    std::vector<TransferTotal> totals();
    // Deletes the readings before `cutoff`, never those of an hour not yet rolled up; how many.
    int prune(const std::string& cutoff);

private:
    Session& session_;
};

}  // namespace chatiere::manager
