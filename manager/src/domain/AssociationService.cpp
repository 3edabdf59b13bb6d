#include "domain/AssociationService.h"

#include "core/PublicName.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"
#include "store/Plans.h"

#include <set>

namespace chatiere::manager {

namespace {

const std::set<std::string> kKinds = {"association", "individual", "other"};
constexpr auto kVerificationValidity = std::chrono::hours(24 * 7);

bool isDigits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The billing identity `in` into `a`, each bad field an error under `prefix`. `partial` (a PATCH):
// only the fields given are written, and "" clears one; an address is always whole.
void readIdentity(const IdentityInput& in, FieldErrors& errors, const std::string& prefix, Association& a,
                  bool partial) {
    CommandFields f(errors, prefix);
    const auto given = [&](const std::optional<std::string>& v) { return !partial || v.has_value(); };
    if (given(in.legalName)) {
        a.legalName = f.text("legal_name", in.legalName.value_or(""), false, 200).value_or("");
    }
    if (given(in.billingEmail)) {
        const auto email = f.text("billing_email", in.billingEmail.value_or(""), false, 254);
        if (email && !isValidEmail(*email)) {
            errors.add(f.path("billing_email"), "invalid_email", "This is not a valid e-mail address.");
        }
        a.billingEmail = email.value_or("");
    }
    if (given(in.siren)) {
        a.siren.reset();
        if (const auto siren = f.text("siren", in.siren.value_or(""), false, 20)) {
            const std::string normalized = normalizeSiren(*siren);
            if (!isValidSiren(normalized)) {
                errors.add(f.path("siren"), "invalid_siren",
                           "A SIREN number has 9 digits and a valid check digit.");
            }
            a.siren = normalized;
        }
    }
    if (given(in.siret)) {
        a.siret.reset();
        if (const auto siret = f.text("siret", in.siret.value_or(""), false, 30)) {
            const std::string normalized = normalizeSiren(*siret);
            if (!isValidSiret(normalized)) {
                errors.add(f.path("siret"), "invalid_siret",
                           "A SIRET number has 14 digits (the SIREN, then the establishment) and a valid "
                           "check digit.");
            } else if (a.siren && isValidSiren(*a.siren) && normalized.substr(0, 9) != *a.siren) {
                errors.add(f.path("siret"), "siret_siren_mismatch",
                           "A SIRET starts with the association's SIREN.");
            }
            a.siret = normalized;
        }
    }
    if (given(in.rna)) {
        a.rna.reset();
        if (const auto rna = f.text("rna", in.rna.value_or(""), false, 20)) {
            const std::string normalized = normalizeRna(*rna);
            if (!isValidRna(normalized)) {
                errors.add(f.path("rna"), "invalid_rna",
                           "An RNA number is W followed by 9 digits (or 2A/2B and 7 digits in Corsica).");
            }
            a.rna = normalized;
        }
    }
    const AddressInput& address = in.address;
    switch (address.form) {
        case AddressInput::Form::Absent:
            break;
        case AddressInput::Form::Null:
            a.address = PostalAddress{};  // no address
            break;
        case AddressInput::Form::Line:
            a.address = PostalAddress{};
            a.address.line1 = f.text("address", address.line1, false, 500).value_or("");
            break;
        case AddressInput::Form::Whole: {
            a.address = PostalAddress{};
            CommandFields af(errors, f.path("address"));
            a.address.line1 = af.text("line1", address.line1, true, 200).value_or("");
            a.address.line2 = af.text("line2", address.line2, false, 200).value_or("");
            a.address.postalCode = af.text("postal_code", address.postalCode, true, 20).value_or("");
            a.address.city = af.text("city", address.city, true, 100).value_or("");
            a.address.country = af.text("country", address.country, false, 2).value_or("FR");
            if (a.address.country == "FR" && !a.address.postalCode.empty() &&
                !(a.address.postalCode.size() == 5 && isDigits(a.address.postalCode))) {
                errors.add(af.path("postal_code"), "invalid_postal_code",
                           "A French postal code has 5 digits.");
            }
            break;
        }
    }
}

}  // namespace

struct AssociationService::Draft {
    Association association;
    User manager;
    std::string password;
};

AssociationService::AssociationService(Database& db, base::Clock& clock, const Settings& settings,
                                       const PasswordHasher& hasher, Outbox& outbox,
                                       std::function<void()> mailQueued)
    : db_(db),
      clock_(clock),
      settings_(settings),
      hasher_(hasher),
      outbox_(outbox),
      mailQueued_(std::move(mailQueued)) {}

std::string AssociationService::nowText() const {
    return formatTime(clock_.now());
}

AssociationService::Draft AssociationService::checkSignup(const Signup& command, Session& s) {
    FieldErrors errors;
    CommandFields top(errors);
    Draft d;

    if (const auto& assoc = top.required("association", command.association)) {
        CommandFields f(errors, "association");
        d.association.name = f.text("name", assoc->name, true, 200).value_or("");
        const auto kind = f.text("kind", assoc->kind, true, 20);
        if (kind && !kKinds.count(*kind)) {
            errors.add("association.kind", "invalid_kind", "Expected association, individual or other.");
        }
        d.association.kind = kind.value_or("");
        const auto email = f.text("email", assoc->email, true, 254);
        if (email && !isValidEmail(*email)) {
            errors.add("association.email", "invalid_email", "This is not a valid e-mail address.");
        }
        d.association.email = email.value_or("");
        readIdentity(assoc->identity, errors, "association", d.association, false);
    }

    if (const auto& manager = top.required("manager", command.manager)) {
        CommandFields f(errors, "manager");
        d.manager.name = f.text("name", manager->name, true, 200).value_or("");
        const auto email = f.text("email", manager->email, true, 254);
        if (email && !isValidEmail(*email)) {
            errors.add("manager.email", "invalid_email", "This is not a valid e-mail address.");
        }
        d.manager.email = email.value_or("");
        if (f.required("password", manager->password)) {
            d.password = *manager->password;
            if (const auto problem = passwordProblem(d.password)) {
                errors.add("manager.password", "weak_password", *problem);
            }
        }
    }

    if (const auto plan = top.text("plan", command.plan, false, 40)) {
        if (!PlanRepository(s).find(*plan)) {
            errors.add("plan", "unknown_plan", "There is no plan with this name.");
        }
        d.association.planSlug = plan;
    }

    if (command.acceptTerms != true) {
        errors.add("accept_terms", "terms_not_accepted", "The terms of service must be accepted.");
    }
    errors.throwIfAny();
    return d;
}

std::string AssociationService::issueVerification(Session& s, const User& user) {
    const std::string token = newSecretToken();
    const std::string at = nowText();
    UserRepository(s).insertVerification(hashToken(token), user.id, user.email, at,
                                         formatTime(clock_.now() + kVerificationValidity));
    return settings_.publicUrl + "/verify-email?token=" + token;
}

SignupResult AssociationService::insertSignup(Session& s, Draft& d, const Actor& actor,
                                              AssociationStatus status) {
    const std::string at = nowText();
    d.association.id = newId("asso");
    d.association.status = status;
    d.association.createdAt = d.association.updatedAt = at;
    d.manager.id = newId("user");
    d.manager.termsVersion = settings_.termsVersion;
    d.manager.termsAcceptedAt = at;
    d.manager.createdAt = at;

    UserRepository users(s);
    try {
        users.insert(d.manager);
    } catch (const Error& e) {
        if (e.code() == "email_taken") {
            throw Error(ErrorKind::Conflict, "email_taken", e.what(),
                        {{"manager.email", "email_taken", e.what()}});
        }
        throw;
    }
    AssociationRepository associations(s);
    associations.insert(d.association);
    if (status == AssociationStatus::Active) {
        d.association.slug = associations.giveSlug(d.association.id, slugify(d.association.name), at);
    }
    associations.addMember(d.association.id, d.manager.id, MemberRole::Manager, at);

    Poco::JSON::Object details;
    details.set("name", d.association.name);
    details.set("kind", d.association.kind);
    details.set("status", wireName(status));
    details.set("manager", d.manager.id);
    details.set("terms_version", settings_.termsVersion);
    AuditLog::record(s, actor, at, "association.signup", "association", d.association.id, d.association.id,
                     details);
    return {d.association, d.manager};
}

SignupResult AssociationService::signup(const Signup& command, const std::string& clientAddress,
                                        const std::string& language) {
    auto s = db_.session();
    Draft draft = checkSignup(command, s);
    draft.manager.language = language == "en" ? "en" : "fr";
    // Hash before taking the write lock: it is slow on purpose.
    draft.manager.passwordHash = hasher_.hash(draft.password);
    Transaction tx(s);
    const AssociationStatus status =
        settings_.signupAutoApprove ? AssociationStatus::Active : AssociationStatus::Pending;
    Actor actor = Actor::anonymous(clientAddress);
    actor.label = draft.manager.email;
    SignupResult result = insertSignup(s, draft, actor, status);

    const std::string link = issueVerification(s, result.manager);
    outbox_.enqueue(
        s, {result.manager.email,
            "verify_email",
            result.manager.language,
            {{"name", result.manager.name}, {"association", result.association.name}, {"link", link}}});
    if (status == AssociationStatus::Pending) {
        for (const auto& admin : UserRepository(s).listStaff()) {
            if (admin.staffRole != StaffRole::Admin) {
                continue;
            }
            outbox_.enqueue(s, {admin.email,
                                "signup_pending_admin",
                                admin.language,
                                {{"association", result.association.name},
                                 {"kind", result.association.kind},
                                 {"email", result.association.email},
                                 {"link", settings_.publicUrl + "/admin/signups"}}});
        }
    } else {
        outbox_.enqueue(s, {result.manager.email,
                            "signup_welcome",
                            result.manager.language,
                            {{"name", result.manager.name},
                             {"association", result.association.name},
                             {"link", settings_.publicUrl + "/login"}}});
    }
    tx.commit();
    mailQueued_();
    return result;
}

SignupResult AssociationService::createActive(const Signup& command, const Actor& actor) {
    auto s = db_.session();
    Draft draft = checkSignup(command, s);
    draft.manager.emailVerified = true;
    draft.manager.passwordHash = hasher_.hash(draft.password);
    Transaction tx(s);
    SignupResult result = insertSignup(s, draft, actor, AssociationStatus::Active);
    tx.commit();
    return result;
}

void AssociationService::notifyManagers(Session& s, const Association& a, const std::string& templateName,
                                        std::map<std::string, std::string> vars) {
    vars["association"] = a.name;
    for (const auto& m : AssociationRepository(s).members(a.id)) {
        if (m.role != MemberRole::Manager) {
            continue;
        }
        const auto user = UserRepository(s).findById(m.userId);
        auto mailVars = vars;
        mailVars["name"] = m.userName;
        outbox_.enqueue(s, {m.userEmail, templateName, user ? user->language : "fr", mailVars});
    }
}

Association AssociationService::decideSignup(const Actor& actor, const std::string& associationId,
                                             AssociationStatus newStatus,
                                             const std::optional<std::string>& reason,
                                             const std::string& templateName,
                                             const std::map<std::string, std::string>& vars) {
    authorize(actor, associationId, Permission::DecideSignup);
    auto s = db_.session();
    Transaction tx(s);
    AssociationRepository repo(s);
    auto a = repo.find(associationId);
    if (!a) {
        throw Error::notFound("Association");
    }
    if (a->status != AssociationStatus::Pending) {
        throw Error(
            ErrorKind::Conflict, "invalid_state",
            "Only a pending sign-up can be decided; this association is " + wireName(a->status) + ".");
    }
    const std::string at = nowText();
    repo.setStatus(a->id, newStatus, reason, at);
    if (newStatus == AssociationStatus::Active) {
        a->slug = repo.giveSlug(a->id, slugify(a->name), at);
    }
    a->status = newStatus;
    a->rejectionReason = reason;
    a->updatedAt = at;
    Poco::JSON::Object details;
    if (reason) {
        details.set("reason", *reason);
    }
    AuditLog::record(s, actor, at,
                     newStatus == AssociationStatus::Active ? "association.approve" : "association.reject",
                     "association", a->id, a->id, details);
    notifyManagers(s, *a, templateName, vars);
    tx.commit();
    mailQueued_();
    return *a;
}

Association AssociationService::updateIdentity(const Actor& actor, const std::string& associationId,
                                               const UpdateIdentity& command) {
    // Billing is the managers' (and the admin's): the same rule as the subscription's.
    Association a = authorize(actor, associationId, Permission::ManageSubscription);
    FieldErrors errors;
    for (const auto& key : command.unknownFields) {
        errors.add(key, "unknown_field",
                   "Not a billing identity field (legal_name, billing_email, siren, siret, rna, address).");
    }
    auto s = db_.session();
    Transaction tx(s);
    AssociationRepository repo(s);
    const auto before = repo.find(associationId);
    if (!before) {
        throw Error::notFound("Association");
    }
    a = *before;
    readIdentity(command.identity, errors, "", a, true);
    errors.throwIfAny();
    const std::string at = nowText();
    const auto show = [](const Association& x) {
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("legal_name", x.legalName);
        o.set("billing_email", x.billingEmail);
        o.set("siren", x.siren.value_or(""));
        o.set("siret", x.siret.value_or(""));
        o.set("rna", x.rna.value_or(""));
        o.set("address", x.address.line1 + "|" + x.address.line2 + "|" + x.address.postalCode + "|" +
                             x.address.city + "|" + x.address.country);
        return o;
    };
    // Only what changed, before and after.
    const Poco::JSON::Object old = show(*before);
    const Poco::JSON::Object after = show(a);
    Poco::JSON::Object details(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [key, value] : after) {
        if (value.toString() != old.get(key).toString()) {
            Poco::JSON::Object change(Poco::JSON_PRESERVE_KEY_ORDER);
            change.set("from", old.get(key));
            change.set("to", value);
            details.set(key, change);
        }
    }
    if (details.size() > 0) {
        repo.updateIdentity(a, at);
        a.updatedAt = at;
        AuditLog::record(s, actor, at, "association.update_identity", "association", a.id, a.id, details);
    }
    tx.commit();
    return a;
}

Association AssociationService::approve(const Actor& actor, const std::string& associationId) {
    return decideSignup(actor, associationId, AssociationStatus::Active, std::nullopt, "signup_approved",
                        {{"link", settings_.publicUrl + "/login"}});
}

Association AssociationService::reject(const Actor& actor, const std::string& associationId,
                                       const std::string& reason) {
    authorize(actor, associationId, Permission::DecideSignup);
    if (trim(reason).empty() || reason.size() > 2000) {
        throw Error(ErrorKind::Validation, "invalid_fields",
                    "Give the reason for the rejection (at most 2000 bytes).",
                    {{"reason", "missing", "Give the reason for the rejection."}});
    }
    return decideSignup(actor, associationId, AssociationStatus::Rejected, reason, "signup_rejected",
                        {{"reason", reason}});
}

User AssociationService::verifyEmail(const std::string& token, const std::string& clientAddress) {
    auto s = db_.session();
    Transaction tx(s);
    const std::string hash = hashToken(token);
    const std::string at = nowText();
    UserRepository users(s);
    const auto userId = users.verificationUser(hash, at);
    if (!userId) {
        throw Error(ErrorKind::BadRequest, "invalid_token",
                    "This verification link is unknown, used or expired.");
    }
    users.setEmailVerified(*userId, at);
    users.useVerification(hash, at);
    auto user = users.findById(*userId);
    Actor actor{user->id, user->email, user->staffRole, clientAddress};
    AuditLog::record(s, actor, at, "user.verify_email", "user", user->id, std::nullopt);
    tx.commit();
    return *user;
}

Association AssociationService::authorize(const Actor& actor, const std::string& associationId,
                                          Permission permission) {
    return access(actor, associationId, permission).association();
}

AssociationAccess AssociationService::access(const Actor& actor, const std::string& associationId,
                                             Permission permission) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    auto s = db_.session();
    AssociationRepository repo(s);
    auto a = repo.find(associationId);
    if (!a) {
        throw Error::notFound("Association");
    }
    const auto role = repo.roleOf(associationId, *actor.userId);
    AssociationAccess out(actor, std::move(*a), role);
    out.require(permission);
    return out;
}

