#pragma once

#include "chatiere/manager/Database.h"
#include "core/States.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// One mail of the outbox, as stored.
struct OutboxMail {
    int64_t id = 0;
    std::string messageId;
    std::string recipient;
    std::string subject;
    std::string body;
    std::string templateName;
    MailStatus status = MailStatus::Pending;
    int attempts = 0;
    std::string nextAttemptAt;
    std::optional<std::string> lastError;
    std::string createdAt;
    std::optional<std::string> sentAt;
};

// The outbox table: mails rendered and waiting to be sent (OutboxWorker sends them).
class OutboxRepository {
public:
    explicit OutboxRepository(Session& session) : session_(session) {}
    // A pending mail, due at once; returns its id.
    int64_t insert(const std::string& messageId, const std::string& recipient, const std::string& subject,
                   const std::string& body, const std::string& templateName, const std::string& at);
    std::optional<OutboxMail> find(int64_t id);
    // Pending mails due at `at` with an id above `afterId`, by id, at most `limit`.
    std::vector<OutboxMail> due(const std::string& at, int64_t afterId, int limit);
    // Claimed for a send attempt: counted, and not due again before `until`.
    void lease(int64_t id, int attempts, const std::string& until);
    void markSent(int64_t id, const std::string& at);
    // A failed attempt: retried at `retryAt`, or failed for good when `giveUp`.
    void markAttemptFailed(int64_t id, bool giveUp, const std::string& retryAt, const std::string& error);
    // How many mails are in each status (absent: none).
    std::map<std::string, int> countByStatus();

private:
    Session& session_;
};

}  // namespace chatiere::manager
