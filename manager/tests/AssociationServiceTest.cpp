#include "domain/AssociationService.h"

#include "ServiceFixture.h"
#include "api/Commands.h"

using namespace chatiere::manager;
using chatiere::manager::testing::ServiceFixture;

namespace {

std::string signupBody(const std::string& name, const std::string& email, const std::string& extra = "") {
    return R"({"association": {"name": ")" + name + R"(", "kind": "association", "email": ")" + email +
           R"("}, "manager": {"name": "Camille", "email": ")" + email +
           R"(", "password": "correct horse battery staple"}, "accept_terms": true)" + extra + "}";
}

class AssociationServiceTest : public ServiceFixture {
protected:
    AssociationService service{db, clock, settings, hasher, outbox, wake()};

    SignupResult signup(const std::string& name = "Jardin",
                        const std::string& email = "camille@jardin.test") {
        return service.signup(api::parseSignup(json(signupBody(name, email))), "192.0.2.1", "fr");
    }
    Actor managerOf(const SignupResult& r) {
        return Actor{r.manager.id, r.manager.email, std::nullopt, "192.0.2.1"};
    }
    SignupResult active(const std::string& name, const std::string& email) {
        auto r = signup(name, email);
        service.approve(admin(), r.association.id);
        return r;
    }
};

TEST_F(AssociationServiceTest, SignupStoresAPendingAssociationWithItsManagerAndMailsTheLink) {
    admin();
    const auto r = signup();
    EXPECT_EQ(r.association.status, AssociationStatus::Pending);
    const auto stored = service.authorize(admin(), r.association.id, Permission::ViewAssociation);
    EXPECT_EQ(stored.name, "Jardin");
    const auto members = service.members(r.association.id);
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0].userId, r.manager.id);
    EXPECT_EQ(members[0].role, MemberRole::Manager);
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE template = 'verify_email'"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE template = 'signup_pending_admin'"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'association.signup'"), 1);
    EXPECT_EQ(wakeUps, 1);
}

TEST_F(AssociationServiceTest, BadSignupsAreRefusedByFieldAndWriteNothing) {
    signup();
    expectRefused(
        [&] { service.signup(api::parseSignup(json(R"({"association": {}})")), "192.0.2.1", "fr"); },
        ErrorKind::Validation, "invalid_fields");
    expectRefused(
        [&] {
            service.signup(api::parseSignup(json(signupBody("Autre", "not-an-address"))), "192.0.2.1", "fr");
        },
        ErrorKind::Validation, "invalid_fields");
    expectRefused(
        [&] {
            service.signup(api::parseSignup(json(signupBody("Autre", "x@y.test", R"(, "plan": "nope")"))),
                           "192.0.2.1", "fr");
        },
        ErrorKind::Validation, "invalid_fields");
    // The address is taken, in any case.
    expectRefused([&] { signup("Autre", "CAMILLE@jardin.test"); }, ErrorKind::Conflict, "email_taken");
}

TEST_F(AssociationServiceTest, VerifyingTheMailedLinkMarksTheAddressOnce) {
    const auto r = signup();
    const std::string token = tokenMailedTo("camille@jardin.test", "verify_email");
    ASSERT_FALSE(token.empty());
    const User u = service.verifyEmail(token, "192.0.2.1");
    EXPECT_TRUE(u.emailVerified);
    EXPECT_EQ(u.id, r.manager.id);
    expectRefused([&] { service.verifyEmail(token, "192.0.2.1"); }, ErrorKind::BadRequest, "invalid_token");
    expectRefused([&] { service.verifyEmail("unknown", "192.0.2.1"); }, ErrorKind::BadRequest,
                  "invalid_token");
}

TEST_F(AssociationServiceTest, ApproveAndRejectDecideAPendingSignupOnlyOnce) {
    const auto r = signup();
    const auto other = signup("Chorale", "dominique@chorale.test");
    const auto a = service.approve(admin(), r.association.id);
    EXPECT_EQ(a.status, AssociationStatus::Active);
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE template = 'signup_approved'"), 1);
    expectRefused([&] { service.approve(admin(), r.association.id); }, ErrorKind::Conflict, "invalid_state");
    expectRefused([&] { service.reject(admin(), r.association.id, "no"); }, ErrorKind::Conflict,
                  "invalid_state");
    // Only the staff decide.
    expectRefused([&] { service.approve(managerOf(other), other.association.id); }, ErrorKind::Forbidden,
                  "forbidden");
    const auto rejected = service.reject(admin(), other.association.id, "Hors sujet");
    EXPECT_EQ(rejected.status, AssociationStatus::Rejected);
    EXPECT_EQ(rejected.rejectionReason, "Hors sujet");
}

