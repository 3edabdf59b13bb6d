#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/templates/Catalogue.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "hosting/Doveadm.h"
#include "hosting/MailDns.h"
#include "hosting/ServiceManager.h"
#include "store/Mail.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A new mailbox: its local part, quota, and optionally a display name and a password (one is made
// and shown once when none is given).
struct NewMailbox {
    std::string localPart;
    std::optional<std::string> name;
    std::optional<int64_t> quotaMib;
    std::optional<std::string> password;
};

// A change to a mailbox; each absent field stays. `newPassword`: a new one is made and shown once
// (a manager's reset).
struct MailboxChange {
    std::optional<std::string> name;
    std::optional<int64_t> quotaMib;
    std::optional<std::string> password;
    bool newPassword = false;
};

struct NewAlias {
    std::string localPart;
    std::vector<std::string> destinations;
};

// A mail service's mail as the association's export holds it: each live mailbox's messages (every
// folder), and the aliases. When the guest did not answer, `unavailable` says why.
struct ExportedMail {
    std::string serviceName;
    std::string domain;
    struct Box {
        std::string address;
        std::vector<StoredMessage> messages;
    };
    std::vector<Box> mailboxes;
    std::vector<MailAlias> aliases;
    std::optional<std::string> unavailable;
};

// A mailbox as the API shows it, with the password made for it (shown once), if any.
struct MailboxResult {
    Mailbox mailbox;
    std::string address;
    std::optional<std::string> password;
};

// The mailboxes and aliases of an association's mail services (docs/mail.md).
// Rules, in this order: the service must be the caller's association's (404 otherwise), of kind
// `mail` (409 `not_a_mail_service`), the caller allowed (members list: ViewServices; managers and the
// admin change: ManageServices), not being deleted (409 `invalid_state`); then the fields (400, each
// bad field named), the plan's `mailboxes` and `mail_gib` limits (409 `quota_exceeded`), the
// addresses free (409 `address_taken`). Each change is one transaction with its audit entry and an
// `apply` job at its `configure` step, which hands the guest its new configuration through the guest
// agent (no reboot). A suspended mail service is still changed: suspension stops access, never mail.
class MailService {
public:
    // `mailHost`: the name of the host's mail front (the MX: MailConfig's mail.hostname);
    // `lookup`: where published records are read (SystemResolver).
    MailService(Database& db, base::Clock& clock, const templates::Catalogue& catalogue,
                AssociationService& associations, ServiceManager& services, DoveadmApi& doveadm,
                std::string mailHost = "", DnsLookup lookup = {});

    std::vector<MailboxResult> mailboxes(const Actor& actor, const std::string& serviceId);
    MailboxResult addMailbox(const Actor& actor, const std::string& serviceId, const NewMailbox& command);
    MailboxResult changeMailbox(const Actor& actor, const std::string& serviceId, const std::string& address,
                                const MailboxChange& command);
    void deleteMailbox(const Actor& actor, const std::string& serviceId, const std::string& address);

    std::vector<MailAlias> aliases(const Actor& actor, const std::string& serviceId);
    MailAlias addAlias(const Actor& actor, const std::string& serviceId, const NewAlias& command);
    void deleteAlias(const Actor& actor, const std::string& serviceId, const std::string& localPart);

    // Whether the service's template is of kind `mail`.
    bool isMail(const Service& service) const;

    // The DNS records the service's domain needs (MX, SPF, DKIM, DMARC, autoconfig, autodiscover),
    // each with its published state. Same rules as mailboxes() (members and staff).
    std::vector<MailDnsRecord> dnsRecords(const Actor& actor, const std::string& serviceId);

    // Each active mail service's mailboxes' use, as Dovecot's quota counts it (its doveadm HTTP
    // API), stored for GET …/mailboxes; a guest that does not answer is skipped until the next
    // pass. Returns the mailboxes measured. Run by the daemon's monitoring cycle.
    int collectUsage();
    // The service's mail for the export (the caller checked who may export it).
    ExportedMail exportOf(const Service& service);

private:
    Service reach(const Actor& actor, const std::string& serviceId, Permission permission);
    // The local part of `address` (a full address of the service's domain, or a bare local part);
    // 404 `mailbox` when it is of another domain.
    std::string localPartIn(const Service& service, const std::string& address) const;
    std::string nowText() const;
    std::optional<DoveadmEndpoint> doveadmOf(const Service& service);

    Database& db_;
    base::Clock& clock_;
    const templates::Catalogue& catalogue_;
    AssociationService& associations_;
    ServiceManager& services_;
    DoveadmApi& doveadm_;
    std::string mailHost_;
    DnsLookup lookup_;
};

}  // namespace chatiere::manager