void AssociationAccess::require(Permission permission) const {
    const Decision decision = decide(actor_.staffRole, role_, permission);
    if (decision == Decision::NotFound) {
        throw Error::notFound("Association");
    }
    if (decision == Decision::Forbidden) {
        throw Error::forbidden("Your role in this association does not allow this.");
    }
}

void AssociationService::authorizeGlobal(const Actor& actor, Permission permission) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    if (decide(actor.staffRole, std::nullopt, permission) != Decision::Allow) {
        throw Error::forbidden("This is reserved to the host's staff.");
    }
}

std::vector<Association> AssociationService::list(const Actor& actor, const std::string& cursor, int limit,
                                                  const std::optional<AssociationStatus>& status) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    auto s = db_.session();
    const bool all =
        decide(actor.staffRole, std::nullopt, Permission::ViewAllAssociations) == Decision::Allow;
    return AssociationRepository(s).list(all ? std::nullopt : actor.userId, cursor, limit, status);
}

Association AssociationService::setPlan(const Actor& actor, const std::string& associationId,
                                        const std::string& planSlug) {
    authorize(actor, associationId, Permission::ViewAssociation);
    authorizeGlobal(actor, Permission::ManagePlans);
    auto s = db_.session();
    Transaction tx(s);
    if (!PlanRepository(s).find(planSlug)) {
        throw Error(ErrorKind::Validation, "invalid_fields", "There is no plan named " + planSlug + ".",
                    {{"plan", "unknown_plan", "There is no plan with this name."}});
    }
    const std::string at = nowText();
    AssociationRepository(s).setPlan(associationId, planSlug, at);
    Poco::JSON::Object details;
    details.set("plan", planSlug);
    AuditLog::record(s, actor, at, "association.set_plan", "association", associationId, associationId,
                     details);
    auto a = AssociationRepository(s).find(associationId);
    tx.commit();
    return *a;
}

