#include "store/Transfer.h"

namespace chatiere::manager {

namespace {

constexpr const char* kCursor = "SELECT inode, byte_offset FROM transfer_cursors WHERE log = ?";
constexpr const char* kSaveCursor =
    "INSERT INTO transfer_cursors (log, inode, byte_offset, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (log) DO UPDATE SET inode = excluded.inode, byte_offset = excluded.byte_offset, "
    "updated_at = excluded.updated_at";
constexpr const char* kCountedServices = "SELECT id, association_id FROM services WHERE state != 'deleted'";
constexpr const char* kAddSample =
    "INSERT INTO transfer_samples (service_id, association_id, at, bytes) VALUES (?, ?, ?, ?)";
constexpr const char* kAddTotal =
    "INSERT INTO transfer_totals (service_id, association_id, bytes, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (service_id) DO UPDATE SET bytes = transfer_totals.bytes + excluded.bytes, "
    "updated_at = excluded.updated_at";
constexpr const char* kTotals =
    "SELECT t.service_id, t.association_id, t.bytes FROM transfer_totals t JOIN services s ON s.id = "
    "t.service_id WHERE s.state != 'deleted' ORDER BY t.service_id";
constexpr const char* kPrune =
    "DELETE FROM transfer_samples WHERE at < ? AND at < COALESCE((SELECT through FROM rollup_state "
    "WHERE name = 'hourly'), '')";

}  // namespace

std::optional<TransferCursor> TransferRepository::cursor(const std::string& log) {
    return session_.first(
        kCursor,
        [](const Row& r) {
            return TransferCursor{static_cast<uint64_t>(r.integer(0)), static_cast<uint64_t>(r.integer(1))};
        },
        log);
}

void TransferRepository::saveCursor(const std::string& log, const TransferCursor& cursor,
                                    const std::string& at) {
    session_.execute(kSaveCursor, log, static_cast<int64_t>(cursor.inode),
                     static_cast<int64_t>(cursor.offset), at);
}

std::map<std::string, std::string> TransferRepository::countedServices() {
    std::map<std::string, std::string> out;
    session_.each(kCountedServices, [&out](const Row& r) { out.emplace(r.text(0), r.text(1)); });
    return out;
}

void TransferRepository::add(const std::string& serviceId, const std::string& associationId, int64_t bytes,
                             const std::string& at) {
    session_.execute(kAddSample, serviceId, associationId, at, bytes);
    session_.execute(kAddTotal, serviceId, associationId, bytes, at);
}

std::vector<TransferTotal> TransferRepository::totals() {
    return session_.query(kTotals, [](const Row& r) {
        return TransferTotal{r.text(0), r.text(1), r.integer(2)};
    });
}

int TransferRepository::prune(const std::string& cutoff) {
    return session_.execute(kPrune, cutoff);
}

}  // namespace chatiere::manager