TEST_F(AssociationServiceTest, StrangersDoNotSeeAnAssociation) {
    const auto r = active("Jardin", "camille@jardin.test");
    const auto other = active("Chorale", "dominique@chorale.test");
    expectRefused([&] { service.authorize(managerOf(other), r.association.id, Permission::ViewAssociation); },
                  ErrorKind::NotFound, "not_found");
    const auto mine = service.list(managerOf(r), "", 50, std::nullopt);
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(mine[0].id, r.association.id);
    EXPECT_EQ(service.list(admin(), "", 50, std::nullopt).size(), 2u);
    EXPECT_EQ(service.list(admin(), "", 50, AssociationStatus::Active).size(), 2u);
    EXPECT_TRUE(service.list(admin(), "", 50, AssociationStatus::Pending).empty());
}

// What a page reads its association's data with: one check, then each permission decided
// against the role read with it (no query), as authorize() decides it.
TEST_F(AssociationServiceTest, AnAccessAnswersEachPermissionAsAuthorizeDoes) {
    const auto r = active("Jardin", "camille@jardin.test");
    const auto other = active("Chorale", "dominique@chorale.test");
    // A stranger: 404, as authorize() answers.
    expectRefused([&] { service.access(managerOf(other), r.association.id, Permission::ViewAssociation); },
                  ErrorKind::NotFound, "not_found");
    service.addMember(managerOf(r), r.association.id, AddMember{"dominique@chorale.test", "member"});

    const AssociationAccess manager =
        service.access(managerOf(r), r.association.id, Permission::ViewAssociation);
    EXPECT_EQ(manager.association().name, "Jardin");
    EXPECT_EQ(manager.id(), r.association.id);
    EXPECT_EQ(manager.role(), MemberRole::Manager);
    EXPECT_EQ(manager.actor().userId, r.manager.id);

    const AssociationAccess member =
        service.access(managerOf(other), r.association.id, Permission::ViewServices);
    EXPECT_EQ(member.role(), MemberRole::Member);
    const AssociationAccess staff = service.access(admin(), r.association.id, Permission::ViewBilling);
    EXPECT_FALSE(staff.role().has_value());
    for (const auto permission :
         {Permission::ViewAssociation, Permission::ViewMembers, Permission::ManageMembers,
          Permission::ViewServices, Permission::ManageServices, Permission::ViewBilling,
          Permission::ManageSubscription}) {
        for (const auto* access : {&manager, &member, &staff}) {
            bool authorized = true;
            try {
                service.authorize(access->actor(), r.association.id, permission);
            } catch (const Error&) {
                authorized = false;
            }
            EXPECT_EQ(access->allows(permission), authorized) << static_cast<int>(permission);
            bool required = true;
            try {
                access->require(permission);
            } catch (const Error& e) {
                required = false;
                EXPECT_EQ(e.kind(), ErrorKind::Forbidden);
            }
            EXPECT_EQ(required, authorized) << static_cast<int>(permission);
        }
    }
    EXPECT_FALSE(member.allows(Permission::ViewBilling));
    expectRefused([&] { service.access(managerOf(other), r.association.id, Permission::ViewBilling); },
                  ErrorKind::Forbidden, "forbidden");
    expectRefused([&] { service.access(managerOf(r), "asso_nope", Permission::ViewAssociation); },
                  ErrorKind::NotFound, "not_found");
}

