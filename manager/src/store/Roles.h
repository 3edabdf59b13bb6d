#pragma once

#include <optional>
#include <string>

namespace chatiere::manager {

// The roles stored with users and memberships, named for the wire and the database.
enum class StaffRole { Admin, Treasurer };
enum class MemberRole { Manager, Member };

inline std::string toString(StaffRole role) {
    return role == StaffRole::Admin ? "admin" : "treasurer";
}
inline std::string toString(MemberRole role) {
    return role == MemberRole::Manager ? "manager" : "member";
}

inline std::optional<StaffRole> staffRoleFrom(const std::string& text) {
    if (text == "admin") {
        return StaffRole::Admin;
    }
    if (text == "treasurer") {
        return StaffRole::Treasurer;
    }
    return std::nullopt;
}

inline std::optional<MemberRole> memberRoleFrom(const std::string& text) {
    if (text == "manager") {
        return MemberRole::Manager;
    }
    if (text == "member") {
        return MemberRole::Member;
    }
    return std::nullopt;
}

}  // namespace chatiere::manager
