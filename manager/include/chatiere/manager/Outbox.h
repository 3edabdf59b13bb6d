#pragma once

#include "chatiere/manager/Database.h"
#include "chatiere/manager/MailTemplates.h"
#include "chatiere/manager/Mailer.h"
#include "chatiere/base/Clock.h"
#include "chatiere/base/PeriodicTask.h"

#include <Poco/Data/Session.h>

#include <cstdint>
#include <map>
#include <string>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

struct OutgoingMail {
    std::string to;
    std::string templateName;
    std::string lang;
    std::map<std::string, std::string> vars;
};

// Writes mails into the outbox table with the caller's session, inside the caller's transaction:
// a mail exists if and only if the change that causes it commits.
class Outbox {
public:
    Outbox(const MailTemplates& templates, base::Clock& clock, std::string hostName);
    // Renders and inserts; returns the outbox row id.
    int64_t enqueue(Session& session, const OutgoingMail& mail);

private:
    const MailTemplates& templates_;
    base::Clock& clock_;
    std::string hostName_;
};

// Sends what the outbox holds, in the background: each due mail is claimed (a lease, so two
// senders never take the same one), sent, then marked sent; a failure is retried with exponential
// backoff (30 s doubling to 1 h), a permanent refusal (5xx) or too many attempts marks it failed.
// Every attempt of a mail carries the same Message-ID.
class OutboxWorker {
public:
    OutboxWorker(Database& db, Mailer& mailer, std::string from, base::Clock& clock,
                 int intervalSeconds, int maxAttempts, Poco::Logger& logger);
    ~OutboxWorker();
    OutboxWorker(const OutboxWorker&) = delete;
    OutboxWorker& operator=(const OutboxWorker&) = delete;

    void start();
    void stop();  // waits for the thread; idempotent
    void wake();  // send now (after a transaction that queued mail commits)
    // One pass over the due mails; returns how many were sent.
    int deliverDue();

    struct Counts {
        int pending = 0;
        int sent = 0;
        int failed = 0;
    };
    Counts counts();

private:
    Database& db_;
    Mailer& mailer_;
    std::string from_;
    base::Clock& clock_;
    int maxAttempts_;
    Poco::Logger& logger_;
    base::PeriodicTask task_;
};

}  // namespace chatiere::manager
