#include "store/Certificates.h"

namespace chatiere::manager {

namespace {

#define CHATIERE_CERTIFICATE_COLUMNS                                                              \
    "SELECT name, service_id, status, issuer, not_after, last_error, failures, next_attempt_at, " \
    "created_at, updated_at FROM certificates "

CertificateRecord certificateFrom(const Row& r) {
    CertificateRecord c;
    c.name = r.text(0);
    c.serviceId = r.optText(1);
    c.status = storedState<TlsStatus>(r.text(2), "certificates.status");
    c.issuer = r.optText(3);
    c.notAfter = r.optText(4);
    c.lastError = r.optText(5);
    c.failures = static_cast<int>(r.integer(6));
    c.nextAttemptAt = r.optText(7);
    c.createdAt = r.text(8);
    c.updatedAt = r.text(9);
    return c;
}

constexpr const char* kFind = CHATIERE_CERTIFICATE_COLUMNS "WHERE name = ?";
constexpr const char* kAll = CHATIERE_CERTIFICATE_COLUMNS "ORDER BY name";
constexpr const char* kEnsure =
    "INSERT OR IGNORE INTO certificates (name, service_id, status, not_after, next_attempt_at, "
    "created_at, updated_at) VALUES (?, ?, 'self_signed', ?, ?, ?, ?)";
constexpr const char* kDue = CHATIERE_CERTIFICATE_COLUMNS
    "WHERE status != 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
    "ORDER BY next_attempt_at, name";
constexpr const char* kMarkPending =
    "UPDATE certificates SET status = 'pending', updated_at = ? WHERE name = ?";
constexpr const char* kMarkIssued =
    "UPDATE certificates SET status = 'issued', issuer = ?, not_after = ?, last_error = NULL, failures = 0, "
    "next_attempt_at = ?, updated_at = ? WHERE name = ?";
constexpr const char* kMarkFailed =
    "UPDATE certificates SET status = 'failed', last_error = ?, failures = ?, next_attempt_at = ?, "
    "updated_at = ? WHERE name = ?";
// A self-signed certificate has no issuer stored: what tells the states apart after a restart.
constexpr const char* kResetPending =
    "UPDATE certificates SET status = CASE WHEN failures > 0 THEN 'failed' WHEN issuer IS NULL THEN "
    "'self_signed' ELSE 'issued' END, updated_at = ? WHERE status = 'pending'";
constexpr const char* kMakeDue =
    "UPDATE certificates SET next_attempt_at = ?1, updated_at = ?1 WHERE name = ?2";
constexpr const char* kRemove = "DELETE FROM certificates WHERE name = ?";
constexpr const char* kNeedingAttention = CHATIERE_CERTIFICATE_COLUMNS
    "WHERE status = 'failed' OR (not_after IS NOT NULL AND not_after < ?) ORDER BY not_after, name";

}  // namespace

std::optional<CertificateRecord> CertificateRepository::find(const std::string& name) {
    return session_.first(kFind, certificateFrom, name);
}

std::vector<CertificateRecord> CertificateRepository::all() {
    return session_.query(kAll, certificateFrom);
}

bool CertificateRepository::ensure(const std::string& name, const std::optional<std::string>& serviceId,
                                   const std::string& notAfter, const std::string& nextAttemptAt,
                                   const std::string& at) {
    return session_.execute(kEnsure, name, serviceId, notAfter, nextAttemptAt, at, at) > 0;
}

std::vector<CertificateRecord> CertificateRepository::due(const std::string& now) {
    return session_.query(kDue, certificateFrom, now);
}

void CertificateRepository::markPending(const std::string& name, const std::string& at) {
    session_.execute(kMarkPending, at, name);
}

void CertificateRepository::markIssued(const std::string& name, const std::string& issuer,
                                       const std::string& notAfter, const std::string& renewAt,
                                       const std::string& at) {
    session_.execute(kMarkIssued, issuer, notAfter, renewAt, at, name);
}

void CertificateRepository::markFailed(const std::string& name, const std::string& error, int failures,
                                       const std::string& retryAt, const std::string& at) {
    session_.execute(kMarkFailed, error, failures, retryAt, at, name);
}

void CertificateRepository::resetPending(const std::string& at) {
    session_.execute(kResetPending, at);
}

void CertificateRepository::makeDue(const std::string& name, const std::string& at) {
    session_.execute(kMakeDue, at, name);
}

void CertificateRepository::remove(const std::string& name) {
    session_.execute(kRemove, name);
}

std::vector<CertificateRecord> CertificateRepository::needingAttention(const std::string& before) {
    return session_.query(kNeedingAttention, certificateFrom, before);
}

}  // namespace chatiere::manager
