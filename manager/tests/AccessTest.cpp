#include "domain/Access.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

namespace {
constexpr Permission kScoped[] = {
    Permission::ViewAssociation,      Permission::ViewMembers,    Permission::ManageMembers,
    Permission::ViewServices,         Permission::ManageServices, Permission::ViewBilling,
    Permission::ManageSubscription,   Permission::DecideSignup,   Permission::RecordPayments,
    Permission::GrantQuotaExceptions, Permission::EditPads};
constexpr Permission kGlobal[] = {Permission::ManagePlans, Permission::ViewAudit,
                                  Permission::ViewAllAssociations, Permission::ViewMonitoring};
}  // namespace

TEST(Access, AdminMayDoEverything) {
    for (auto p : kScoped) {
        EXPECT_EQ(decide(StaffRole::Admin, std::nullopt, p), Decision::Allow);
    }
    for (auto p : kGlobal) {
        EXPECT_EQ(decide(StaffRole::Admin, std::nullopt, p), Decision::Allow);
    }
}

TEST(Access, StrangerGetsNotFoundOnScopedAndForbiddenOnGlobal) {
    for (auto p : kScoped) {
        EXPECT_EQ(decide(std::nullopt, std::nullopt, p), Decision::NotFound);
    }
    for (auto p : kGlobal) {
        EXPECT_EQ(decide(std::nullopt, std::nullopt, p), Decision::Forbidden);
    }
}

TEST(Access, MemberSeesButDoesNotManage) {
    const auto m = MemberRole::Member;
    EXPECT_EQ(decide(std::nullopt, m, Permission::ViewAssociation), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ViewMembers), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ViewServices), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ManageMembers), Decision::Forbidden);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ManageServices), Decision::Forbidden);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ViewBilling), Decision::Forbidden);
    EXPECT_EQ(decide(std::nullopt, m, Permission::DecideSignup), Decision::Forbidden);
}

TEST(Access, ManagerManagesItsAssociationButIsNotStaff) {
    const auto m = MemberRole::Manager;
    EXPECT_EQ(decide(std::nullopt, m, Permission::ManageMembers), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ManageServices), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ViewBilling), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ManageSubscription), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, m, Permission::DecideSignup), Decision::Forbidden);
    EXPECT_EQ(decide(std::nullopt, m, Permission::RecordPayments), Decision::Forbidden);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ManagePlans), Decision::Forbidden);
    EXPECT_EQ(decide(std::nullopt, m, Permission::ViewAudit), Decision::Forbidden);
}

TEST(Access, TreasurerSeesAssociationsAndBillingOnly) {
    const auto t = StaffRole::Treasurer;
    EXPECT_EQ(decide(t, std::nullopt, Permission::ViewAssociation), Decision::Allow);
    EXPECT_EQ(decide(t, std::nullopt, Permission::ViewAllAssociations), Decision::Allow);
    EXPECT_EQ(decide(t, std::nullopt, Permission::ViewBilling), Decision::Allow);
    EXPECT_EQ(decide(t, std::nullopt, Permission::RecordPayments), Decision::Allow);
    // The admin console's lists show every association's services: reading them, not acting.
    EXPECT_EQ(decide(t, std::nullopt, Permission::ViewServices), Decision::Allow);
    // It sees every association, so refusals are 403, not 404.
    EXPECT_EQ(decide(t, std::nullopt, Permission::ManageMembers), Decision::Forbidden);
    EXPECT_EQ(decide(t, std::nullopt, Permission::ManageServices), Decision::Forbidden);
    EXPECT_EQ(decide(t, std::nullopt, Permission::DecideSignup), Decision::Forbidden);
    EXPECT_EQ(decide(t, std::nullopt, Permission::ManagePlans), Decision::Forbidden);
    EXPECT_EQ(decide(t, std::nullopt, Permission::ViewAudit), Decision::Forbidden);
}

// Pads (issue 17): every member lists and creates them (anyone with a pad's link edits it); only
// managers and the admin delete one (ManageServices); the treasurer reads, never writes.
TEST(Access, EveryMemberCreatesPadsButOnlyManagersDeleteThem) {
    EXPECT_EQ(decide(std::nullopt, MemberRole::Member, Permission::EditPads), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, MemberRole::Manager, Permission::EditPads), Decision::Allow);
    EXPECT_EQ(decide(std::nullopt, MemberRole::Member, Permission::ManageServices), Decision::Forbidden);
    EXPECT_EQ(decide(StaffRole::Admin, std::nullopt, Permission::EditPads), Decision::Allow);
    EXPECT_EQ(decide(StaffRole::Treasurer, std::nullopt, Permission::EditPads), Decision::Forbidden);
    EXPECT_EQ(decide(std::nullopt, std::nullopt, Permission::EditPads), Decision::NotFound);
}

TEST(Access, TreasurerWhoIsAlsoAManagerKeepsBothRights) {
    EXPECT_EQ(decide(StaffRole::Treasurer, MemberRole::Manager, Permission::ManageMembers), Decision::Allow);
    EXPECT_EQ(decide(StaffRole::Treasurer, MemberRole::Manager, Permission::RecordPayments), Decision::Allow);
}

TEST(Access, RoleNamesRoundTrip) {
    EXPECT_EQ(staffRoleFrom(toString(StaffRole::Admin)), StaffRole::Admin);
    EXPECT_EQ(staffRoleFrom(toString(StaffRole::Treasurer)), StaffRole::Treasurer);
    EXPECT_EQ(memberRoleFrom(toString(MemberRole::Manager)), MemberRole::Manager);
    EXPECT_EQ(memberRoleFrom(toString(MemberRole::Member)), MemberRole::Member);
    EXPECT_EQ(staffRoleFrom("root"), std::nullopt);
    EXPECT_EQ(memberRoleFrom("owner"), std::nullopt);
}
