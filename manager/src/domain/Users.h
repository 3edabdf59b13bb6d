#pragma once

#include "domain/Access.h"

#include "chatiere/manager/Database.h"

#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

struct User {
    std::string id;
    std::string email;
    std::string name;
    std::string passwordHash;
    bool emailVerified = false;
    std::optional<StaffRole> staffRole;
    std::string language = "fr";
    std::optional<std::string> termsVersion;
    std::optional<std::string> termsAcceptedAt;
    std::string createdAt;
};

// The users table. E-mail addresses are unique ignoring case (the `email_key` column).
class UserRepository {
public:
    explicit UserRepository(Session& session) : session_(session) {}
    // Throws Error(Conflict, "email_taken") when the address is already used, in any case.
    void insert(const User& user);
    std::optional<User> findById(const std::string& id);
    std::optional<User> findByEmail(const std::string& email);
    std::vector<User> listStaff();
    void setEmailVerified(const std::string& id, const std::string& at);
    void setPasswordHash(const std::string& id, const std::string& hash, const std::string& at);

private:
    std::vector<User> select(const std::string& where, const std::string& value);
    Session& session_;
};

}  // namespace chatiere::manager
