#pragma once

#include "store/Roles.h"

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

struct Invitation {
    std::string id;
    std::string associationId;
    std::string associationName;
    std::string email;
    MemberRole role = MemberRole::Member;
    std::string invitedBy;
    std::string createdAt;
    std::string expiresAt;
};

// The invitations table: links sent to join an association, stored only as their token's hash.
class InvitationRepository {
public:
    explicit InvitationRepository(Session& session) : session_(session) {}

    void insert(const Invitation& i, const std::string& tokenHash);
    // Every invitation an association sent since `since`, withdrawn or replaced ones too.
    int64_t countSentSince(const std::string& associationId, const std::string& since);
    // The live (not accepted, revoked or expired at `at`) invitations of an association, newest first.
    std::vector<Invitation> live(const std::string& associationId, const std::string& at);
    // The live invitation of a token.
    std::optional<Invitation> liveByToken(const std::string& tokenHash, const std::string& at);
    // Withdraws the live invitations of an association to an address (its email key).
    void revokeTo(const std::string& associationId, const std::string& emailKey, const std::string& at);
    // Returns false when the association has no such pending invitation.
    bool revoke(const std::string& id, const std::string& associationId, const std::string& at);
    // Marks the token's live invitation accepted; false when there is none (used, revoked, expired).
    bool accept(const std::string& tokenHash, const std::string& at);

private:
    Session& session_;
};

// The password_resets table: mailed links to set a new password, stored only as their hash.
class PasswordResetRepository {
public:
    explicit PasswordResetRepository(Session& session) : session_(session) {}

    int64_t countSince(const std::string& userId, const std::string& since);
    // Ends the unused links of a user (one live link at a time) and adds a new one.
    void replace(const std::string& tokenHash, const std::string& userId, const std::string& at,
                 const std::string& expiresAt);
    // The user of an unused link alive at `at`.
    std::optional<std::string> liveUser(const std::string& tokenHash, const std::string& at);
    // Marks the live link used; false when it is not live any more.
    bool use(const std::string& tokenHash, const std::string& at);

private:
    Session& session_;
};

}  // namespace chatiere::manager
