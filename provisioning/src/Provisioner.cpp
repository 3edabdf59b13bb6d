#include "chatiere/provisioning/Provisioner.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::provisioning {

namespace {

using Code = HypervisorError::Code;

// Not a failure: the step has to be tried again shortly (a guest still booting), or later (an
// image that templates/build.sh has not built yet).
struct NotYet {
    std::string detail;
    std::chrono::seconds retryIn{1};
};

// How often a create job looks again for its template's image: an image takes minutes to build.
constexpr std::chrono::seconds kImageWait{10};

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
        case JobKind::Rollout:
            return "rollout";
    }
    return "create";
}

std::string formatResources(const Resources& r) {
    return "vcpus=" + std::to_string(r.vcpus) + ";memory_mib=" + std::to_string(r.memoryMib) +
           ";disk_gib=" + std::to_string(r.diskGib);
}

std::optional<Resources> parseResources(const std::string& text) {
    Resources r;
    char end = 0;
    if (std::sscanf(text.c_str(), "vcpus=%d;memory_mib=%d;disk_gib=%d%c", &r.vcpus, &r.memoryMib, &r.diskGib,
                    &end) != 3) {
        return std::nullopt;
    }
    return r;
}

std::optional<JobKind> jobKindFrom(const std::string& text) {
    for (const auto kind : {JobKind::Create, JobKind::Apply, JobKind::ReplaceContent, JobKind::Resize,
                            JobKind::Delete, JobKind::Rollout}) {
        if (toString(kind) == text) {
            return kind;
        }
    }
    return std::nullopt;
}

Provisioner::Provisioner(GuestBuilder& builder, HealthProbe& probe, JobStore& jobs, ServiceRegistry& services,
                         base::Clock& clock, Poco::Logger& logger, ProvisionerSettings settings)
    : builder_(builder),
      probe_(probe),
      jobs_(jobs),
      services_(services),
      clock_(clock),
      logger_(logger),
      settings_(settings),
      task_(
          std::chrono::seconds(1), [this] { return runOnce(); },
          [this](const std::exception& e) { logger_.error("provisioner: %s", std::string(e.what())); }) {
    // Test hook, for crash tests only: CHATIERE_TEST_KILL_AT=<job kind>:<step> (e.g.
    // replace_content:wait_healthy, or schema v12's number of the step: replace_content:2) makes
    // the daemon exit at once, as if killed, before it runs that step.
    if (const char* killAt = std::getenv("CHATIERE_TEST_KILL_AT")) {
        killAt_ = killAt;
    }
}

Provisioner::~Provisioner() {
    stop();
}

bool Provisioner::killAtStep(const Job& job) const {
    if (killAt_.empty()) {
        return false;
    }
    const std::string kind = toString(job.kind) + ":";
    if (killAt_.rfind(kind, 0) != 0) {
        return false;
    }
    const std::string step = killAt_.substr(kind.size());
    if (step == toString(job.step)) {
        return true;
    }
    int number = -1;
    std::size_t used = 0;
    try {
        number = std::stoi(step, &used);
    } catch (const std::exception&) {
        return false;
    }
    return used == step.size() && stepOfV12Number(job.kind, number) == job.step;
}

