#include "store/Associations.h"

#include "chatiere/manager/Error.h"

namespace chatiere::manager {

namespace {

// Column order read by associationFrom.
#define CHATIERE_ASSOCIATION_COLUMNS                                                                      \
    "SELECT a.id, a.name, a.kind, a.rna, a.siren, a.address_line1, a.address_line2, a.postal_code, "      \
    "a.city, a.country, a.email, a.status, a.rejection_reason, a.plan_slug, a.created_at, a.updated_at, " \
    "a.legal_name, a.siret, a.billing_email, a.slug FROM associations a "

Association associationFrom(const Row& r) {
    Association a;
    a.id = r.text(0);
    a.name = r.text(1);
    a.kind = r.text(2);
    a.rna = r.optText(3);
    a.siren = r.optText(4);
    a.address.line1 = r.text(5);
    a.address.line2 = r.text(6);
    a.address.postalCode = r.text(7);
    a.address.city = r.text(8);
    a.address.country = r.text(9);
    a.email = r.text(10);
    a.status = storedState<AssociationStatus>(r.text(11), "associations.status");
    a.rejectionReason = r.optText(12);
    a.planSlug = r.optText(13);
    a.createdAt = r.text(14);
    a.updatedAt = r.text(15);
    a.legalName = r.text(16);
    a.siret = r.optText(17);
    a.billingEmail = r.text(18);
    a.slug = r.optText(19);
    return a;
}

constexpr const char* kFind = CHATIERE_ASSOCIATION_COLUMNS "WHERE a.id = ?";
constexpr const char* kWithoutSlug = CHATIERE_ASSOCIATION_COLUMNS
    "WHERE a.slug IS NULL AND a.status IN ('active', 'suspended') ORDER BY a.created_at, a.id";
constexpr const char* kSlugTaken = "SELECT 1 FROM associations WHERE slug = ?";
constexpr const char* kSetSlug =
    "UPDATE associations SET slug = ?, updated_at = ? WHERE id = ? AND slug IS NULL";
constexpr const char* kListOfMember = CHATIERE_ASSOCIATION_COLUMNS
    "JOIN memberships m ON m.association_id = a.id AND m.user_id = ? "
    "WHERE a.id > ? AND (? IS NULL OR a.status = ?) ORDER BY a.id LIMIT ?";
constexpr const char* kList =
    CHATIERE_ASSOCIATION_COLUMNS "WHERE a.id > ? AND (? IS NULL OR a.status = ?) ORDER BY a.id LIMIT ?";

// Column order read by membershipFrom.
#define CHATIERE_MEMBERSHIP_COLUMNS                                                                  \
    "SELECT m.association_id, a.name AS association_name, m.user_id, u.email, u.name AS user_name, " \
    "m.role, m.created_at FROM memberships m JOIN associations a ON a.id = m.association_id "        \
    "JOIN users u ON u.id = m.user_id "

Membership membershipFrom(const Row& r) {
    Membership m;
    m.associationId = r.text(0);
    m.associationName = r.text(1);
    m.userId = r.text(2);
    m.userEmail = r.text(3);
    m.userName = r.text(4);
    m.role = memberRoleFrom(r.text(5)).value_or(MemberRole::Member);
    m.createdAt = r.text(6);
    return m;
}

constexpr const char* kMembers =
    CHATIERE_MEMBERSHIP_COLUMNS "WHERE m.association_id = ? ORDER BY u.email_key";
constexpr const char* kMember = CHATIERE_MEMBERSHIP_COLUMNS "WHERE m.association_id = ? AND m.user_id = ?";
constexpr const char* kMembershipsOf = CHATIERE_MEMBERSHIP_COLUMNS "WHERE m.user_id = ? ORDER BY a.name";

#undef CHATIERE_ASSOCIATION_COLUMNS
#undef CHATIERE_MEMBERSHIP_COLUMNS

}  // namespace

void AssociationRepository::insert(const Association& a) {
    session_.execute(
        "INSERT INTO associations (id, name, kind, rna, siren, address_line1, address_line2, postal_code, "
        "city, "
        "country, email, status, rejection_reason, plan_slug, created_at, updated_at, legal_name, siret, "
        "billing_email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        a.id, a.name, a.kind, a.rna, a.siren, a.address.line1, a.address.line2, a.address.postalCode,
        a.address.city, a.address.country, a.email, wireName(a.status), a.rejectionReason, a.planSlug,
        a.createdAt, a.updatedAt, a.legalName, a.siret, a.billingEmail);
}

void AssociationRepository::updateIdentity(const Association& a, const std::string& at) {
    session_.execute(
        "UPDATE associations SET legal_name = ?, address_line1 = ?, address_line2 = ?, postal_code = ?, "
        "city = ?, country = ?, siren = ?, siret = ?, rna = ?, email = ?, billing_email = ?, "
        "updated_at = ? WHERE id = ?",
        a.legalName, a.address.line1, a.address.line2, a.address.postalCode, a.address.city,
        a.address.country, a.siren, a.siret, a.rna, a.email, a.billingEmail, at, a.id);
}

std::vector<Association> AssociationRepository::withoutSlug() {
    return session_.query(kWithoutSlug, associationFrom);
}

bool AssociationRepository::slugTaken(const std::string& slug) {
    return session_.integer(kSlugTaken, slug).has_value();
}

std::string AssociationRepository::giveSlug(const std::string& id, const std::string& base,
                                            const std::string& at) {
    if (const auto a = find(id); a && a->slug) {
        return *a->slug;
    }
    for (int n = 1;; ++n) {
        std::string slug = base;
        if (n > 1) {
            const std::string suffix = "-" + std::to_string(n);
            slug = base.substr(0, std::min(base.size(), 63 - suffix.size())) + suffix;
            while (slug.size() > suffix.size() && slug[slug.size() - suffix.size() - 1] == '-') {
                slug.erase(slug.size() - suffix.size() - 1, 1);
            }
        }
        if (!slugTaken(slug)) {
            session_.execute(kSetSlug, slug, at, id);
            return slug;
        }
    }
}

std::optional<Association> AssociationRepository::find(const std::string& id) {
    return session_.first(kFind, associationFrom, id);
}

std::vector<Association> AssociationRepository::list(const std::optional<std::string>& memberUserId,
                                                     const std::string& afterId, int limit,
                                                     const std::optional<AssociationStatus>& status) {
    const std::optional<std::string> wanted = status ? std::optional(wireName(*status)) : std::nullopt;
    if (memberUserId) {
        return session_.query(kListOfMember, associationFrom, *memberUserId, afterId, wanted, wanted, limit);
    }
    return session_.query(kList, associationFrom, afterId, wanted, wanted, limit);
}

void AssociationRepository::setStatus(const std::string& id, AssociationStatus status,
                                      const std::optional<std::string>& reason, const std::string& at) {
    session_.execute("UPDATE associations SET status = ?, rejection_reason = ?, updated_at = ? WHERE id = ?",
                     wireName(status), reason, at, id);
}

void AssociationRepository::setPlan(const std::string& id, const std::optional<std::string>& planSlug,
                                    const std::string& at) {
    session_.execute("UPDATE associations SET plan_slug = ?, updated_at = ? WHERE id = ?", planSlug, at, id);
}

void AssociationRepository::addMember(const std::string& associationId, const std::string& userId,
                                      MemberRole role, const std::string& at) {
    session_.execute(
        "INSERT INTO memberships (association_id, user_id, role, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (association_id, user_id) DO UPDATE SET role = excluded.role",
        associationId, userId, toString(role), at);
}

bool AssociationRepository::removeMember(const std::string& associationId, const std::string& userId) {
    return session_.execute("DELETE FROM memberships WHERE association_id = ? AND user_id = ?", associationId,
                            userId) > 0;
}

std::optional<MemberRole> AssociationRepository::roleOf(const std::string& associationId,
                                                        const std::string& userId) {
    const auto role = session_.text("SELECT role FROM memberships WHERE association_id = ? AND user_id = ?",
                                    associationId, userId);
    if (!role) {
        return std::nullopt;
    }
    return memberRoleFrom(*role);
}

Membership AssociationRepository::member(const std::string& associationId, const std::string& userId) {
    auto m = session_.first(kMember, membershipFrom, associationId, userId);
    if (!m) {
        throw Error(ErrorKind::Internal, "member_vanished",
                    "The membership just written cannot be read back.");
    }
    return std::move(*m);
}

std::vector<Membership> AssociationRepository::members(const std::string& associationId) {
    return session_.query(kMembers, membershipFrom, associationId);
}

std::vector<Membership> AssociationRepository::membershipsOf(const std::string& userId) {
    return session_.query(kMembershipsOf, membershipFrom, userId);
}

int AssociationRepository::countManagers(const std::string& associationId) {
    return static_cast<int>(
        session_
            .integer("SELECT COUNT(*) FROM memberships WHERE association_id = ? AND role = 'manager'",
                     associationId)
            .value_or(0));
}

}  // namespace chatiere::manager
