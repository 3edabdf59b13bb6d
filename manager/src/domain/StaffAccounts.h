#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/PasswordHasher.h"
#include "store/Users.h"

#include <vector>

namespace chatiere::manager {

// The host's staff (admins, treasurers), managed from the command line on the database itself:
// `chatiere admin create|list`. Validation errors name the field; a taken address is a Conflict.
User createStaffUser(Database& db, base::Clock& clock, const PasswordHasher& hasher, const std::string& email,
                     const std::string& name, const std::string& password, StaffRole role);
std::vector<User> listStaffUsers(Database& db);

}  // namespace chatiere::manager
