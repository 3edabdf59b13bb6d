#pragma once

#include "chatiere/manager/Settings.h"
#include "chatiere/provisioning/Clock.h"

#include <memory>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

class Database;
class Mailer;
class OutboxWorker;

// The composition root: builds the store, the services, the background tasks and the HTTP server
// from the settings, and passes references down. `chatiere serve` runs one; integration tests run
// one in-process on port 0.
class Daemon {
public:
    Daemon(Settings settings, provisioning::Clock& clock, Mailer& mailer, Poco::Logger& logger);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Takes the database lock (throws Error(Conflict) if another daemon holds it), migrates,
    // starts the outbox worker, then listens.
    void start();
    // Stops listening, lets in-flight requests finish, stops background tasks, closes the database.
    // Idempotent; also done by the destructor.
    void stop();

    int port() const;  // the bound port (useful with http.port=0)
    const Settings& settings() const;
    Database& database();
    OutboxWorker& outboxWorker();

    struct Parts;

private:
    std::unique_ptr<Parts> parts_;
};

}  // namespace chatiere::manager
