#include "domain/Access.h"

namespace chatiere::manager {

namespace {

bool isScoped(Permission p) {
    switch (p) {
        case Permission::ManagePlans:
        case Permission::ViewAudit:
        case Permission::ViewAllAssociations:
        case Permission::ViewMonitoring:
            return false;
        default:
            return true;
    }
}

// The treasurer reads every association (its record, members and services: the admin console's
// lists), its billing and every invoice, and acts on invoices and payments; only the admin acts on
// services, sign-ups and plans.
bool treasurerMay(Permission p) {
    switch (p) {
        case Permission::ViewAssociation:
        case Permission::ViewMembers:
        case Permission::ViewServices:
        case Permission::ViewBilling:
        case Permission::RecordPayments:
        case Permission::ViewAllAssociations:
            return true;
        default:
            return false;
    }
}

bool memberMay(MemberRole role, Permission p) {
    switch (p) {
        case Permission::ViewAssociation:
        case Permission::ViewMembers:
        case Permission::ViewServices:
        case Permission::EditPads:
            return true;
        case Permission::ManageMembers:
        case Permission::ManageServices:
        case Permission::ViewBilling:
        case Permission::ManageSubscription:
            return role == MemberRole::Manager;
        default:
            return false;
    }
}

}  // namespace

Decision decide(std::optional<StaffRole> staff, std::optional<MemberRole> membership, Permission permission) {
    if (staff == StaffRole::Admin) {
        return Decision::Allow;
    }
    if (staff == StaffRole::Treasurer && treasurerMay(permission)) {
        return Decision::Allow;
    }
    if (membership && memberMay(*membership, permission)) {
        return Decision::Allow;
    }
    if (!isScoped(permission)) {
        return Decision::Forbidden;
    }
    // Scoped: whoever can see the association (a member, or the treasurer who sees them all)
    // learns nothing from a 403; a stranger gets 404.
    if (membership || staff == StaffRole::Treasurer) {
        return Decision::Forbidden;
    }
    return Decision::NotFound;
}

}  // namespace chatiere::manager
