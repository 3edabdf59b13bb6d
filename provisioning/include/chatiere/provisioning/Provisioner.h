#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/base/PeriodicTask.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "chatiere/provisioning/HealthProbe.h"
#include "chatiere/provisioning/Jobs.h"

#include <chrono>

namespace Poco {
class Logger;
}

namespace chatiere::provisioning {

struct ProvisionerSettings {
    std::chrono::seconds bootTimeout{180};  // from start to a passing health check
    int maxAttempts = 5;                    // of one step, before giving up (and rolling back a create)
    std::chrono::seconds lease{600};
    std::chrono::seconds shutdownTimeout{20};  // a clean shutdown (resize) before the guest is forced off

    std::chrono::seconds agentTimeout{10};  // one guest agent command (the configure step)

    std::chrono::seconds backoffCap{60};  // a failed step is retried after 2, 4, 8 … s, never longer
};

// Runs the durable jobs, step by step: each step is idempotent, its completion is recorded before
// the next starts, a failure is retried with backoff, and a create that cannot finish is rolled
// back completely (no guest, no volume left). A content replacement or a resize that cannot finish
// is undone: the guest runs again on its old volume or with its old resources, the service stays
// active with the error as its last error. Unfinished jobs (undoing ones too) resume after a
// restart.
class Provisioner {
public:
    Provisioner(GuestBuilder& builder, HealthProbe& probe, JobStore& jobs, ServiceRegistry& services,
                base::Clock& clock, Poco::Logger& logger, ProvisionerSettings settings = {});
    ~Provisioner();

    // Claims one due job and advances it as far as it can go now. False when nothing was due.
    bool runOnce();
    void start();
    void stop();
    void wake();

    // The URL a service answers on.
    // "" for a service without an HTTP endpoint (a mail service).
    static std::string endpointOf(int hostPort) {
        return hostPort > 0 ? "http://127.0.0.1:" + std::to_string(hostPort) + "/" : std::string();
    }
    // The host port its health check probes: the template's health port, forwarded for this service
    // (a mail service's `doveadm`), else the HTTP endpoint's.
    static int healthPortOf(const templates::Manifest& manifest, const ServiceSpec& spec) {
        const auto it = spec.ports.find(manifest.health.port);
        return it != spec.ports.end() ? it->second : spec.hostPort;
    }

private:
    enum class StepResult { Next, Finished, RolledBack };
    StepResult runStep(Job& job, const ServiceSpec& spec);
    StepResult undoReplace(const Job& job, const ServiceSpec& spec);
    StepResult undoResize(const Job& job, const ServiceSpec& spec);
    StepResult undoRollout(const Job& job, const ServiceSpec& spec);
    // A content replacement or a resize that cannot go forward turns to undoing itself.
    bool rollBack(Job& job, const std::string& error);
    // The test hook CHATIERE_TEST_KILL_AT names this step of this job.
    bool killAtStep(const Job& job) const;
    void giveUp(Job& job, const std::optional<ServiceSpec>& spec, const std::string& error);
    void retryOrGiveUp(Job& job, const std::optional<ServiceSpec>& spec, const std::string& error,
                       bool retryable);

    GuestBuilder& builder_;
    HealthProbe& probe_;
    JobStore& jobs_;
    ServiceRegistry& services_;
    base::Clock& clock_;
    Poco::Logger& logger_;
    ProvisionerSettings settings_;
    std::string killAt_;       // test hook: CHATIERE_TEST_KILL_AT
    base::PeriodicTask task_;  // idle: polls every second for due retries; new jobs wake it
};

}  // namespace chatiere::provisioning
