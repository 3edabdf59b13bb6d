#pragma once

#include "domain/Access.h"

#include <optional>
#include <string>

namespace chatiere::manager {

// Who is acting, for authorisation and the audit log: a signed-in user, or the system itself
// (background tasks, the CLI on the database), with the client's address when there is one.
struct Actor {
    std::optional<std::string> userId;
    std::string label;  // e-mail of the user, or "system", "cli"
    std::optional<StaffRole> staffRole;
    std::string clientAddress;
    // A staff account without its required second factor (auth.require_totp_for_staff): it may only
    // enrol one, read who it is, or log out; everything else answers 403 totp_enrolment_required.
    bool totpEnrolmentRequired = false;

    static Actor system(std::string label = "system") {
        return Actor{std::nullopt, std::move(label), std::nullopt, ""};
    }
    static Actor anonymous(std::string clientAddress) {
        return Actor{std::nullopt, "anonymous", std::nullopt, std::move(clientAddress)};
    }
    bool isAdmin() const { return staffRole == StaffRole::Admin; }
    bool isStaff() const { return staffRole.has_value(); }
};

}  // namespace chatiere::manager