TEST_F(AssociationServiceTest, MembersAreAddedAndRemovedButTheLastManagerStays) {
    const auto r = active("Jardin", "camille@jardin.test");
    const auto other = active("Chorale", "dominique@chorale.test");
    const Actor manager = managerOf(r);
    const auto m =
        service.addMember(manager, r.association.id, AddMember{"Dominique@Chorale.test", "member"});
    EXPECT_EQ(m.userId, other.manager.id);
    EXPECT_EQ(m.role, MemberRole::Member);
    EXPECT_EQ(service.membershipsOf(other.manager.id).size(), 2u);

    expectRefused(
        [&] {
            service.addMember(manager, r.association.id, AddMember{"nobody@x.test", ""});
        },
        ErrorKind::Validation, "invalid_fields");
    expectRefused(
        [&] {
            service.addMember(manager, r.association.id, AddMember{"dominique@chorale.test", "boss"});
        },
        ErrorKind::Validation, "invalid_fields");
    expectRefused([&] { service.removeMember(manager, r.association.id, r.manager.id); }, ErrorKind::Conflict,
                  "last_manager");
    expectRefused([&] { service.removeMember(manager, r.association.id, "user_nobody"); },
                  ErrorKind::NotFound, "not_found");
    // A member may not manage members.
    expectRefused([&] { service.removeMember(managerOf(other), r.association.id, r.manager.id); },
                  ErrorKind::Forbidden, "forbidden");

    service.removeMember(manager, r.association.id, other.manager.id);
    EXPECT_EQ(service.members(r.association.id).size(), 1u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'member.remove'"), 1);
}

TEST_F(AssociationServiceTest, SetPlanNeedsAnExistingPlan) {
    const auto r = active("Jardin", "camille@jardin.test");
    expectRefused([&] { service.setPlan(admin(), r.association.id, "nope"); }, ErrorKind::Validation,
                  "invalid_fields");
    db.session().execute(
        "INSERT INTO plans (slug, version, created_at, updated_at) VALUES ('asso', 1, 'x', 'x')");
    db.session().execute(
        "INSERT INTO plan_versions (slug, version, body, created_at) VALUES ('asso', 1, ?, 'x')",
        std::string(R"({"slug": "asso", "name": {"fr": "Asso", "en": "Asso"}, "templates": [], "prices": [],
                       "quotas": {}, "free": true})"));
    const auto a = service.setPlan(admin(), r.association.id, "asso");
    EXPECT_EQ(a.planSlug, "asso");
    EXPECT_EQ(count("SELECT COUNT(*) FROM associations WHERE plan_slug = 'asso'"), 1);
}

TEST_F(AssociationServiceTest, UpdateIdentityRefusesABadSirenAndWritesNothing) {
    const auto r = active("Jardin", "camille@jardin.test");
    expectRefused(
        [&] {
            service.updateIdentity(managerOf(r), r.association.id,
                                   api::parseUpdateIdentity(json(R"({"siren": "123"})")));
        },
        ErrorKind::Validation, "invalid_fields");
    const auto a = service.updateIdentity(
        managerOf(r), r.association.id,
        api::parseUpdateIdentity(json(R"({"legal_name": "Jardin partagé du quartier"})")));
    EXPECT_EQ(a.legalName, "Jardin partagé du quartier");
}

}  // namespace

namespace {

// A typed sign-up that the service accepts.
Signup goodSignup(const std::string& email = "camille@jardin.test") {
    Signup c;
    c.association = SignupAssociation{"association", "Jardin", email, {}};
    c.manager = SignupManager{"Camille", email, std::string("correct horse battery staple")};
    c.acceptTerms = true;
    return c;
}

// The field errors (field → code) the service refuses `f` with; empty when it accepts.
template <typename F>
std::map<std::string, std::string> fieldErrorsOf(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        std::map<std::string, std::string> out;
        for (const auto& field : e.fields()) {
            out[field.field] = field.code;
        }
        return out;
    }
    return {};
}

}  // namespace

