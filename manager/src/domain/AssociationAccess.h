#pragma once

#include "domain/Access.h"
#include "domain/Actor.h"
#include "store/Associations.h"

#include <optional>
#include <string>

namespace chatiere::manager {

// An actor's access to one association, checked once by AssociationService::access (the
// association and the actor's role in it, read together) and then handed to the services that
// read the association's data: a page that shows several of them authorizes once instead of once
// per read. Each service still checks its own permission against it (no query). Only
// AssociationService builds one.
class AssociationAccess {
public:
    const Actor& actor() const { return actor_; }
    const Association& association() const { return association_; }
    const std::string& id() const { return association_.id; }
    std::optional<MemberRole> role() const { return role_; }
    bool allows(Permission permission) const {
        return decide(actor_.staffRole, role_, permission) == Decision::Allow;
    }
    // What AssociationService::authorize answers for `permission`: 404 for a stranger, 403 for a
    // role that may not.
    void require(Permission permission) const;

private:
    friend class AssociationService;
    AssociationAccess(Actor actor, Association association, std::optional<MemberRole> role)
        : actor_(std::move(actor)), association_(std::move(association)), role_(role) {}

    Actor actor_;
    Association association_;
    std::optional<MemberRole> role_;
};

}  // namespace chatiere::manager
