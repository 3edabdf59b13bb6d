#include "domain/Invitations.h"

#include "ServiceFixture.h"
#include "api/Commands.h"

using namespace chatiere::manager;
using chatiere::manager::testing::ServiceFixture;

namespace {

class InvitationsTest : public ServiceFixture {
protected:
    InvitationsTest() {
        settings.invitationsMaxPerDay = 3;
        garden = associations.signup(api::parseSignup(json(signupBody("Jardin", "camille@jardin.test"))),
                                     "192.0.2.1", "fr");
        associations.approve(admin(), garden.association.id);
        manager = Actor{garden.manager.id, garden.manager.email, std::nullopt, "192.0.2.1"};
    }

    static std::string signupBody(const std::string& name, const std::string& email) {
        return R"({"association": {"name": ")" + name + R"(", "kind": "association", "email": ")" + email +
               R"("}, "manager": {"name": "Someone", "email": ")" + email +
               R"(", "password": "correct horse battery staple"}, "accept_terms": true})";
    }
    Invitation invite(const std::string& email, const std::string& role = "member") {
        return invitations.invite(manager, garden.association.id, Invite{email, role}, "fr");
    }
    static NewAccount newAccount(const std::string& password = "correct horse battery staple") {
        return NewAccount{"Sacha", password, true};
    }

    AssociationService associations{db, clock, settings, hasher, outbox, wake()};
    Invitations invitations{db, clock, settings, hasher, outbox, associations, wake()};
    SignupResult garden;
    Actor manager;
};

TEST_F(InvitationsTest, AnInvitedPersonWithoutAnAccountJoinsWithANewOne) {
    const int wakesBefore = wakeUps;
    const auto i = invite("Sacha@example.test", "manager");
    EXPECT_EQ(wakeUps, wakesBefore + 1);
    EXPECT_EQ(i.role, MemberRole::Manager);
    const auto pending = invitations.pending(manager, garden.association.id);
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].id, i.id);
    EXPECT_EQ(pending[0].associationName, "Jardin");

    const std::string token = tokenMailedTo("Sacha@example.test", "invitation");
    const auto found = invitations.find(token);
    EXPECT_EQ(found.id, i.id);
    EXPECT_FALSE(invitations.accountExists(found));

    const auto m = invitations.accept(token, std::nullopt, newAccount(), "192.0.2.5");
    EXPECT_EQ(m.associationId, garden.association.id);
    EXPECT_EQ(m.role, MemberRole::Manager);
    EXPECT_EQ(count("SELECT email_verified FROM users WHERE email_key = 'sacha@example.test'"), 1);
    EXPECT_TRUE(invitations.pending(manager, garden.association.id).empty());
    // Used once.
    expectRefused([&] { invitations.find(token); }, ErrorKind::BadRequest, "invalid_token");
    expectRefused([&] { invitations.accept(token, std::nullopt, newAccount(), "192.0.2.5"); },
                  ErrorKind::BadRequest, "invalid_token");
}

TEST_F(InvitationsTest, AnAccountHolderJoinsOnlyWhenSignedInToThatAccount) {
    const auto other = associations.signup(
        api::parseSignup(json(signupBody("Chorale", "dominique@chorale.test"))), "192.0.2.1", "fr");
    invite("dominique@chorale.test");
    const std::string token = tokenMailedTo("dominique@chorale.test", "invitation");
    EXPECT_TRUE(invitations.accountExists(invitations.find(token)));
    expectRefused([&] { invitations.accept(token, std::nullopt, newAccount(), "192.0.2.5"); },
                  ErrorKind::Forbidden, "wrong_account");
    expectRefused([&] { invitations.accept(token, manager, NewAccount{}, "192.0.2.5"); },
                  ErrorKind::Forbidden, "wrong_account");
    const Actor dominique{other.manager.id, other.manager.email, std::nullopt, "192.0.2.5"};
    const auto m = invitations.accept(token, dominique, NewAccount{}, "192.0.2.5");
    EXPECT_EQ(m.userId, other.manager.id);
    EXPECT_EQ(m.role, MemberRole::Member);
    // Now a member: inviting the address again is a conflict.
    expectRefused([&] { invite("DOMINIQUE@chorale.test"); }, ErrorKind::Conflict, "already_member");
}

TEST_F(InvitationsTest, BadInvitationsAreRefusedAndWriteNothing) {
    expectRefused([&] { invite("not an address"); }, ErrorKind::Validation, "invalid_fields");
    expectRefused([&] { invite("sacha@example.test", "boss"); }, ErrorKind::Validation, "invalid_fields");
    expectRefused([&] { invite("camille@jardin.test"); }, ErrorKind::Conflict, "already_member");
    // A stranger does not see the association; a pending association cannot invite.
    const auto other = associations.signup(
        api::parseSignup(json(signupBody("Chorale", "dominique@chorale.test"))), "192.0.2.1", "fr");
    const Actor stranger{other.manager.id, other.manager.email, std::nullopt, ""};
    expectRefused(
        [&] {
            invitations.invite(stranger, garden.association.id, Invite{"a@b.test", ""}, "fr");
        },
        ErrorKind::NotFound, "not_found");
    expectRefused(
        [&] {
            invitations.invite(stranger, other.association.id, Invite{"a@b.test", ""}, "fr");
        },
        ErrorKind::Conflict, "association_not_active");
}

TEST_F(InvitationsTest, ANewInvitationReplacesTheOldAndADaysInvitationsAreLimited) {
    invite("sacha@example.test");
    const std::string first = tokenMailedTo("sacha@example.test", "invitation");
    invite("sacha@example.test", "manager");
    const std::string second = tokenMailedTo("sacha@example.test", "invitation");
    EXPECT_NE(first, second);
    expectRefused([&] { invitations.find(first); }, ErrorKind::BadRequest, "invalid_token");
    EXPECT_EQ(invitations.find(second).role, MemberRole::Manager);
    EXPECT_EQ(invitations.pending(manager, garden.association.id).size(), 1u);

    invite("alex@example.test");
    expectRefused([&] { invite("lou@example.test"); }, ErrorKind::TooManyRequests, "too_many_invitations");
    clock.advance(std::chrono::hours(25));
    EXPECT_NO_THROW(invite("lou@example.test"));
}

TEST_F(InvitationsTest, RevokedOrExpiredInvitationsCannotBeUsed) {
    const auto i = invite("sacha@example.test");
    const std::string token = tokenMailedTo("sacha@example.test", "invitation");
    expectRefused([&] { invitations.revoke(manager, garden.association.id, "inv_unknown"); },
                  ErrorKind::NotFound, "not_found");
    invitations.revoke(manager, garden.association.id, i.id);
    expectRefused([&] { invitations.find(token); }, ErrorKind::BadRequest, "invalid_token");
    expectRefused([&] { invitations.revoke(manager, garden.association.id, i.id); }, ErrorKind::NotFound,
                  "not_found");

    invite("alex@example.test");
    const std::string later = tokenMailedTo("alex@example.test", "invitation");
    // A weak password is refused and leaves the link usable.
    expectRefused([&] { invitations.accept(later, std::nullopt, newAccount("short"), "192.0.2.5"); },
                  ErrorKind::Validation, "invalid_fields");
    clock.advance(Invitations::kValidity + std::chrono::seconds(1));
    expectRefused([&] { invitations.accept(later, std::nullopt, newAccount(), "192.0.2.5"); },
                  ErrorKind::BadRequest, "invalid_token");
}

}  // namespace
