#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "domain/Actor.h"
#include "domain/AssociationAccess.h"
#include "store/Associations.h"
#include "store/Users.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A person made a member of an association by the address of their account, or invited by it:
// `role` manager or member ("" for member).
struct AddMember {
    std::string email;
    std::string role;
};

// A postal address as given: absent (a PATCH leaves it), null (none), one line of text, or whole.
struct AddressInput {
    enum class Form { Absent, Null, Line, Whole };
    Form form = Form::Absent;
    std::string line1;  // the one line of a Line
    std::string line2;
    std::string postalCode;
    std::string city;
    std::string country;  // "" reads as FR
};

// The billing identity: each field nullopt when not given (a PATCH leaves it), "" to clear it.
struct IdentityInput {
    std::optional<std::string> legalName;
    std::optional<std::string> billingEmail;
    std::optional<std::string> siren;
    std::optional<std::string> siret;
    std::optional<std::string> rna;
    AddressInput address;
};

// The association of a sign-up: its kind (association, individual or other), name, contact
// address and billing identity.
struct SignupAssociation {
    std::string kind;
    std::string name;
    std::string email;
    IdentityInput identity;
};

struct SignupManager {
    std::string name;
    std::string email;
    std::optional<std::string> password;  // as typed (never trimmed); nullopt when not given
};

// A sign-up: the association and its first manager (each nullopt when not given at all), the plan
// chosen ("" for none) and the acceptance of the terms.
struct Signup {
    std::optional<SignupAssociation> association;
    std::optional<SignupManager> manager;
    std::string plan;
    std::optional<bool> acceptTerms;
};

// PATCH of the billing identity; `unknownFields` are the other fields the request named, each
// refused as "unknown_field" along with the identity's own errors.
struct UpdateIdentity {
    IdentityInput identity;
    std::vector<std::string> unknownFields;
};

struct SignupResult {
    Association association;
    User manager;
};

// Sign-up, approval, members: the life of an association and who belongs to it. Every change is
// one transaction with its audit entry and the mails it causes (through the outbox).
class AssociationService {
public:
    AssociationService(Database& db, base::Clock& clock, const Settings& settings,
                       const PasswordHasher& hasher, Outbox& outbox, std::function<void()> mailQueued);

    // POST /api/v1/signup and the sign-up form; `language` is the manager's ("fr" or "en").
    SignupResult signup(const Signup& command, const std::string& clientAddress, const std::string& language);
    Association approve(const Actor& actor, const std::string& associationId);
    Association reject(const Actor& actor, const std::string& associationId, const std::string& reason);
    // Marks the address of the token's user as verified; throws on an unknown or expired token.
    User verifyEmail(const std::string& token, const std::string& clientAddress);

    // Checks that `actor` may do `permission` on the association: 404 for strangers, 403 for roles
    // that may not. Returns the association.
    Association authorize(const Actor& actor, const std::string& associationId, Permission permission);
    // The same check, kept: the association and the actor's role in it, for the services that read
    // its data (see AssociationAccess).
    AssociationAccess access(const Actor& actor, const std::string& associationId, Permission permission);
    void authorizeGlobal(const Actor& actor, Permission permission);

    std::vector<Association> list(const Actor& actor, const std::string& cursor, int limit,
                                  const std::optional<AssociationStatus>& status);
    // The admin gives an association a plan (until subscriptions, which the billing work adds).
    Association setPlan(const Actor& actor, const std::string& associationId, const std::string& planSlug);
    // PATCH /api/v1/associations/{id}: the billing identity (legal_name, billing_email, siren, siret,
    // rna, address), managers and the admin; audited (what changed, before and after). Every bad
    // field is a 400 by field and nothing is written.
    Association updateIdentity(const Actor& actor, const std::string& associationId,
                               const UpdateIdentity& command);
    std::vector<Membership> members(const std::string& associationId);
    std::vector<Membership> membershipsOf(const std::string& userId);
    // 400 "unknown_user" (field email) when no account uses the address.
    Membership addMember(const Actor& actor, const std::string& associationId, const AddMember& command);
    void removeMember(const Actor& actor, const std::string& associationId, const std::string& userId);

    // Mails each manager of the association, in their language (in the caller's transaction;
    // the outbox is woken by mailQueued() once it commits). `association` is set in the vars.
    void notifyManagers(Session& s, const Association& a, const std::string& templateName,
                        std::map<std::string, std::string> vars);
    void mailQueued() { mailQueued_(); }

    // The demo and imports: an association created directly, active, with its manager.
    SignupResult createActive(const Signup& command, const Actor& actor);

private:
    struct Draft;
    Draft checkSignup(const Signup& command, Session& s);
    SignupResult insertSignup(Session& s, Draft& draft, const Actor& actor, AssociationStatus status);
    // pending → active or rejected, audited, the managers told.
    Association decideSignup(const Actor& actor, const std::string& associationId,
                             AssociationStatus newStatus, const std::optional<std::string>& reason,
                             const std::string& templateName, const std::map<std::string, std::string>& vars);
    std::string issueVerification(Session& s, const User& user);
    std::string nowText() const;

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const PasswordHasher& hasher_;
    Outbox& outbox_;
    std::function<void()> mailQueued_;
};

}  // namespace chatiere::manager
