#include "domain/LoginThrottle.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "chatiere/manager/Validation.h"
#include "store/Users.h"

namespace chatiere::manager {

std::string LoginThrottle::accountKey(const std::string& email) {
    return "account:" + emailKey(email);
}

std::string LoginThrottle::addressKey(const std::string& clientAddress) {
    return "address:" + clientAddress;
}

void LoginThrottle::check(Session& s, const std::string& key) const {
    const auto locked = UserRepository(s).lockedUntil(key);
    if (!locked) {
        return;
    }
    const auto until = parseTime(*locked);
    const auto current = clock_.now();
    if (until && *until > current) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*until - current).count() + 1;
        throw Error(ErrorKind::TooManyRequests, "too_many_attempts",
                    "Too many failed logins. Try again in " + std::to_string(seconds) + " seconds.")
            .withRetryAfter(static_cast<int>(seconds));
    }
}

void LoginThrottle::recordFailure(Session& s, const std::string& key) const {
    UserRepository users(s);
    if (users.recordLoginFailure(key, formatTime(clock_.now())) >= settings_.loginMaxFailures) {
        users.lockLogin(key, formatTime(clock_.now() + std::chrono::seconds(settings_.loginLockSeconds)));
    }
}

void LoginThrottle::clear(Session& s, const std::string& key) const {
    UserRepository(s).clearLoginFailures(key);
}

}  // namespace chatiere::manager