std::vector<Membership> AssociationService::members(const std::string& associationId) {
    auto s = db_.session();
    return AssociationRepository(s).members(associationId);
}

std::vector<Membership> AssociationService::membershipsOf(const std::string& userId) {
    auto s = db_.session();
    return AssociationRepository(s).membershipsOf(userId);
}

Membership AssociationService::addMember(const Actor& actor, const std::string& associationId,
                                         const AddMember& command) {
    authorize(actor, associationId, Permission::ManageMembers);
    FieldErrors errors;
    CommandFields f(errors);
    const auto email = f.text("email", command.email, true, 254);
    if (email && !isValidEmail(*email)) {
        errors.add("email", "invalid_email", "This is not a valid e-mail address.");
    }
    const auto roleText = f.text("role", command.role, false, 20).value_or("member");
    const auto role = memberRoleFrom(roleText);
    if (!role) {
        errors.add("role", "invalid_role", "Expected manager or member.");
    }
    errors.throwIfAny();

    auto s = db_.session();
    Transaction tx(s);
    const auto user = UserRepository(s).findByEmail(*email);
    if (!user) {
        throw Error(ErrorKind::Validation, "invalid_fields", "No account uses this e-mail address yet.",
                    {{"email", "unknown_user",
                      "No account uses this e-mail address yet: the person must create an account first."}});
    }
    AssociationRepository repo(s);
    const auto previous = repo.roleOf(associationId, user->id);
    if (previous == MemberRole::Manager && *role == MemberRole::Member &&
        repo.countManagers(associationId) <= 1) {
        throw Error(ErrorKind::Conflict, "last_manager", "An association keeps at least one manager.");
    }
    const std::string at = nowText();
    repo.addMember(associationId, user->id, *role, at);
    Poco::JSON::Object details;
    details.set("user", user->id);
    details.set("role", toString(*role));
    AuditLog::record(s, actor, at, previous ? "member.change_role" : "member.add", "membership",
                     associationId + "/" + user->id, associationId, details);
    tx.commit();
    return AssociationRepository(s).member(associationId, user->id);
}

void AssociationService::removeMember(const Actor& actor, const std::string& associationId,
                                      const std::string& userId) {
    authorize(actor, associationId, Permission::ManageMembers);
    auto s = db_.session();
    Transaction tx(s);
    AssociationRepository repo(s);
    const auto role = repo.roleOf(associationId, userId);
    if (!role) {
        throw Error::notFound("Member");
    }
    if (*role == MemberRole::Manager && repo.countManagers(associationId) <= 1) {
        throw Error(ErrorKind::Conflict, "last_manager", "An association keeps at least one manager.");
    }
    repo.removeMember(associationId, userId);
    const std::string at = nowText();
    Poco::JSON::Object details;
    details.set("user", userId);
    AuditLog::record(s, actor, at, "member.remove", "membership", associationId + "/" + userId, associationId,
                     details);
    tx.commit();
}

}  // namespace chatiere::manager
