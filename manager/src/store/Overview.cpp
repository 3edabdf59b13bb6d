#include "store/Overview.h"

namespace chatiere::manager {

namespace {

constexpr const char* kAllocated =
    "SELECT COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mib), 0), COALESCE(SUM(disk_gib), 0) FROM services "
    "WHERE state != 'deleted'";
constexpr const char* kServicesByState =
    "SELECT state, COUNT(*) FROM services WHERE state != 'deleted' GROUP BY state";
constexpr const char* kSuspendedServices =
    "SELECT COUNT(*) FROM services WHERE state != 'deleted' AND suspended_for != ''";
constexpr const char* kServicesByStateAndHealth =
    "SELECT state, suspended_for, health, COUNT(*) FROM services WHERE state != 'deleted' "
    "GROUP BY state, suspended_for != '', health";
constexpr const char* kLatestReadings =
    "SELECT u.service_id, u.association_id, s.name, u.cpu_time_ns, u.memory_kib, u.stored_bytes "
    "FROM usage_latest u JOIN services s ON s.id = u.service_id WHERE s.state != 'deleted' "
    "ORDER BY u.service_id";
constexpr const char* kPendingJobs = "SELECT COUNT(*) FROM jobs WHERE status = 'pending'";
constexpr const char* kFailedJobs = "SELECT COUNT(*) FROM jobs WHERE status = 'failed'";
constexpr const char* kFailedJobsSince =
    "SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND finished_at > ?";
constexpr const char* kOldestPendingJob = "SELECT MIN(created_at) FROM jobs WHERE status = 'pending'";
constexpr const char* kUnsentMail =
    "SELECT status, COUNT(*) FROM outbox WHERE status != 'sent' GROUP BY status";
constexpr const char* kAssociationsByStatus = "SELECT status, COUNT(*) FROM associations GROUP BY status";
constexpr const char* kDraftInvoices = "SELECT COUNT(*) FROM invoices WHERE status = 'draft'";
constexpr const char* kOverdueInvoices =
    "SELECT COUNT(*) FROM invoices WHERE kind = 'invoice' AND status = 'finalized' AND due_date < ?";

std::map<std::string, int64_t> counts(Session& s, const char* sql) {
    std::map<std::string, int64_t> out;
    s.each(sql, [&out](const Row& r) { out[r.text(0)] = r.integer(1); });
    return out;
}

}  // namespace

Allocated OverviewRepository::allocated() {
    return session_
        .first(kAllocated,
               [](const Row& r) {
                   return Allocated{r.integer(0), r.integer(1), r.integer(2)};
               })
        .value_or(Allocated{});
}

std::map<std::string, int64_t> OverviewRepository::servicesByState() {
    return counts(session_, kServicesByState);
}

int64_t OverviewRepository::suspendedServices() {
    return session_.integer(kSuspendedServices).value_or(0);
}

std::vector<ServiceCount> OverviewRepository::servicesByStateAndHealth() {
    return session_.query(kServicesByStateAndHealth, [](const Row& r) {
        return ServiceCount{storedState<ServiceState>(r.text(0), "services.state"), r.text(1),
                            storedState<ServiceHealth>(r.text(2), "services.health"), r.integer(3)};
    });
}

std::vector<LatestReading> OverviewRepository::latestReadings() {
    return session_.query(kLatestReadings, [](const Row& r) {
        return LatestReading{r.text(0),       r.text(1),       r.text(2),
                             r.optInteger(3), r.optInteger(4), r.optInteger(5)};
    });
}

int64_t OverviewRepository::pendingJobs() {
    return session_.integer(kPendingJobs).value_or(0);
}

int64_t OverviewRepository::failedJobs() {
    return session_.integer(kFailedJobs).value_or(0);
}

int64_t OverviewRepository::failedJobsSince(const std::string& at) {
    return session_.integer(kFailedJobsSince, at).value_or(0);
}

std::optional<std::string> OverviewRepository::oldestPendingJob() {
    return session_.text(kOldestPendingJob);
}

std::map<std::string, int64_t> OverviewRepository::unsentMailByStatus() {
    return counts(session_, kUnsentMail);
}

std::map<std::string, int64_t> OverviewRepository::associationsByStatus() {
    return counts(session_, kAssociationsByStatus);
}

int64_t OverviewRepository::draftInvoices() {
    return session_.integer(kDraftInvoices).value_or(0);
}

int64_t OverviewRepository::overdueInvoices(const std::string& today) {
    return session_.integer(kOverdueInvoices, today).value_or(0);
}

}  // namespace chatiere::manager
