#include "store/Invitations.h"

#include "chatiere/manager/Validation.h"

namespace chatiere::manager {

namespace {

#define CHATIERE_LIVE_INVITATIONS                                                                         \
    "SELECT i.id, i.association_id, a.name AS association_name, i.email, i.role, i.invited_by, "          \
    "i.created_at, i.expires_at FROM invitations i JOIN associations a ON a.id = i.association_id WHERE " \
    "i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ? "

Invitation invitationFrom(const Row& r) {
    Invitation i;
    i.id = r.text(0);
    i.associationId = r.text(1);
    i.associationName = r.text(2);
    i.email = r.text(3);
    i.role = memberRoleFrom(r.text(4)).value_or(MemberRole::Member);
    i.invitedBy = r.text(5);
    i.createdAt = r.text(6);
    i.expiresAt = r.text(7);
    return i;
}

constexpr const char* kLiveOfAssociation =
    CHATIERE_LIVE_INVITATIONS "AND i.association_id = ? ORDER BY i.created_at DESC";
constexpr const char* kLiveByToken =
    CHATIERE_LIVE_INVITATIONS "AND i.token_hash = ? ORDER BY i.created_at DESC";

#undef CHATIERE_LIVE_INVITATIONS

}  // namespace

void InvitationRepository::insert(const Invitation& i, const std::string& tokenHash) {
    session_.execute(
        "INSERT INTO invitations (id, association_id, email, email_key, role, token_hash, invited_by, "
        "created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        i.id, i.associationId, i.email, emailKey(i.email), toString(i.role), tokenHash, i.invitedBy,
        i.createdAt, i.expiresAt);
}

int64_t InvitationRepository::countSentSince(const std::string& associationId, const std::string& since) {
    return session_
        .integer("SELECT COUNT(*) FROM invitations WHERE association_id = ? AND created_at > ?",
                 associationId, since)
        .value_or(0);
}

std::vector<Invitation> InvitationRepository::live(const std::string& associationId, const std::string& at) {
    return session_.query(kLiveOfAssociation, invitationFrom, at, associationId);
}

std::optional<Invitation> InvitationRepository::liveByToken(const std::string& tokenHash,
                                                            const std::string& at) {
    return session_.first(kLiveByToken, invitationFrom, at, tokenHash);
}

void InvitationRepository::revokeTo(const std::string& associationId, const std::string& emailKey,
                                    const std::string& at) {
    session_.execute(
        "UPDATE invitations SET revoked_at = ? WHERE association_id = ? AND email_key = ? AND accepted_at IS "
        "NULL "
        "AND revoked_at IS NULL",
        at, associationId, emailKey);
}

bool InvitationRepository::revoke(const std::string& id, const std::string& associationId,
                                  const std::string& at) {
    return session_.execute(
               "UPDATE invitations SET revoked_at = ? WHERE id = ? AND association_id = ? AND accepted_at IS "
               "NULL "
               "AND revoked_at IS NULL",
               at, id, associationId) == 1;
}

bool InvitationRepository::accept(const std::string& tokenHash, const std::string& at) {
    return session_.execute(
               "UPDATE invitations SET accepted_at = ?1 WHERE token_hash = ?2 AND accepted_at IS NULL AND "
               "revoked_at IS NULL AND expires_at > ?1",
               at, tokenHash) == 1;
}

int64_t PasswordResetRepository::countSince(const std::string& userId, const std::string& since) {
    return session_
        .integer("SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND created_at > ?", userId, since)
        .value_or(0);
}

void PasswordResetRepository::replace(const std::string& tokenHash, const std::string& userId,
                                      const std::string& at, const std::string& expiresAt) {
    session_.execute("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", at,
                     userId);
    session_.execute(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        tokenHash, userId, at, expiresAt);
}

std::optional<std::string> PasswordResetRepository::liveUser(const std::string& tokenHash,
                                                             const std::string& at) {
    return session_.text(
        "SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        tokenHash, at);
}

bool PasswordResetRepository::use(const std::string& tokenHash, const std::string& at) {
    return session_.execute(
               "UPDATE password_resets SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND "
               "expires_at > ?1",
               at, tokenHash) == 1;
}

}  // namespace chatiere::manager
