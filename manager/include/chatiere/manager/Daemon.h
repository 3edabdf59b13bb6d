#pragma once

#include "chatiere/manager/Settings.h"
#include "chatiere/base/Clock.h"
#include "chatiere/provisioning/HealthProbe.h"
#include "chatiere/provisioning/Hypervisor.h"

#include <memory>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

class Database;
class Mailer;
class OutboxWorker;

// What the daemon talks to outside itself; `chatiere serve` gives the real ones, tests may not.
struct Externals {
    base::Clock& clock;
    Mailer& mailer;
    provisioning::Hypervisor& hypervisor;
    provisioning::HealthProbe& probe;
    Poco::Logger& logger;
};

// The composition root: builds the store, the services, the background tasks and the HTTP server
// from the settings, and passes references down. `chatiere serve` runs one; integration tests run
// one in-process on port 0.
class Daemon {
public:
    Daemon(Settings settings, Externals externals);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Takes the database lock (throws Error(Conflict) if another daemon holds it), migrates, loads
    // the template catalogue, starts the outbox worker and the provisioner, then listens.
    void start();
    // Stops listening, lets in-flight requests finish, stops background tasks, closes the database.
    // Idempotent; also done by the destructor.
    void stop();

    int port() const;  // the bound port (useful with http.port=0)
    const Settings& settings() const;
    Database& database();
    OutboxWorker& outboxWorker();
    // The routes it answers, once started (the role matrix test walks their table).
    // One route the daemon answers: "GET" and "/api/v1/services/{id}" (for the role matrix test
    // and the documentation).
    struct Route {
        std::string method;
        std::string pattern;
    };
    std::vector<Route> routes() const;
    std::string instanceId();
    int pendingJobs();

    struct Parts;

private:
    std::unique_ptr<Parts> parts_;
};

}  // namespace chatiere::manager
