#pragma once

#include "chatiere/manager/Database.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/base/Clock.h"

#include <chrono>
#include <functional>
#include <string>

namespace chatiere::manager {

// Forgotten passwords: a link by mail, valid an hour and once, that sets a new password and ends
// every session and revokes every API token of the account. Asking never says whether an account exists (the
// answer and its time are the same), and an account gets at most kMaxPerHour links an hour.
class PasswordResets {
public:
    static constexpr std::chrono::minutes kValidity{60};
    static constexpr int kMaxPerHour = 3;

    PasswordResets(Database& db, base::Clock& clock, const Settings& settings,
                   const PasswordHasher& hasher, Outbox& outbox, std::function<void()> mailQueued);

    // Mails a reset link to the account of `email`, if there is one (in its language).
    void request(const std::string& email, const std::string& clientAddress);
    // Sets the password of the link's account. Throws BadRequest "invalid_token" for a link that is
    // unknown, used or expired, Validation (field "password") for a weak password.
    void reset(const std::string& token, const std::string& password, const std::string& clientAddress);

private:
    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const PasswordHasher& hasher_;
    Outbox& outbox_;
    std::function<void()> mailQueued_;
};

}  // namespace chatiere::manager
