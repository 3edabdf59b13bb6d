#include "domain/Invitations.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"
#include "store/Associations.h"
#include "store/Users.h"

namespace chatiere::manager {

namespace {

Error invalidToken() {
    return Error(ErrorKind::BadRequest, "invalid_token",
                 "This invitation is unknown, used, withdrawn or expired.");
}

}  // namespace

Poco::JSON::Object invitationToJson(const Invitation& i) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", i.id);
    o.set("association_id", i.associationId);
    o.set("email", i.email);
    o.set("role", toString(i.role));
    o.set("invited_by", i.invitedBy);
    o.set("created_at", i.createdAt);
    o.set("expires_at", i.expiresAt);
    return o;
}

Invitations::Invitations(Database& db, base::Clock& clock, const Settings& settings,
                         const PasswordHasher& hasher, Outbox& outbox, AssociationService& associations,
                         std::function<void()> mailQueued)
    : db_(db),
      clock_(clock),
      settings_(settings),
      hasher_(hasher),
      outbox_(outbox),
      associations_(associations),
      mailQueued_(std::move(mailQueued)) {}

std::string Invitations::nowText() const {
    return formatTime(clock_.now());
}

MemberAdded Invitations::addOrInvite(const Actor& actor, const std::string& associationId,
                                     const AddMember& command, const std::string& language) {
    try {
        associations_.addMember(actor, associationId, command);
        return MemberAdded::Added;
    } catch (const Error& e) {
        const bool noAccount = !e.fields().empty() && e.fields().front().code == "unknown_user";
        if (!noAccount) {
            throw;
        }
    }
    // No account with this address yet: an invitation by mail.
    invite(actor, associationId, Invite{command.email, command.role}, language);
    return MemberAdded::Invited;
}

Invitation Invitations::invite(const Actor& actor, const std::string& associationId, const Invite& command,
                               const std::string& language) {
    const Association a = associations_.authorize(actor, associationId, Permission::ManageMembers);
    if (a.status != AssociationStatus::Active) {
        throw Error(ErrorKind::Conflict, "association_not_active",
                    "Only an approved, active association can invite people.");
    }
    FieldErrors errors;
    CommandFields f(errors);
    const auto email = f.text("email", command.email, true, 254);
    if (email && !isValidEmail(*email)) {
        errors.add("email", "invalid_email", "This is not a valid e-mail address.");
    }
    const auto role = memberRoleFrom(f.text("role", command.role, false, 20).value_or("member"));
    if (!role) {
        errors.add("role", "invalid_role", "Expected manager or member.");
    }
    errors.throwIfAny();
    auto s = db_.session();
    Transaction tx(s);
    if (const auto user = UserRepository(s).findByEmail(*email);
        user && AssociationRepository(s).roleOf(a.id, user->id)) {
        throw Error(ErrorKind::Conflict, "already_member", "This person is already a member.",
                    {{"email", "already_member", "This person is already a member."}});
    }
    const std::string at = nowText();
    // Every invitation sent counts, withdrawn or replaced ones too: a day's mails are limited.
    InvitationRepository invitations(s);
    const int64_t sentToday =
        invitations.countSentSince(a.id, formatTime(clock_.now() - std::chrono::hours(24)));
    if (sentToday >= settings_.invitationsMaxPerDay) {
        throw Error(ErrorKind::TooManyRequests, "too_many_invitations",
                    "This association sent " + std::to_string(sentToday) +
                        " invitations in the last 24 hours, the most allowed; try again tomorrow.");
    }
    // The newest invitation to an address replaces the others.
    invitations.revokeTo(a.id, emailKey(*email), at);
    Invitation i;
    i.id = newId("inv");
    i.associationId = a.id;
    i.associationName = a.name;
    i.email = *email;
    i.role = *role;
    i.invitedBy = actor.label;
    i.createdAt = at;
    i.expiresAt = formatTime(clock_.now() + kValidity);
    const std::string token = newSecretToken();
    const std::string roleText = toString(i.role);
    invitations.insert(i, hashToken(token));
    outbox_.enqueue(s, {i.email,
                        "invitation",
                        language == "en" ? "en" : "fr",
                        {{"association", a.name},
                         {"inviter", actor.label},
                         {"link", settings_.publicUrl + "/invitations/accept?token=" + token}}});
    Poco::JSON::Object details;
    details.set("email", i.email);
    details.set("role", roleText);
    AuditLog::record(s, actor, at, "member.invite", "invitation", i.id, a.id, details);
    tx.commit();
    mailQueued_();
    return i;
}

