#include "chatiere/provisioning/Provisioner.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::provisioning {

namespace {

using Code = HypervisorError::Code;

// Not a failure: the step has to be tried again shortly (a guest still booting).
struct NotYet {
    std::string detail;
};

std::chrono::seconds backoff(int attempts, std::chrono::seconds cap) {
    return std::min(std::chrono::seconds(2 << std::clamp(attempts - 1, 0, 16)), cap);
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw HypervisorError(Code::InvalidInput, "the uploaded content " + path + " is gone");
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// An uploaded archive is the job's own: gone with the job.
void discardPayload(const Job& job) {
    if (job.kind == JobKind::ReplaceContent && !job.payload.empty()) {
        std::error_code ignored;
        std::filesystem::remove(job.payload, ignored);
    }
}

}  // namespace

std::string toString(JobKind kind) {
    switch (kind) {
        case JobKind::Create:
            return "create";
        case JobKind::Apply:
            return "apply";
        case JobKind::ReplaceContent:
            return "replace_content";
        case JobKind::Resize:
            return "resize";
        case JobKind::Delete:
            return "delete";
    }
    return "create";
}

std::optional<JobKind> jobKindFrom(const std::string& text) {
    for (const auto kind :
         {JobKind::Create, JobKind::Apply, JobKind::ReplaceContent, JobKind::Resize, JobKind::Delete}) {
        if (toString(kind) == text) {
            return kind;
        }
    }
    return std::nullopt;
}

Provisioner::Provisioner(GuestBuilder& builder, HealthProbe& probe, JobStore& jobs, ServiceRegistry& services,
                         Clock& clock, Poco::Logger& logger, ProvisionerSettings settings)
    : builder_(builder),
      probe_(probe),
      jobs_(jobs),
      services_(services),
      clock_(clock),
      logger_(logger),
      settings_(settings),
      task_(
          std::chrono::seconds(1), [this] { return runOnce(); },
          [this](const std::exception& e) { logger_.error("provisioner: %s", std::string(e.what())); }) {}

Provisioner::~Provisioner() {
    stop();
}

Provisioner::StepResult Provisioner::runStep(Job& job, const ServiceSpec& spec) {
    const auto healthy = [&] {
        const auto& m = builder_.manifest(spec);
        std::string detail;
        if (probe_.check(m.health, spec.hostPort, detail)) {
            return;
        }
        if (clock_.now() - job.stepStartedAt > settings_.bootTimeout) {
            throw HypervisorError(Code::Failed, "the guest did not pass its health check within " +
                                                    std::to_string(settings_.bootTimeout.count()) +
                                                    " s: " + detail);
        }
        throw NotYet{detail};
    };
    // The last step of a create or a content replacement: healthy (when it should run), then active.
    const auto becomeActive = [&] {
        if (spec.shouldRun) {
            healthy();
        }
        services_.reportActive(spec.id, endpointOf(spec.hostPort));
        return StepResult::Finished;
    };
    // A guest (re)defined from the spec, running unless it should not.
    const auto defineAndRun = [&] {
        builder_.define(spec);
        if (spec.shouldRun) {
            builder_.ensureRunning(spec);
        }
        return StepResult::Next;
    };
    switch (job.kind) {
        case JobKind::Create:
            switch (job.step) {
                case 0:
                    builder_.ensurePool();
                    return StepResult::Next;
                case 1:
                    builder_.ensureImage(spec);
                    return StepResult::Next;
                case 2:
                    builder_.ensureVolume(spec);
                    return StepResult::Next;
                case 3:
                    builder_.define(spec);
                    return StepResult::Next;
                case 4:
                    if (spec.shouldRun) {
                        builder_.ensureRunning(spec);
                    }
                    return StepResult::Next;
                default:
                    return becomeActive();
            }
        case JobKind::Apply:
            if (spec.shouldRun) {
                builder_.ensureRunning(spec);
            } else {
                builder_.ensurePaused(spec);
            }
            return StepResult::Finished;
        case JobKind::ReplaceContent:
            switch (job.step) {
                case 0:
                    // The guest reads its site at boot: a fresh guest on the new volume.
                    builder_.remove(spec);
                    return StepResult::Next;
                case 1:
                    builder_.replaceContent(spec, readFile(job.payload));
                    return StepResult::Next;
                case 2:
                    return defineAndRun();
                default:
                    return becomeActive();
            }
        case JobKind::Resize:
            // The spec already holds the new resources: the guest is stopped, its volume grown,
            // and it is defined and started again with the new memory and vCPUs.
            switch (job.step) {
                case 0:
                    builder_.ensureOff(spec, settings_.shutdownTimeout);
                    return StepResult::Next;
                case 1:
                    builder_.growVolume(spec);
                    return StepResult::Next;
                case 2:
                    return defineAndRun();
                default:
                    return becomeActive();
            }
        case JobKind::Delete:
            builder_.remove(spec);
            services_.reportDeleted(spec.id);
            return StepResult::Finished;
    }
    return StepResult::Finished;
}

void Provisioner::giveUp(const Job& job, const std::optional<ServiceSpec>& spec, const std::string& error) {
    logger_.error("job %d (%s of %s) failed: %s", static_cast<int>(job.id), toString(job.kind), job.serviceId,
                  error);
    if (spec && job.kind == JobKind::Create) {
        try {
            builder_.remove(*spec);  // roll back: no orphan guest or volume
        } catch (const HypervisorError& e) {
            logger_.error("rolling back %s: %s (the reconciler will retry)", job.serviceId,
                          std::string(e.what()));
        }
    }
    if (spec) {
        services_.reportFailed(job.serviceId, error);
    }
    services_.audit(job.serviceId, "service." + toString(job.kind) + "_failed", error);
    jobs_.finish(job.id, "failed", error);
    discardPayload(job);
}

void Provisioner::retryOrGiveUp(Job& job, const std::optional<ServiceSpec>& spec, const std::string& error,
                                bool retryable) {
    ++job.attempts;
    if (!retryable || job.attempts >= settings_.maxAttempts) {
        giveUp(job, spec, error);
        return;
    }
    logger_.warning("job %d (%s of %s), step %d, attempt %d: %s", static_cast<int>(job.id),
                    toString(job.kind), job.serviceId, job.step, job.attempts, error);
    jobs_.retryAt(job.id, job.attempts, clock_.now() + backoff(job.attempts, settings_.backoffCap), error);
}

bool Provisioner::runOnce() {
    auto claimed = jobs_.claim(clock_.now(), clock_.now() + settings_.lease);
    if (!claimed) {
        return false;
    }
    Job job = *claimed;
    const auto spec = services_.spec(job.serviceId);
    if (!spec) {
        giveUp(job, std::nullopt, "the service no longer exists");
        return true;
    }
    while (true) {
        try {
            const StepResult result = runStep(job, *spec);
            if (result == StepResult::Finished) {
                jobs_.finish(job.id, "done", "");
                discardPayload(job);
                return true;
            }
            ++job.step;
            job.attempts = 0;
            job.stepStartedAt = clock_.now();
            jobs_.stepDone(job.id, job.step, job.stepStartedAt);
        } catch (const NotYet& wait) {
            jobs_.retryAt(job.id, job.attempts, clock_.now() + std::chrono::seconds(1), wait.detail);
            return true;
        } catch (const HypervisorError& e) {
            retryOrGiveUp(job, spec, e.what(), e.code() == Code::Unavailable || e.code() == Code::Failed);
            return true;
        } catch (const templates::TemplateError& e) {
            giveUp(job, spec, e.what());
            return true;
        } catch (const std::exception& e) {
            // Anything else (the file system, the store): retried like a hypervisor failure, never
            // left holding its lease.
            retryOrGiveUp(job, spec, e.what(), true);
            return true;
        }
    }
}

void Provisioner::start() {
    task_.start();
}

void Provisioner::stop() {
    task_.stop();
}

void Provisioner::wake() {
    task_.wake();
}

}  // namespace chatiere::provisioning
