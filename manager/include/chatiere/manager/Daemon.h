#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/BillingRunSummary.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/provisioning/HealthProbe.h"
#include "chatiere/provisioning/Hypervisor.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
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
    // the template catalogue and builds the services, without starting anything in the background
    // nor listening: for one-shot work in a process that does not serve (runBilling(),
    // collectUsageOnce() in a bench or a test). Idempotent; start() does it first.
    void open();
    // Opens, starts the outbox worker, the provisioner and the periodic tasks, then listens.
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

    // What one billing run did (the figures of its `billing.run` audit entry).
    using BillingRunSummary = manager::BillingRunSummary;
    // The daily billing run, now, in one unit of work, as the daemon's periodic task does it (in the
    // audit log as "billing"): as of today by the clock, or of an earlier day `asOf` (YYYY-MM-DD).
    // After open() or start().
    BillingRunSummary runBilling(const std::optional<std::string>& asOf = std::nullopt);

    // What one usage collection did.
    struct UsageCollectionSummary {
        int samples = 0;        // usage samples stored, one per service
        int missingGuests = 0;  // services whose guest was not in the bulk statistics
        int pruned = 0;         // raw samples past their retention, deleted
        std::chrono::milliseconds duration{0};
    };
    // One usage collection (the first step of the monitoring cycle: measure every guest, store the
    // samples), now, in one unit of work. After open() or start().
    UsageCollectionSummary collectUsageOnce();

    // What one pass of the proxy reconciler did (docs/public-addresses.md).
    struct ProxyPassSummary {
        int services = 0;  // published
        int refused = 0;   // whose new file nginx refused
        bool applied = false;
        std::optional<std::string> error;
    };
    // One pass of the proxy reconciler, now, as its periodic task does it (proxy.mode not off;
    // after start(): the pages' port is known).
    ProxyPassSummary reconcileProxyOnce();
    // The due certificate orders, now; returns how many were issued.
    int orderCertificatesOnce();

    struct Parts;

private:
    std::unique_ptr<Parts> parts_;
};

}  // namespace chatiere::manager
