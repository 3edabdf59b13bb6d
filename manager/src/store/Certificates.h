#pragma once

#include "chatiere/manager/Database.h"
#include "core/States.h"

#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// The certificate the proxy serves for one public name (schema v17; docs/public-addresses.md,
// "Certificates"): a service's current name, or Chatière's own host (no service).
struct CertificateRecord {
    std::string name;
    std::optional<std::string> serviceId;
    TlsStatus status = TlsStatus::SelfSigned;
    std::optional<std::string> issuer;    // of an issued certificate served; none while self-signed
    std::optional<std::string> notAfter;  // RFC 3339 UTC
    std::optional<std::string> lastError;
    int failures = 0;                          // orders failed in a row
    std::optional<std::string> nextAttemptAt;  // no order before (the backoff, or the renewal date)
    std::string createdAt;
    std::string updatedAt;
};

class CertificateRepository {
public:
    explicit CertificateRepository(Session& session) : session_(session) {}

    std::optional<CertificateRecord> find(const std::string& name);
    std::vector<CertificateRecord> all();
    // The row of `name` as self-signed (until `notAfter`), unless the name has one: true when added.
    bool ensure(const std::string& name, const std::optional<std::string>& serviceId,
                const std::string& notAfter, const std::string& nextAttemptAt, const std::string& at);
    // The names whose order may start now: next_attempt_at passed (or none), not pending.
    std::vector<CertificateRecord> due(const std::string& now);
    void markPending(const std::string& name, const std::string& at);
    void markIssued(const std::string& name, const std::string& issuer, const std::string& notAfter,
                    const std::string& renewAt, const std::string& at);
    // An order failed: the served certificate stays (its issuer and expiry unchanged).
    void markFailed(const std::string& name, const std::string& error, int failures,
                    const std::string& retryAt, const std::string& at);
    // The next pass orders it (the admin's "renew now").
    void makeDue(const std::string& name, const std::string& at);
    // Pending orders left by a daemon that stopped: they start again.
    void resetPending(const std::string& at);
    void remove(const std::string& name);
    // Names failing, or expiring before `before` (the admin's overview), soonest first.
    std::vector<CertificateRecord> needingAttention(const std::string& before);

private:
    Session& session_;
};

}  // namespace chatiere::manager
