#pragma once

#include "store/Roles.h"

#include <optional>
#include <string>

namespace chatiere::manager {

// What someone wants to do. Association-scoped permissions are asked about one association.
enum class Permission {
    ViewAssociation,       // its record and status
    ViewMembers,           // its member list
    ManageMembers,         // add and remove members, change roles
    ViewServices,          // its services
    ManageServices,        // create, suspend, resume, delete its services (and delete an editor's pads)
    EditPads,              // create pads on its editors (every member: anyone with a pad's link edits it)
    ViewBilling,           // its subscriptions and invoices
    ManageSubscription,    // subscribe, change, cancel
    DecideSignup,          // approve or reject (staff)
    RecordPayments,        // payments and credit notes (staff)
    ManagePlans,           // the catalogue (staff, not scoped)
    ViewAudit,             // the audit log (staff, not scoped)
    ViewAllAssociations,   // list every association (staff, not scoped)
    ViewMonitoring,        // alerts and the Prometheus metrics (admin, not scoped)
    GrantQuotaExceptions,  // a time-limited exception to the quota ladder (admin)
};

enum class Decision { Allow, Forbidden, NotFound };

// The single RBAC rule, pure: host staff role, the caller's role in the association concerned
// (nullopt when not a member, or for permissions not tied to an association), the permission.
// A stranger to an association gets NotFound, so that existence is not leaked; a member whose role
// may not act gets Forbidden.
Decision decide(std::optional<StaffRole> staff, std::optional<MemberRole> membership, Permission permission);

}  // namespace chatiere::manager
