#include "store/Mail.h"

#include <sstream>

namespace chatiere::manager {

namespace {

#define CHATIERE_MAILBOX_SELECT                                                                           \
    "SELECT id, service_id, local_part, name, password_hash, quota_mib, used_bytes, messages, usage_at, " \
    "created_at, updated_at, deleted_at FROM mailboxes "

constexpr const char* kMailboxes =
    CHATIERE_MAILBOX_SELECT "WHERE service_id = ? AND deleted_at IS NULL ORDER BY local_part";
constexpr const char* kFindMailbox =
    CHATIERE_MAILBOX_SELECT "WHERE service_id = ? AND local_part = ? AND deleted_at IS NULL";

#undef CHATIERE_MAILBOX_SELECT

constexpr const char* kInsertMailbox =
    "INSERT INTO mailboxes (service_id, local_part, name, password_hash, quota_mib, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpdateMailbox =
    "UPDATE mailboxes SET name = ?, password_hash = ?, quota_mib = ?, updated_at = ? WHERE id = ?";
constexpr const char* kMarkMailboxDeleted =
    "UPDATE mailboxes SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL";
constexpr const char* kSetMailboxUsage =
    "UPDATE mailboxes SET used_bytes = ?, messages = ?, usage_at = ? WHERE id = ?";
constexpr const char* kMailboxCountOfAssociation =
    "SELECT COUNT(*) FROM mailboxes m JOIN services s ON s.id = m.service_id "
    "WHERE s.association_id = ? AND s.state != 'deleted' AND m.deleted_at IS NULL";
constexpr const char* kQuotaOfAssociation =
    "SELECT COALESCE(SUM(m.quota_mib), 0) FROM mailboxes m JOIN services s ON s.id = m.service_id "
    "WHERE s.association_id = ? AND s.state != 'deleted' AND m.deleted_at IS NULL";
constexpr const char* kAliases =
    "SELECT service_id, local_part, destinations, created_at, updated_at FROM mail_aliases "
    "WHERE service_id = ? ORDER BY local_part";
constexpr const char* kFindAlias =
    "SELECT service_id, local_part, destinations, created_at, updated_at FROM mail_aliases "
    "WHERE service_id = ? AND local_part = ?";
constexpr const char* kInsertAlias =
    "INSERT INTO mail_aliases (service_id, local_part, destinations, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?)";
constexpr const char* kDeleteAlias = "DELETE FROM mail_aliases WHERE service_id = ? AND local_part = ?";
constexpr const char* kDeleteAliasesOf = "DELETE FROM mail_aliases WHERE service_id = ?";
constexpr const char* kDeleteMailboxesOf =
    "UPDATE mailboxes SET deleted_at = ?, updated_at = ? WHERE service_id = ? AND deleted_at IS NULL";

Mailbox mailboxFrom(const Row& r) {
    Mailbox m;
    m.id = r.integer(0);
    m.serviceId = r.text(1);
    m.localPart = r.text(2);
    m.name = r.text(3);
    m.passwordHash = r.text(4);
    m.quotaMib = r.integer(5);
    m.usedBytes = r.optInteger(6);
    m.messages = r.optInteger(7);
    m.usageAt = r.optText(8);
    m.createdAt = r.text(9);
    m.updatedAt = r.text(10);
    m.deletedAt = r.optText(11);
    return m;
}

std::string joinAddresses(const std::vector<std::string>& addresses) {
    std::string out;
    for (const auto& address : addresses) {
        out += (out.empty() ? "" : ",") + address;
    }
    return out;
}

MailAlias aliasFrom(const Row& r) {
    MailAlias a;
    a.serviceId = r.text(0);
    a.localPart = r.text(1);
    std::istringstream in(r.text(2));
    for (std::string address; std::getline(in, address, ',');) {
        if (!address.empty()) {
            a.destinations.push_back(address);
        }
    }
    a.createdAt = r.text(3);
    a.updatedAt = r.text(4);
    return a;
}

}  // namespace

std::vector<Mailbox> MailRepository::mailboxes(const std::string& serviceId) {
    return session_.query(kMailboxes, mailboxFrom, serviceId);
}

std::optional<Mailbox> MailRepository::findMailbox(const std::string& serviceId,
                                                   const std::string& localPart) {
    return session_.first(kFindMailbox, mailboxFrom, serviceId, localPart);
}

void MailRepository::insertMailbox(Mailbox& m) {
    session_.execute(kInsertMailbox, m.serviceId, m.localPart, m.name, m.passwordHash, m.quotaMib,
                     m.createdAt, m.updatedAt);
    m.id = session_.lastInsertRowid();
}

void MailRepository::updateMailbox(const Mailbox& m) {
    session_.execute(kUpdateMailbox, m.name, m.passwordHash, m.quotaMib, m.updatedAt, m.id);
}

void MailRepository::markMailboxDeleted(int64_t id, const std::string& at) {
    session_.execute(kMarkMailboxDeleted, at, at, id);
}

void MailRepository::setMailboxUsage(int64_t id, int64_t usedBytes, int64_t messages, const std::string& at) {
    session_.execute(kSetMailboxUsage, usedBytes, messages, at, id);
}

int64_t MailRepository::mailboxCountOfAssociation(const std::string& associationId) {
    return session_.integer(kMailboxCountOfAssociation, associationId).value_or(0);
}

int64_t MailRepository::quotaMibOfAssociation(const std::string& associationId) {
    return session_.integer(kQuotaOfAssociation, associationId).value_or(0);
}

std::vector<MailAlias> MailRepository::aliases(const std::string& serviceId) {
    return session_.query(kAliases, aliasFrom, serviceId);
}

std::optional<MailAlias> MailRepository::findAlias(const std::string& serviceId,
                                                   const std::string& localPart) {
    return session_.first(kFindAlias, aliasFrom, serviceId, localPart);
}

void MailRepository::insertAlias(const MailAlias& a) {
    session_.execute(kInsertAlias, a.serviceId, a.localPart, joinAddresses(a.destinations), a.createdAt,
                     a.updatedAt);
}

void MailRepository::deleteAlias(const std::string& serviceId, const std::string& localPart) {
    session_.execute(kDeleteAlias, serviceId, localPart);
}

void MailRepository::deleteOf(const std::string& serviceId, const std::string& at) {
    session_.execute(kDeleteAliasesOf, serviceId);
    session_.execute(kDeleteMailboxesOf, at, at, serviceId);
}

}  // namespace chatiere::manager
