#pragma once

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A mailbox of a mail service (schema v19): its password only as a Dovecot hash
// ("{SHA512-CRYPT}$6$…"), its quota, and the usage the guest last reported.
struct Mailbox {
    int64_t id = 0;
    std::string serviceId;
    std::string localPart;
    std::string name;
    std::string passwordHash;
    int64_t quotaMib = 0;
    std::optional<int64_t> usedBytes;
    std::optional<int64_t> messages;
    std::optional<std::string> usageAt;
    std::string createdAt;
    std::string updatedAt;
    std::optional<std::string> deletedAt;
};

// An alias of a mail service: a local part that delivers to one or more addresses.
struct MailAlias {
    std::string serviceId;
    std::string localPart;
    std::vector<std::string> destinations;
    std::string createdAt;
    std::string updatedAt;
};

class MailRepository {
public:
    explicit MailRepository(Session& session) : session_(session) {}

    // The live mailboxes of a service, by local part.
    std::vector<Mailbox> mailboxes(const std::string& serviceId);
    std::optional<Mailbox> findMailbox(const std::string& serviceId, const std::string& localPart);
    void insertMailbox(Mailbox& mailbox);
    void updateMailbox(const Mailbox& mailbox);  // name, password hash, quota
    void markMailboxDeleted(int64_t id, const std::string& at);
    void setMailboxUsage(int64_t id, int64_t usedBytes, int64_t messages, const std::string& at);
    // Live mailboxes of every mail service of the association, and the sum of their quotas (MiB).
    int64_t mailboxCountOfAssociation(const std::string& associationId);
    int64_t quotaMibOfAssociation(const std::string& associationId);

    std::vector<MailAlias> aliases(const std::string& serviceId);
    std::optional<MailAlias> findAlias(const std::string& serviceId, const std::string& localPart);
    void insertAlias(const MailAlias& alias);
    void deleteAlias(const std::string& serviceId, const std::string& localPart);

    // A deleted service's mailboxes and aliases.
    void deleteOf(const std::string& serviceId, const std::string& at);

private:
    Session& session_;
};

}  // namespace chatiere::manager