std::vector<Invitation> Invitations::pending(const Actor& actor, const std::string& associationId) {
    associations_.authorize(actor, associationId, Permission::ViewMembers);
    auto s = db_.session();
    return InvitationRepository(s).live(associationId, nowText());
}

void Invitations::revoke(const Actor& actor, const std::string& associationId,
                         const std::string& invitationId) {
    associations_.authorize(actor, associationId, Permission::ManageMembers);
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = nowText();
    if (!InvitationRepository(s).revoke(invitationId, associationId, at)) {
        throw Error::notFound("Invitation");
    }
    AuditLog::record(s, actor, at, "member.invite_revoke", "invitation", invitationId, associationId);
    tx.commit();
}

Invitation Invitations::find(const std::string& token) {
    if (token.empty() || token.size() > 200) {
        throw invalidToken();
    }
    auto s = db_.session();
    auto found = InvitationRepository(s).liveByToken(hashToken(token), nowText());
    if (!found) {
        throw invalidToken();
    }
    return std::move(*found);
}

bool Invitations::accountExists(const Invitation& invitation) {
    auto s = db_.session();
    return UserRepository(s).findByEmail(invitation.email).has_value();
}

Membership Invitations::accept(const std::string& token, const std::optional<Actor>& signedIn,
                               const NewAccount& newAccount, const std::string& clientAddress) {
    const Invitation invitation = find(token);
    std::optional<User> account;
    {
        auto s = db_.session();
        account = UserRepository(s).findByEmail(invitation.email);
    }
    User joining;
    if (account) {
        if (!signedIn || signedIn->userId != account->id) {
            throw Error(
                ErrorKind::Forbidden, "wrong_account",
                "This invitation is for " + invitation.email + ": sign in to that account to accept it.");
        }
        joining = *account;
    } else {
        FieldErrors errors;
        CommandFields f(errors);
        const auto name = f.text("name", newAccount.name, true, 200);
        const auto password = f.text("password", newAccount.password, true, 1024);
        if (password) {
            if (const auto problem = passwordProblem(*password)) {
                errors.add("password", "weak_password", *problem);
            }
        }
        if (!newAccount.acceptTerms.value_or(false)) {
            errors.add("accept_terms", "terms_not_accepted", "Accept the terms of service.");
        }
        errors.throwIfAny();
        joining.id = newId("user");
        joining.email = invitation.email;
        joining.name = *name;
        joining.passwordHash = hasher_.hash(*password);  // slow on purpose: before the write lock
        joining.emailVerified = true;                    // the link came to this address
        joining.termsVersion = settings_.termsVersion;
    }
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = nowText();
    // Used once: whoever marks it first joins.
    if (!InvitationRepository(s).accept(hashToken(token), at)) {
        throw invalidToken();
    }
    if (!account) {
        joining.termsAcceptedAt = at;
        joining.createdAt = at;
        UserRepository(s).insert(joining);
    }
    AssociationRepository repo(s);
    repo.addMember(invitation.associationId, joining.id, invitation.role, at);
    Actor actor{joining.id, joining.email, joining.staffRole, clientAddress};
    Poco::JSON::Object details;
    details.set("invitation", invitation.id);
    details.set("role", toString(invitation.role));
    details.set("new_account", !account.has_value());
    AuditLog::record(s, actor, at, "member.join", "membership", invitation.associationId + "/" + joining.id,
                     invitation.associationId, details);
    tx.commit();
    return AssociationRepository(s).member(invitation.associationId, joining.id);
}

}  // namespace chatiere::manager
