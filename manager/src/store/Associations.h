#pragma once

#include "store/Roles.h"

#include "chatiere/manager/Database.h"
#include "core/States.h"

#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

struct PostalAddress {
    std::string line1;
    std::string line2;
    std::string postalCode;
    std::string city;
    std::string country = "FR";
};

struct Association {
    std::string id;
    std::string name;
    std::string kind;  // association | individual | other
    std::optional<std::string> rna;
    std::optional<std::string> siren;
    std::optional<std::string> siret;  // 14 digits, its first 9 the SIREN
    PostalAddress address;
    std::string email;
    std::string legalName;     // printed on invoices; the name when empty
    std::string billingEmail;  // printed on invoices; `email` when empty
    AssociationStatus status = AssociationStatus::Pending;
    std::optional<std::string> rejectionReason;
    std::optional<std::string> planSlug;
    // The DNS label of its services' default public names (docs/public-addresses.md): given once,
    // at approval, never recomputed.
    std::optional<std::string> slug;
    std::string createdAt;
    std::string updatedAt;
};

struct Membership {
    std::string associationId;
    std::string associationName;
    std::string userId;
    std::string userEmail;
    std::string userName;
    MemberRole role = MemberRole::Member;
    std::string createdAt;
};

class AssociationRepository {
public:
    explicit AssociationRepository(Session& session) : session_(session) {}

    void insert(const Association& a);
    std::optional<Association> find(const std::string& id);
    // Every association (staff) or those the user belongs to; ordered by id, after `cursor`.
    std::vector<Association> list(const std::optional<std::string>& memberUserId, const std::string& afterId,
                                  int limit, const std::optional<AssociationStatus>& status);
    void setStatus(const std::string& id, AssociationStatus status, const std::optional<std::string>& reason,
                   const std::string& at);
    // Approved associations (active or suspended) that have no slug yet, oldest first.
    std::vector<Association> withoutSlug();
    bool slugTaken(const std::string& slug);
    // Gives the association a slug unless it has one (a slug is never changed): `base` (a DNS
    // label: core/PublicName's slugify), or base-2, base-3… when taken. Returns its slug.
    std::string giveSlug(const std::string& id, const std::string& base, const std::string& at);
    // Writes the billing identity (legal name, address, SIREN, SIRET, RNA, e-mails) of `a`.
    void updateIdentity(const Association& a, const std::string& at);

    void addMember(const std::string& associationId, const std::string& userId, MemberRole role,
                   const std::string& at);
    // Returns false when there was no such membership.
    bool removeMember(const std::string& associationId, const std::string& userId);
    std::optional<MemberRole> roleOf(const std::string& associationId, const std::string& userId);
    std::vector<Membership> members(const std::string& associationId);
    // The membership just written; throws Internal when it cannot be read back.
    Membership member(const std::string& associationId, const std::string& userId);
    std::vector<Membership> membershipsOf(const std::string& userId);
    int countManagers(const std::string& associationId);
    // The plan the association is on (a subscription's), or none.
    void setPlan(const std::string& id, const std::optional<std::string>& planSlug, const std::string& at);

private:
    Session& session_;
};

}  // namespace chatiere::manager
