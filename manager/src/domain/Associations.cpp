#include "domain/Associations.h"

#include "chatiere/manager/Error.h"

#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

namespace {

constexpr const char* kColumns =
    "SELECT a.id, a.name, a.kind, a.rna, a.siren, a.address_line1, a.address_line2, a.postal_code, a.city, "
    "a.country, a.email, a.status, a.rejection_reason, a.plan_slug, a.created_at, a.updated_at, "
    "a.legal_name, a.siret, a.billing_email FROM "
    "associations a ";

std::vector<Association> readAssociations(Poco::Data::Statement& stmt) {
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<Association> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        Association a;
        a.id = text(rs, "id");
        a.name = text(rs, "name");
        a.kind = text(rs, "kind");
        a.rna = optText(rs, "rna");
        a.siren = optText(rs, "siren");
        a.address.line1 = text(rs, "address_line1");
        a.address.line2 = text(rs, "address_line2");
        a.address.postalCode = text(rs, "postal_code");
        a.address.city = text(rs, "city");
        a.address.country = text(rs, "country");
        a.email = text(rs, "email");
        a.status = text(rs, "status");
        a.rejectionReason = optText(rs, "rejection_reason");
        a.planSlug = optText(rs, "plan_slug");
        a.createdAt = text(rs, "created_at");
        a.updatedAt = text(rs, "updated_at");
        a.legalName = text(rs, "legal_name");
        a.siret = optText(rs, "siret");
        a.billingEmail = text(rs, "billing_email");
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<Membership> readMemberships(Poco::Data::Statement& stmt) {
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<Membership> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        Membership m;
        m.associationId = text(rs, "association_id");
        m.associationName = text(rs, "association_name");
        m.userId = text(rs, "user_id");
        m.userEmail = text(rs, "email");
        m.userName = text(rs, "user_name");
        m.role = memberRoleFrom(text(rs, "role")).value_or(MemberRole::Member);
        m.createdAt = text(rs, "created_at");
        out.push_back(std::move(m));
    }
    return out;
}

constexpr const char* kMembershipColumns =
    "SELECT m.association_id, a.name AS association_name, m.user_id, u.email, u.name AS user_name, m.role, "
    "m.created_at FROM memberships m JOIN associations a ON a.id = m.association_id "
    "JOIN users u ON u.id = m.user_id ";

}  // namespace

void AssociationRepository::insert(const Association& a) {
    session_ << "INSERT INTO associations (id, name, kind, rna, siren, address_line1, address_line2, "
                "postal_code, city, "
                "country, email, status, rejection_reason, plan_slug, created_at, updated_at, legal_name, "
                "siret, billing_email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(a.id), bind(a.name), bind(a.kind), bind(nullable(a.rna)), bind(nullable(a.siren)),
        bind(a.address.line1), bind(a.address.line2), bind(a.address.postalCode), bind(a.address.city),
        bind(a.address.country), bind(a.email), bind(a.status), bind(nullable(a.rejectionReason)),
        bind(nullable(a.planSlug)), bind(a.createdAt), bind(a.updatedAt), bind(a.legalName),
        bind(nullable(a.siret)), bind(a.billingEmail), now;
}

void AssociationRepository::updateIdentity(const Association& a, const std::string& at) {
    session_
        << "UPDATE associations SET legal_name = ?, address_line1 = ?, address_line2 = ?, postal_code = ?, "
           "city = ?, country = ?, siren = ?, siret = ?, rna = ?, email = ?, billing_email = ?, "
           "updated_at = ? WHERE id = ?",
        bind(a.legalName), bind(a.address.line1), bind(a.address.line2), bind(a.address.postalCode),
        bind(a.address.city), bind(a.address.country), bind(nullable(a.siren)), bind(nullable(a.siret)),
        bind(nullable(a.rna)), bind(a.email), bind(a.billingEmail), bind(at), bind(a.id), now;
}

std::optional<Association> AssociationRepository::find(const std::string& id) {
    Poco::Data::Statement stmt(session_);
    stmt << std::string(kColumns) + "WHERE a.id = ?", bind(id);
    auto found = readAssociations(stmt);
    return found.empty() ? std::nullopt : std::optional<Association>(std::move(found.front()));
}

std::vector<Association> AssociationRepository::list(const std::optional<std::string>& memberUserId,
                                                     const std::string& afterId, int limit,
                                                     const std::optional<std::string>& status) {
    Poco::Data::Statement stmt(session_);
    const std::string statusValue = status.value_or("");
    if (memberUserId) {
        stmt << std::string(kColumns) +
                    "JOIN memberships m ON m.association_id = a.id AND m.user_id = ? "
                    "WHERE a.id > ? AND (? = '' OR a.status = ?) ORDER BY a.id LIMIT ?",
            bind(*memberUserId), bind(afterId), bind(statusValue), bind(statusValue), bind(limit);
    } else {
        stmt << std::string(kColumns) + "WHERE a.id > ? AND (? = '' OR a.status = ?) ORDER BY a.id LIMIT ?",
            bind(afterId), bind(statusValue), bind(statusValue), bind(limit);
    }
    return readAssociations(stmt);
}

void AssociationRepository::setStatus(const std::string& id, const std::string& status,
                                      const std::optional<std::string>& reason, const std::string& at) {
    session_ << "UPDATE associations SET status = ?, rejection_reason = ?, updated_at = ? WHERE id = ?",
        bind(status), bind(nullable(reason)), bind(at), bind(id), now;
}

void AssociationRepository::addMember(const std::string& associationId, const std::string& userId,
                                      MemberRole role, const std::string& at) {
    session_ << "INSERT INTO memberships (association_id, user_id, role, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (association_id, user_id) DO UPDATE SET role = excluded.role",
        bind(associationId), bind(userId), bind(toString(role)), bind(at), now;
}

bool AssociationRepository::removeMember(const std::string& associationId, const std::string& userId) {
    Poco::Data::Statement stmt(session_);
    stmt << "DELETE FROM memberships WHERE association_id = ? AND user_id = ?", bind(associationId),
        bind(userId);
    return stmt.execute() > 0;
}

std::optional<MemberRole> AssociationRepository::roleOf(const std::string& associationId,
                                                        const std::string& userId) {
    std::vector<std::string> roles;
    session_ << "SELECT role FROM memberships WHERE association_id = ? AND user_id = ?", bind(associationId),
        bind(userId), into(roles), now;
    if (roles.empty()) {
        return std::nullopt;
    }
    return memberRoleFrom(roles.front());
}

Membership AssociationRepository::member(const std::string& associationId, const std::string& userId) {
    for (auto& m : members(associationId)) {
        if (m.userId == userId) {
            return m;
        }
    }
    throw Error(ErrorKind::Internal, "member_vanished", "The membership just written cannot be read back.");
}

std::vector<Membership> AssociationRepository::members(const std::string& associationId) {
    Poco::Data::Statement stmt(session_);
    stmt << std::string(kMembershipColumns) + "WHERE m.association_id = ? ORDER BY u.email_key",
        bind(associationId);
    return readMemberships(stmt);
}

std::vector<Membership> AssociationRepository::membershipsOf(const std::string& userId) {
    Poco::Data::Statement stmt(session_);
    stmt << std::string(kMembershipColumns) + "WHERE m.user_id = ? ORDER BY a.name", bind(userId);
    return readMemberships(stmt);
}

int AssociationRepository::countManagers(const std::string& associationId) {
    int count = 0;
    session_ << "SELECT COUNT(*) FROM memberships WHERE association_id = ? AND role = 'manager'",
        bind(associationId), into(count), now;
    return count;
}

}  // namespace chatiere::manager
