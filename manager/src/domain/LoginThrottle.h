#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"

#include <string>

namespace chatiere::manager {

// Failed logins in a row, by key: "account:<email key>" and "address:<ip>". After
// auth.max_failures the key is locked for auth.lock_seconds (429 with a retry time). Wrong
// passwords and wrong second-factor codes count alike.
class LoginThrottle {
public:
    LoginThrottle(base::Clock& clock, const Settings& settings) : clock_(clock), settings_(settings) {}

    static std::string accountKey(const std::string& email);
    static std::string addressKey(const std::string& clientAddress);

    // Throws Error(TooManyRequests, "too_many_attempts") with a retry time while `key` is locked.
    void check(Session& s, const std::string& key) const;
    void recordFailure(Session& s, const std::string& key) const;
    void clear(Session& s, const std::string& key) const;

private:
    base::Clock& clock_;
    const Settings& settings_;
};

}  // namespace chatiere::manager