TEST_F(AssociationServiceTest, TypedSignupIsCheckedFieldByField) {
    const auto refused = [&](const Signup& c) {
        return fieldErrorsOf([&] { service.signup(c, "192.0.2.1", "fr"); });
    };
    EXPECT_EQ(
        refused(Signup{}),
        (std::map<std::string, std::string>{
            {"association", "missing"}, {"manager", "missing"}, {"accept_terms", "terms_not_accepted"}}));
    Signup c = goodSignup();
    c.association->name = "  ";
    c.association->kind = "club";
    c.association->email = "nope";
    c.association->identity.billingEmail = "nope";
    c.association->identity.siren = "123";
    c.association->identity.siret = "123";
    c.association->identity.rna = "X1";
    c.association->identity.legalName = std::string(201, 'x');
    c.manager->name = "";
    c.manager->email = "nope";
    c.manager->password = "short";
    c.plan = "nope";
    c.acceptTerms = false;
    EXPECT_EQ(refused(c), (std::map<std::string, std::string>{{"association.name", "missing"},
                                                              {"association.kind", "invalid_kind"},
                                                              {"association.email", "invalid_email"},
                                                              {"association.billing_email", "invalid_email"},
                                                              {"association.siren", "invalid_siren"},
                                                              {"association.siret", "invalid_siret"},
                                                              {"association.rna", "invalid_rna"},
                                                              {"association.legal_name", "too_long"},
                                                              {"manager.name", "missing"},
                                                              {"manager.email", "invalid_email"},
                                                              {"manager.password", "weak_password"},
                                                              {"plan", "unknown_plan"},
                                                              {"accept_terms", "terms_not_accepted"}}));
    c = goodSignup();
    c.manager->password.reset();
    c.association->identity.siren = "552100554";
    c.association->identity.siret = "73282932000074";
    c.association->identity.address.form = AddressInput::Form::Whole;
    c.association->identity.address.postalCode = "3500";
    EXPECT_EQ(refused(c), (std::map<std::string, std::string>{
                              {"manager.password", "missing"},
                              {"association.siret", "siret_siren_mismatch"},
                              {"association.address.line1", "missing"},
                              {"association.address.city", "missing"},
                              {"association.address.postal_code", "invalid_postal_code"}}));
    EXPECT_EQ(count("SELECT COUNT(*) FROM associations"), 0);
}

TEST_F(AssociationServiceTest, TypedSignupStoresTheIdentityAndAddress) {
    Signup c = goodSignup();
    IdentityInput& identity = c.association->identity;
    identity.legalName = " Jardin partagé ";
    identity.siren = "552 100 554";
    identity.address = {AddressInput::Form::Whole, "2 rue Haute", "", "35000", "Rennes", ""};
    const auto r = service.signup(c, "192.0.2.1", "fr");
    EXPECT_EQ(r.association.legalName, "Jardin partagé");
    EXPECT_EQ(r.association.siren, "552100554");
    EXPECT_FALSE(r.association.siret);
    EXPECT_EQ(r.association.address.line1, "2 rue Haute");
    EXPECT_EQ(r.association.address.country, "FR");
}

TEST_F(AssociationServiceTest, CreateActiveTakesATypedSignup) {
    const auto r = service.createActive(goodSignup(), admin());
    EXPECT_EQ(r.association.status, AssociationStatus::Active);
    EXPECT_TRUE(r.manager.emailVerified);
}

TEST_F(AssociationServiceTest, UpdateIdentityChangesOnlyTheGivenFields) {
    const auto r = active("Jardin", "camille@jardin.test");
    UpdateIdentity c;
    c.identity.legalName = "Jardin partagé";
    c.identity.siren = "552100554";
    c.identity.address = {AddressInput::Form::Line, "2 rue Haute, Rennes", "", "", "", ""};
    auto a = service.updateIdentity(managerOf(r), r.association.id, c);
    EXPECT_EQ(a.legalName, "Jardin partagé");
    EXPECT_EQ(a.address.line1, "2 rue Haute, Rennes");

    UpdateIdentity clear;  // absent: unchanged; "": cleared; a null address: none
    clear.identity.siren = "";
    clear.identity.address.form = AddressInput::Form::Null;
    a = service.updateIdentity(managerOf(r), r.association.id, clear);
    EXPECT_EQ(a.legalName, "Jardin partagé");
    EXPECT_FALSE(a.siren);
    EXPECT_EQ(a.address.line1, "");

    UpdateIdentity bad;
    bad.unknownFields = {"name"};
    bad.identity.billingEmail = "nope";
    bad.identity.address = {AddressInput::Form::Whole, "", "", "", "", "BE"};
    EXPECT_EQ(fieldErrorsOf([&] { service.updateIdentity(managerOf(r), r.association.id, bad); }),
              (std::map<std::string, std::string>{{"name", "unknown_field"},
                                                  {"billing_email", "invalid_email"},
                                                  {"address.line1", "missing"},
                                                  {"address.postal_code", "missing"},
                                                  {"address.city", "missing"}}));
    EXPECT_EQ(service.authorize(admin(), r.association.id, Permission::ViewAssociation).legalName,
              "Jardin partagé");
}
