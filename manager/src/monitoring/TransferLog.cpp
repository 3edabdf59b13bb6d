#include "monitoring/TransferLog.h"

#include "chatiere/manager/Time.h"

#include <Poco/Logger.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

namespace chatiere::manager {

namespace {

bool digits(std::string_view s) {
    return !s.empty() && s.size() <= 19 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool tokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// An open file, closed on destruction.
class File {
public:
    explicit File(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0 && errno != ENOENT) {
            throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
        }
    }
    ~File() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    std::optional<LogFile> stat() const {
        struct stat st {};
        if (fd_ < 0 || ::fstat(fd_, &st) != 0) {
            return std::nullopt;
        }
        return LogFile{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size)};
    }

    // Calls `line` for each whole line from `from` to the end of the file; the offset after the
    // last one.
    template <class OnLine>
    uint64_t readLines(uint64_t from, OnLine&& line) const {
        std::vector<char> buffer(1 << 20);
        std::string pending;
        uint64_t offset = from;
        uint64_t consumed = from;
        for (;;) {
            const ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), static_cast<off_t>(offset));
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw std::runtime_error(std::string("cannot read the transfer log: ") +
                                         std::strerror(errno));
            }
            if (n == 0) {
                break;
            }
            offset += static_cast<uint64_t>(n);
            std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
            for (;;) {
                const auto end = chunk.find('\n');
                if (end == std::string_view::npos) {
                    pending.append(chunk);
                    break;
                }
                if (pending.empty()) {
                    line(chunk.substr(0, end));
                } else {
                    pending.append(chunk.substr(0, end));
                    line(std::string_view(pending));
                    pending.clear();
                }
                chunk.remove_prefix(end + 1);
                consumed = offset - chunk.size();
            }
        }
        return consumed;
    }

private:
    int fd_;
};

}  // namespace

std::optional<TransferLine> parseTransferLine(std::string_view line) {
    const auto first = line.find(' ');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    const auto second = line.find(' ', first + 1);
    if (second == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view msec = line.substr(0, first);
    const std::string_view service = line.substr(first + 1, second - first - 1);
    const std::string_view bytes = line.substr(second + 1);
    const auto dot = msec.find('.');
    if (dot == std::string_view::npos || !digits(msec.substr(0, dot)) || !digits(msec.substr(dot + 1))) {
        return std::nullopt;
    }
    if (service.empty() || service.size() > 128 || !std::all_of(service.begin(), service.end(), tokenChar)) {
        return std::nullopt;
    }
    if (!digits(bytes) || (bytes.size() == 19 && bytes > "9223372036854775807")) {
        return std::nullopt;
    }
    uint64_t value = 0;
    for (char c : bytes) {
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return TransferLine{service, value};
}

TransferReadPlan planTransferRead(const std::optional<TransferCursor>& cursor,
                                  const std::optional<LogFile>& current,
                                  const std::optional<LogFile>& rotated) {
    TransferReadPlan plan;
    if (!cursor) {
        // Never read: the log from its start (a rotated file of unknown provenance is left alone).
        if (current) {
            plan.currentFrom = 0;
        }
        return plan;
    }
    if (current && current->inode == cursor->inode) {
        plan.truncated = current->size < cursor->offset;
        plan.currentFrom = plan.truncated ? 0 : cursor->offset;
        return plan;
    }
    if (rotated && rotated->inode == cursor->inode) {
        plan.rotatedFrom = std::min(cursor->offset, rotated->size);
    } else if (current) {
        plan.lost = true;
    }
    if (current) {
        plan.currentFrom = 0;
    }
    return plan;
}

TransferLog::TransferLog(Database& db, base::Clock& clock, Poco::Logger& logger, std::filesystem::path log,
                         int rawRetentionDays)
    : db_(db), clock_(clock), logger_(logger), log_(std::move(log)), rawRetentionDays_(rawRetentionDays) {}

TransferReport TransferLog::readOnce() {
    std::lock_guard lock(mutex_);
    TransferReport report;
    const std::string key = log_.string();
    auto s = db_.session();
    TransferRepository repository(s);
    Transaction tx(s);
    const auto cursor = repository.cursor(key);
    // Opened before they are looked at: what is read is the file whose inode the plan saw.
    const File current(log_);
    const File rotated(log_.string() + ".1");
    const auto currentFile = current.stat();
    const auto rotatedFile = rotated.stat();
    const TransferReadPlan plan = planTransferRead(cursor, currentFile, rotatedFile);
    if (!plan.rotatedFrom && !plan.currentFrom) {
        return report;
    }

    struct Tally {
        int64_t bytes = 0;
        int64_t lines = 0;
    };
    std::map<std::string, Tally, std::less<>> tallies;  // by service id
    const auto count = [&](std::string_view text) {
        const auto line = parseTransferLine(text);
        if (!line) {
            ++report.malformedLines;
            return;
        }
        auto it = tallies.find(line->serviceId);
        if (it == tallies.end()) {
            it = tallies.emplace(std::string(line->serviceId), Tally{}).first;
        }
        it->second.bytes += static_cast<int64_t>(line->bytes);
        ++it->second.lines;
    };
    TransferCursor next = cursor.value_or(TransferCursor{});
    if (plan.rotatedFrom) {
        next = {rotatedFile->inode, rotated.readLines(*plan.rotatedFrom, count)};
        report.rotated = true;
    }
    if (plan.currentFrom) {
        next = {currentFile->inode, current.readLines(*plan.currentFrom, count)};
    }
    report.lost = plan.lost;

    const std::string at = formatTime(clock_.now());
    const auto counted = repository.countedServices();
    for (const auto& [serviceId, tally] : tallies) {
        const auto service = counted.find(serviceId);
        if (service == counted.end()) {
            report.unknownLines += tally.lines;
            continue;
        }
        if (tally.bytes > 0) {
            repository.add(serviceId, service->second, tally.bytes, at);
        }
        report.lines += tally.lines;
        report.bytes += tally.bytes;
    }
    if (!cursor || next != *cursor) {
        repository.saveCursor(key, next, at);
    }
    repository.prune(formatTime(clock_.now() - std::chrono::hours(24) * rawRetentionDays_));
    tx.commit();

    if (plan.lost) {
        logger_.warning(
            "transfer log %s: the file read last is gone (rotated twice between two readings?); "
            "what it held after %s bytes was not counted",
            key, std::to_string(cursor->offset));
    }
    if (plan.truncated) {
        logger_.warning("transfer log %s was truncated under the reader: read again from its start", key);
    }
    if (report.unknownLines > 0 || report.malformedLines > 0) {
        logger_.information(
            "transfer log %s: %s lines of unknown or deleted services and %s malformed "
            "lines skipped",
            key, std::to_string(report.unknownLines), std::to_string(report.malformedLines));
    }
    return report;
}

}  // namespace chatiere::manager
