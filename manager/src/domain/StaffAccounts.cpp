#include "domain/StaffAccounts.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"

namespace chatiere::manager {

User createStaffUser(Database& db, base::Clock& clock, const PasswordHasher& hasher,
                     const std::string& email, const std::string& name, const std::string& password,
                     StaffRole role) {
    FieldErrors errors;
    if (!isValidEmail(email)) {
        errors.add("email", "invalid_email", "This is not a valid e-mail address.");
    }
    if (const auto problem = passwordProblem(password)) {
        errors.add("password", "weak_password", *problem);
    }
    if (trim(name).empty()) {
        errors.add("name", "missing", "A name is required.");
    }
    errors.throwIfAny();
    User user;
    user.id = newId("user");
    user.email = email;
    user.name = trim(name);
    user.passwordHash = hasher.hash(password);
    user.emailVerified = true;
    user.staffRole = role;
    user.createdAt = formatTime(clock.now());
    auto s = db.session();
    Transaction tx(s);
    UserRepository(s).insert(user);
    Poco::JSON::Object details;
    details.set("role", toString(role));
    details.set("email", email);
    AuditLog::record(s, Actor::system("cli"), user.createdAt, "user.create_staff", "user", user.id,
                     std::nullopt, details);
    tx.commit();
    return user;
}

std::vector<User> listStaffUsers(Database& db) {
    auto s = db.session();
    return UserRepository(s).listStaff();
}

}  // namespace chatiere::manager
