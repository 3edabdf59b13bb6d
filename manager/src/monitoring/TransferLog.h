#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "store/Transfer.h"

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

// One line of the proxy's transfer log (log_format chatiere_transfer '$msec $chatiere_service
// $bytes_sent', hosting/NginxConfig): the service's id ("-" for none) and the bytes sent.
struct TransferLine {
    std::string_view serviceId;
    uint64_t bytes = 0;
};

// A line without its '\n'; nullopt when it is not three fields "<seconds>.<millis> <token> <digits>".
std::optional<TransferLine> parseTransferLine(std::string_view line);

// A log file as opened: its inode and size.
struct LogFile {
    uint64_t inode = 0;
    uint64_t size = 0;
};

// What to read of the log `current` and of its rotated predecessor `<log>.1` from the stored
// cursor: first the rest of the rotated file (the cursor's inode is its inode), then the current
// file from 0; or the current file from the cursor when it is still the cursor's file.
struct TransferReadPlan {
    std::optional<uint64_t> rotatedFrom;  // read <log>.1 from this offset
    std::optional<uint64_t> currentFrom;  // then <log> from this offset
    // The cursor's file is neither the log nor <log>.1 (rotated twice between two readings, or
    // removed): what it held after the cursor was never counted.
    bool lost = false;
    bool truncated = false;  // the cursor's file shrank under the cursor (copytruncate): from 0
};
TransferReadPlan planTransferRead(const std::optional<TransferCursor>& cursor,
                                  const std::optional<LogFile>& current,
                                  const std::optional<LogFile>& rotated);

struct TransferReport {
    int64_t lines = 0;         // counted
    int64_t bytes = 0;         // counted
    int64_t unknownLines = 0;  // of a service unknown or deleted (or of none): skipped
    int64_t malformedLines = 0;
    bool rotated = false;  // the rotated file was finished
    bool lost = false;     // see TransferReadPlan::lost
};

// Reads the proxy's transfer log incrementally (docs/public-addresses.md, "Transfer log"): whole
// lines only (a partial last line waits for its end), the bytes of each service added to the usage
// data (store/Transfer: a reading, rolled up per hour and day like the usage samples) in the same
// transaction as the cursor (inode, offset). A rotation (the log renamed to <log>.1 and reopened)
// is followed by the inode: the rotated file is finished from the cursor, then the new one read
// from 0. So a restart, a rotation or a crash between the read and the commit never counts a line
// twice or skips one. Lines of services unknown or deleted are skipped, counted in the log.
class TransferLog {
public:
    TransferLog(Database& db, base::Clock& clock, Poco::Logger& logger, std::filesystem::path log,
                int rawRetentionDays);

    TransferReport readOnce();

    const std::filesystem::path& path() const { return log_; }

private:
    Database& db_;
    base::Clock& clock_;
    Poco::Logger& logger_;
    std::filesystem::path log_;
    int rawRetentionDays_;
    std::mutex mutex_;  // one reading at a time
};

}  // namespace chatiere::manager
