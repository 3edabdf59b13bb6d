#include "store/Outbox.h"

namespace chatiere::manager {

namespace {

#define CHATIERE_OUTBOX_SELECT                                                                       \
    "SELECT id, message_id, recipient, subject, body, template, status, attempts, next_attempt_at, " \
    "last_error, created_at, sent_at FROM outbox "

constexpr const char* kFind = CHATIERE_OUTBOX_SELECT "WHERE id = ?";
constexpr const char* kDue =
    CHATIERE_OUTBOX_SELECT "WHERE status = 'pending' AND next_attempt_at <= ? AND id > ? ORDER BY id LIMIT ?";

#undef CHATIERE_OUTBOX_SELECT

constexpr const char* kInsert =
    "INSERT INTO outbox (message_id, recipient, subject, body, template, status, attempts, next_attempt_at, "
    "created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)";
constexpr const char* kLease = "UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?";
constexpr const char* kMarkSent =
    "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?";
constexpr const char* kMarkAttemptFailed =
    "UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?";
constexpr const char* kCountByStatus = "SELECT status, COUNT(*) FROM outbox GROUP BY status";

OutboxMail outboxMailFrom(const Row& r) {
    OutboxMail m;
    m.id = r.integer(0);
    m.messageId = r.text(1);
    m.recipient = r.text(2);
    m.subject = r.text(3);
    m.body = r.text(4);
    m.templateName = r.text(5);
    m.status = storedState<MailStatus>(r.text(6), "outbox.status");
    m.attempts = static_cast<int>(r.integer(7));
    m.nextAttemptAt = r.text(8);
    m.lastError = r.optText(9);
    m.createdAt = r.text(10);
    m.sentAt = r.optText(11);
    return m;
}

}  // namespace

int64_t OutboxRepository::insert(const std::string& messageId, const std::string& recipient,
                                 const std::string& subject, const std::string& body,
                                 const std::string& templateName, const std::string& at) {
    session_.execute(kInsert, messageId, recipient, subject, body, templateName, at, at);
    return session_.lastInsertRowid();
}

std::optional<OutboxMail> OutboxRepository::find(int64_t id) {
    return session_.first(kFind, outboxMailFrom, id);
}

std::vector<OutboxMail> OutboxRepository::due(const std::string& at, int64_t afterId, int limit) {
    return session_.query(kDue, outboxMailFrom, at, afterId, limit);
}

void OutboxRepository::lease(int64_t id, int attempts, const std::string& until) {
    session_.execute(kLease, attempts, until, id);
}

void OutboxRepository::markSent(int64_t id, const std::string& at) {
    session_.execute(kMarkSent, at, id);
}

void OutboxRepository::markAttemptFailed(int64_t id, bool giveUp, const std::string& retryAt,
                                         const std::string& error) {
    session_.execute(kMarkAttemptFailed, wireName(giveUp ? MailStatus::Failed : MailStatus::Pending), retryAt,
                     error, id);
}

std::map<std::string, int> OutboxRepository::countByStatus() {
    std::map<std::string, int> out;
    session_.each(kCountByStatus, [&](const Row& r) { out[r.text(0)] = static_cast<int>(r.integer(1)); });
    return out;
}

}  // namespace chatiere::manager