Provisioner::StepResult Provisioner::runStep(Job& job, const ServiceSpec& spec) {
    const auto healthy = [&] {
        const auto& m = builder_.manifest(spec);
        std::string detail;
        if (probe_.check(m.health, healthPortOf(m, spec), detail)) {
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
    // The configuration written into a guest that runs, once its agent answers (within the boot
    // timeout: the step is tried again every second meanwhile). A suspended service's guest gets
    // it from its own data volume when it starts (the guest keeps a copy there).
    const auto configure = [&] {
        if (!spec.shouldRun || !builder_.needsConfiguration(spec)) {
            return StepResult::Next;
        }
        try {
            builder_.configure(spec, settings_.agentTimeout);
        } catch (const HypervisorError& e) {
            if (e.code() != Code::AgentUnavailable) {
                throw;
            }
            if (clock_.now() - job.stepStartedAt > settings_.bootTimeout) {
                throw HypervisorError(Code::Failed, "the guest agent did not answer within " +
                                                        std::to_string(settings_.bootTimeout.count()) +
                                                        " s: " + e.what());
            }
            throw NotYet{"waiting for the guest agent"};
        }
        return StepResult::Next;
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
                case JobStep::EnsurePool:
                    builder_.ensurePool();
                    return StepResult::Next;
                case JobStep::EnsureImage:
                    // The daemon never builds an image (its sandbox forbids what a build needs):
                    // the job waits, without counting attempts, until the admin builds it.
                    if (!builder_.hasImage(spec)) {
                        const std::string message =
                            templates::ImageCache::missingMessage(builder_.manifest(spec));
                        if (clock_.now() - job.stepStartedAt < kImageWait) {
                            logger_.warning("job %d (create of %s): %s", static_cast<int>(job.id), spec.id,
                                            message);
                        }
                        throw NotYet{message, kImageWait};
                    }
                    return StepResult::Next;
                case JobStep::EnsureVolume:
                    builder_.ensureVolume(spec);
                    return StepResult::Next;
                case JobStep::Define:
                    builder_.define(spec);
                    return StepResult::Next;
                case JobStep::Start:
                    if (spec.shouldRun) {
                        builder_.ensureRunning(spec);
                    }
                    return StepResult::Next;
                case JobStep::Configure:
                    return configure();
                case JobStep::BecomeActive:
                    return becomeActive();
                default:
                    break;
            }
            break;
        case JobKind::Apply: {
            if (job.step == JobStep::Configure) {
                configure();
                return StepResult::Finished;
            }
            if (job.step != JobStep::ApplyState) {
                break;
            }
            if (!spec.shouldRun) {
                builder_.ensurePaused(spec);
                return StepResult::Finished;
            }
            // A paused guest resumes with its configuration; one that was off (a service created
            // while suspended) boots, and is configured like any new boot.
            const auto before = builder_.state(spec);
            builder_.ensureRunning(spec);
            const bool booted = before == GuestState::ShutOff || before == GuestState::Crashed;
            return booted && builder_.needsConfiguration(spec) ? StepResult::Next : StepResult::Finished;
        }
        case JobKind::ReplaceContent: {
            // The guest reads its site at boot, from its data volume: the new content goes on a
            // volume of its own and the guest moves onto it; the old volume stays until the new
            // guest is healthy and the new volume is recorded as current.
            ServiceSpec next = spec;
            next.volumeGeneration = job.id;
            switch (job.step) {
                case JobStep::WriteVolume:
                    builder_.writeVolume(spec, job.id, readFile(job.payload));
                    return StepResult::Next;
                case JobStep::SwitchVolume:
                    builder_.ensureOff(spec, settings_.shutdownTimeout);
                    builder_.define(next);
                    if (spec.shouldRun) {
                        builder_.ensureRunning(next);
                    }
                    return StepResult::Next;
                case JobStep::Configure:
                    return configure();
                case JobStep::WaitHealthy:
                    if (spec.shouldRun) {
                        healthy();
                    }
                    return StepResult::Next;
                case JobStep::CommitVolume:
                    services_.setVolumeGeneration(spec.id, job.id);
                    return StepResult::Next;
                case JobStep::DeleteOldVolumes:
                    builder_.deleteOtherVolumes(next);
                    services_.reportActive(spec.id, endpointOf(spec.hostPort));
                    return StepResult::Finished;
                case JobStep::UndoNewVolume:
                case JobStep::UndoSwitch:
                    return undoReplace(job, spec);
                default:
                    break;
            }
            break;
        }
        case JobKind::Resize:
            // The spec already holds the new resources: the guest is stopped, its volume grown,
            // and it is defined and started again with the new memory and vCPUs.
            switch (job.step) {
                case JobStep::StopGuest:
                    builder_.ensureOff(spec, settings_.shutdownTimeout);
                    return StepResult::Next;
                case JobStep::GrowVolume:
                    builder_.growVolume(spec);
                    return StepResult::Next;
                case JobStep::DefineAndStart:
                    return defineAndRun();
                case JobStep::Configure:
                    return configure();
                case JobStep::BecomeActive:
                    return becomeActive();
                case JobStep::UndoResize:
                    return undoResize(job, spec);
                default:
                    break;
            }
            break;
        case JobKind::Rollout:
            // The guest shut down, defined again from the spec (so on the current build: same
            // memory, ports and volume), started, configured, healthy; a suspended service's guest
            // stays off, and boots the new build when it resumes.
            switch (job.step) {
                case JobStep::StopGuest: {
                    const auto current = builder_.currentBuild(spec);
                    if (!current) {
                        throw templates::TemplateError(
                            templates::ImageCache::missingMessage(builder_.manifest(spec)));
                    }
                    if (builder_.guestBuild(spec) == current) {
                        logger_.information("job %d: %s already runs build %s", static_cast<int>(job.id),
                                            spec.id, *current);
                        return StepResult::Finished;
                    }
                    builder_.ensureOff(spec, settings_.shutdownTimeout);
                    return StepResult::Next;
                }
                case JobStep::DefineAndStart:
                    return defineAndRun();
                case JobStep::Configure:
                    return configure();
                case JobStep::WaitHealthy: {
                    if (spec.shouldRun) {
                        healthy();
                    }
                    const std::string build = builder_.guestBuild(spec).value_or("?");
                    services_.audit(
                        spec.id, "service.rolled_out",
                        "build " + (job.payload.empty() ? std::string("?") : job.payload) + " -> " + build);
                    services_.reportActive(spec.id, endpointOf(spec.hostPort));
                    return StepResult::Finished;
                }
                case JobStep::UndoRollout:
                    return undoRollout(job, spec);
                default:
                    break;
            }
            break;
        case JobKind::Delete:
            if (job.step != JobStep::Remove) {
                break;
            }
            builder_.remove(spec);
            services_.reportDeleted(spec.id);
            return StepResult::Finished;
    }
    // Only a store that holds a step of another kind gets here: nothing is done, the job fails.
    throw HypervisorError(Code::InvalidInput,
                          "'" + toString(job.step) + "' is not a step of a " + toString(job.kind) + " job");
}

Provisioner::StepResult Provisioner::undoReplace(const Job& job, const ServiceSpec& spec) {
    // What is left is a volume no guest uses: if it cannot go now, the reconciler deletes it later.
    const auto bestEffort = [&](const auto& deleteVolumes) {
        try {
            deleteVolumes();
        } catch (const HypervisorError& e) {
            logger_.warning("job %d: a volume of %s stays for the reconciler to delete: %s",
                            static_cast<int>(job.id), spec.id, std::string(e.what()));
        }
    };
    if (spec.volumeGeneration == job.id) {
        // It failed once the new volume was recorded as current: the new content stays.
        bestEffort([&] { builder_.deleteOtherVolumes(spec); });
        services_.reportActive(spec.id, endpointOf(spec.hostPort));
        return StepResult::Finished;
    }
    if (job.step == JobStep::UndoSwitch) {
        builder_.ensureOff(spec, settings_.shutdownTimeout);
        builder_.define(spec);  // the current volume, which still holds the old content
        if (spec.shouldRun) {
            builder_.ensureRunning(spec);
        }
    }
    bestEffort([&] { builder_.deleteVolume(spec.id, job.id); });
    services_.reportRolledBack(spec.id, endpointOf(spec.hostPort),
                               "The new content could not be published: " + job.rollbackReason);
    return StepResult::RolledBack;
}

Provisioner::StepResult Provisioner::undoResize(const Job& job, const ServiceSpec& spec) {
    const Resources before =
        parseResources(job.payload).value_or(Resources{spec.vcpus, spec.memoryMib, spec.diskGib});
    ServiceSpec old = spec;
    old.vcpus = before.vcpus;
    old.memoryMib = before.memoryMib;
    // A volume never shrinks: one that already grew keeps its new size.
    const auto capacity = builder_.volumeCapacity(spec);
    old.diskGib =
        capacity && *capacity >= (static_cast<uint64_t>(spec.diskGib) << 30) ? spec.diskGib : before.diskGib;
    // The service says its old resources again first: whatever happens to the guest next, it is
    // rebuilt from them (by this step run again, or by the reconciler).
    services_.restoreResources(spec.id, {old.vcpus, old.memoryMib, old.diskGib});
    builder_.ensureOff(spec, settings_.shutdownTimeout);
    builder_.define(old);
    if (old.shouldRun) {
        builder_.ensureRunning(old);
    }
    services_.reportRolledBack(spec.id, endpointOf(spec.hostPort),
                               "The resize failed and was undone: " + job.rollbackReason);
    return StepResult::RolledBack;
}

Provisioner::StepResult Provisioner::undoRollout(const Job& job, const ServiceSpec& spec) {
    // The build it ran; when that is gone too (pruned meanwhile), the current one again.
    std::optional<std::string> back;
    if (!job.payload.empty() && builder_.images().buildOf(builder_.manifest(spec), job.payload)) {
        back = job.payload;
    }
    const auto runs = builder_.guestBuild(spec);
    if (!back || runs != back) {
        builder_.ensureOff(spec, settings_.shutdownTimeout);
        builder_.define(spec, back);
    }
    if (spec.shouldRun) {
        builder_.ensureRunning(spec);
    }
    std::string error = "The image update failed and was undone";
    error +=
        back ? " (back on build " + *back + "): " : " (the build it ran is gone: it stays on the new one): ";
    error += job.rollbackReason;
    // Configured again once its agent answers (the step runs again meanwhile, the guest already on
    // its build); past the boot timeout, the undo ends without it (the reconciler's next boot, or
    // the next rollout, configures it).
    if (spec.shouldRun && builder_.needsConfiguration(spec)) {
        try {
            builder_.configure(spec, settings_.agentTimeout);
        } catch (const HypervisorError& e) {
            if (e.code() != Code::AgentUnavailable) {
                throw;
            }
            if (clock_.now() - job.stepStartedAt <= settings_.bootTimeout) {
                throw NotYet{"waiting for the guest agent of the build it goes back to"};
            }
            logger_.warning("job %d: %s went back to its build but its agent did not answer: %s",
                            static_cast<int>(job.id), spec.id, std::string(e.what()));
        }
    }
    services_.reportRolledBack(spec.id, endpointOf(spec.hostPort), error);
    return StepResult::RolledBack;
}

bool Provisioner::rollBack(Job& job, const std::string& error) {
    if (!job.rollbackReason.empty() || (job.kind != JobKind::ReplaceContent && job.kind != JobKind::Resize &&
                                        job.kind != JobKind::Rollout)) {
        return false;
    }
    const JobStep undo = job.kind == JobKind::Rollout       ? JobStep::UndoRollout
                         : job.kind == JobKind::Resize      ? JobStep::UndoResize
                         : job.step == JobStep::WriteVolume ? JobStep::UndoNewVolume
                                                            : JobStep::UndoSwitch;
    logger_.warning("job %d (%s of %s) failed at step %s: %s; undoing it", static_cast<int>(job.id),
                    toString(job.kind), job.serviceId, toString(job.step), error);
    job.rollbackReason = error;
    job.step = undo;
    job.attempts = 0;
    job.stepStartedAt = clock_.now();
    jobs_.rollBack(job.id, undo, error, job.stepStartedAt);
    return true;
}

void Provisioner::giveUp(Job& job, const std::optional<ServiceSpec>& spec, const std::string& error) {
    if (spec && rollBack(job, error)) {
        return;
    }
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
    logger_.warning("job %d (%s of %s), step %s, attempt %d: %s", static_cast<int>(job.id),
                    toString(job.kind), job.serviceId, toString(job.step), job.attempts, error);
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
        if (killAtStep(job)) {
            std::fprintf(stderr, "CHATIERE_TEST_KILL_AT=%s: exiting before the step\n", killAt_.c_str());
            std::_Exit(137);
        }
        try {
            const StepResult result = runStep(job, *spec);
            if (result == StepResult::Finished) {
                jobs_.finish(job.id, "done", "");
                discardPayload(job);
                return true;
            }
            if (result == StepResult::RolledBack) {
                logger_.warning("job %d (%s of %s) undone: %s", static_cast<int>(job.id), toString(job.kind),
                                job.serviceId, job.rollbackReason);
                services_.audit(job.serviceId, "service." + toString(job.kind) + "_rolled_back",
                                job.rollbackReason);
                jobs_.finish(job.id, "failed", job.rollbackReason);
                discardPayload(job);
                return true;
            }
            const auto next = nextStep(job.kind, job.step);
            if (!next) {
                throw HypervisorError(Code::InvalidInput, "'" + toString(job.step) + "' of a " +
                                                              toString(job.kind) + " job has no next step");
            }
            job.step = *next;
            job.attempts = 0;
            job.stepStartedAt = clock_.now();
            jobs_.stepDone(job.id, job.step, job.stepStartedAt);
        } catch (const NotYet& wait) {
            jobs_.retryAt(job.id, job.attempts, clock_.now() + wait.retryIn, wait.detail);
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
