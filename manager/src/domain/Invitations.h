#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "domain/Access.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "store/Invitations.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

Poco::JSON::Object invitationToJson(const Invitation& i);

// An invitation to an e-mail address, with a role (manager | member; "" for member).
struct Invite {
    std::string email;
    std::string role;
};

// The account made by accepting an invitation when none has its address.
struct NewAccount {
    std::string name;
    std::string password;
    std::optional<bool> acceptTerms;
};

// What the members page's form did: the account of the address added, or the address invited.
enum class MemberAdded { Added, Invited };

// Someone who has no account yet joins an association: its managers invite an e-mail address
// with a role; the mailed link (valid a week, once; a new invitation to the same address replaces
// the old one) lets the person create an account — the address proven by the link — or, when an
// account has that address, join once signed in to it.
class Invitations {
public:
    static constexpr std::chrono::hours kValidity{24 * 7};

    Invitations(Database& db, base::Clock& clock, const Settings& settings, const PasswordHasher& hasher,
                Outbox& outbox, AssociationService& associations, std::function<void()> mailQueued);

    // The mail in `language`. Conflict "already_member" when the address's account is already a member.
    Invitation invite(const Actor& actor, const std::string& associationId, const Invite& command,
                      const std::string& language);
    // The account that uses the address becomes a member; without one, the address is invited.
    MemberAdded addOrInvite(const Actor& actor, const std::string& associationId, const AddMember& command,
                            const std::string& language);
    std::vector<Invitation> pending(const Actor& actor, const std::string& associationId);
    void revoke(const Actor& actor, const std::string& associationId, const std::string& invitationId);

    // The live invitation of a link; BadRequest "invalid_token" for one unknown, used, revoked or expired.
    Invitation find(const std::string& token);
    // Whether an account uses the invitation's address.
    bool accountExists(const Invitation& invitation);
    // Joins: as `signedIn` (who must have the invitation's address: Forbidden "wrong_account"
    // otherwise), or, when no account has the address, as `newAccount` (its terms accepted).
    // Returns the membership.
    Membership accept(const std::string& token, const std::optional<Actor>& signedIn,
                      const NewAccount& newAccount, const std::string& clientAddress);

private:
    std::string nowText() const;

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const PasswordHasher& hasher_;
    Outbox& outbox_;
    AssociationService& associations_;
    std::function<void()> mailQueued_;
};

}  // namespace chatiere::manager
