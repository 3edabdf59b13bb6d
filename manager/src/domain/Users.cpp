#include "domain/Users.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Validation.h"
#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

namespace {
constexpr const char* kColumns =
    "SELECT id, email, name, password_hash, email_verified, staff_role, language, terms_version, "
    "terms_accepted_at, created_at FROM users ";
}

void UserRepository::insert(const User& user) {
    const std::string key = emailKey(user.email);
    int taken = 0;
    session_ << "SELECT COUNT(*) FROM users WHERE email_key = ?", bind(key), into(taken), now;
    if (taken > 0) {
        throw Error(ErrorKind::Conflict, "email_taken", "An account already uses this e-mail address.",
                    {{"email", "email_taken", "An account already uses this e-mail address."}});
    }
    const std::optional<std::string> staff =
        user.staffRole ? std::optional<std::string>(toString(*user.staffRole)) : std::nullopt;
    const int verified = user.emailVerified ? 1 : 0;
    session_ << "INSERT INTO users (id, email, email_key, name, password_hash, email_verified, staff_role, "
                "language, "
                "terms_version, terms_accepted_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?)",
        bind(user.id), bind(user.email), bind(key), bind(user.name), bind(user.passwordHash), bind(verified),
        bind(nullable(staff)), bind(user.language), bind(nullable(user.termsVersion)),
        bind(nullable(user.termsAcceptedAt)), bind(user.createdAt), bind(user.createdAt), now;
}

std::vector<User> UserRepository::select(const std::string& where, const std::string& value) {
    Poco::Data::Statement stmt(session_);
    stmt << std::string(kColumns) + where, bind(value);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<User> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        User u;
        u.id = text(rs, "id");
        u.email = text(rs, "email");
        u.name = text(rs, "name");
        u.passwordHash = text(rs, "password_hash");
        u.emailVerified = integer(rs, "email_verified") != 0;
        if (const auto role = optText(rs, "staff_role")) {
            u.staffRole = staffRoleFrom(*role);
        }
        u.language = text(rs, "language");
        u.termsVersion = optText(rs, "terms_version");
        u.termsAcceptedAt = optText(rs, "terms_accepted_at");
        u.createdAt = text(rs, "created_at");
        out.push_back(std::move(u));
    }
    return out;
}

std::optional<User> UserRepository::findById(const std::string& id) {
    auto users = select("WHERE id = ?", id);
    return users.empty() ? std::nullopt : std::optional<User>(std::move(users.front()));
}

std::optional<User> UserRepository::findByEmail(const std::string& email) {
    auto users = select("WHERE email_key = ?", emailKey(email));
    return users.empty() ? std::nullopt : std::optional<User>(std::move(users.front()));
}

std::vector<User> UserRepository::listStaff() {
    return select("WHERE staff_role IS NOT NULL AND ? = '' ORDER BY email_key", "");
}

void UserRepository::setEmailVerified(const std::string& id, const std::string& at) {
    session_ << "UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", bind(at), bind(id), now;
}

void UserRepository::setPasswordHash(const std::string& id, const std::string& hash, const std::string& at) {
    session_ << "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", bind(hash), bind(at),
        bind(id), now;
}

}  // namespace chatiere::manager
