#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/provisioning/ServiceSpec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::provisioning {

// Rollout: the guest restarted on its template's current build (a rebuilt image), with its data.
enum class JobKind { Create, Apply, ReplaceContent, Resize, Delete, Rollout };
std::string toString(JobKind kind);
std::optional<JobKind> jobKindFrom(const std::string& text);

// The steps of the jobs. A job records the step it runs next by name (toString), never by a
// number, so that steps can be added or reordered without breaking a job in flight: a name, once
// stored, keeps its meaning.
enum class JobStep {
    // create: the pool, the template's image, the service's volume, the guest defined, started;
    EnsurePool,
    EnsureImage,
    EnsureVolume,
    Define,
    Start,
    // create, resize: healthy (when it should run), then active.
    BecomeActive,
    // create, resize, replace_content, apply (when it booted a guest that was off), once the guest
    // started: its configuration written through its guest agent (waiting for the agent up to the
    // boot timeout), for templates that take one.
    Configure,
    // apply: running or paused, as the service should be.
    ApplyState,
    // replace_content: the new volume written beside the current one, the guest moved onto it,
    // healthy, the new volume recorded as current, the other volumes deleted;
    WriteVolume,
    SwitchVolume,
    WaitHealthy,
    CommitVolume,
    DeleteOldVolumes,
    // undoing it: before the guest moved, only the new volume goes; after, the guest goes back to
    // the current volume first.
    UndoNewVolume,
    UndoSwitch,
    // resize: the guest stopped, its volume grown, defined and started with the new resources
    // (then BecomeActive); undoing it: the old resources back.
    StopGuest,
    GrowVolume,
    DefineAndStart,
    UndoResize,
    // rollout: StopGuest, DefineAndStart (on the current build), Configure, WaitHealthy; undoing
    // it: the guest back on the build it ran (the job's payload), started and configured.
    UndoRollout,
    // delete.
    Remove,
};
std::string toString(JobStep step);
std::optional<JobStep> jobStepFrom(const std::string& text);
// The steps a job of this kind goes through when all goes well, in order (undo steps excluded).
const std::vector<JobStep>& forwardSteps(JobKind kind);
JobStep firstStep(JobKind kind);
// The step after `step` in forwardSteps(kind); nullopt after the last one, or for a step that is
// not one of them.
std::optional<JobStep> nextStep(JobKind kind, JobStep step);
// The step that schema v12 stored as a number (`step` 0, 1, …, 100, 101), as schema v13 names it.
// Only for the crash tests' hook, which still accepts the numbers; migration 13 has its own copy.
std::optional<JobStep> stepOfV12Number(JobKind kind, int number);

// A durable provisioning job: which step comes next survives a crash of the daemon.
struct Job {
    int64_t id = 0;
    std::string serviceId;
    JobKind kind = JobKind::Create;
    JobStep step = JobStep::EnsurePool;
    int attempts = 0;  // failed attempts of the current step
    base::Clock::TimePoint stepStartedAt;
    // ReplaceContent: the file holding the new archive. Resize: the resources before it
    // (formatResources), kept until the job ends so that a failure can restore them. Rollout: the
    // key of the build the guest ran when the job was queued (where a failure takes it back).
    std::string payload;
    // Set once the job gave up going forward: why, and that its steps now undo it.
    std::string rollbackReason;
};

// The resources a resize started from, as a Resize job's payload: "vcpus=1;memory_mib=128;disk_gib=1".
struct Resources {
    int vcpus = 1;
    int memoryMib = 128;
    int diskGib = 1;
};
std::string formatResources(const Resources& r);
std::optional<Resources> parseResources(const std::string& text);

// Where jobs live: the manager implements it over its database. Every method is one transaction.
class JobStore {
public:
    virtual ~JobStore() = default;
    // The next due job, leased until `leaseUntil` so that no other runner takes it meanwhile.
    virtual std::optional<Job> claim(base::Clock::TimePoint now, base::Clock::TimePoint leaseUntil) = 0;
    virtual void stepDone(int64_t id, JobStep nextStep, base::Clock::TimePoint now) = 0;
    virtual void retryAt(int64_t id, int attempts, base::Clock::TimePoint at, const std::string& error) = 0;
    // The job cannot go forward: from now on it runs `step`, which undoes it, at once; `reason` is
    // kept with the job until it ends.
    virtual void rollBack(int64_t id, JobStep step, const std::string& reason,
                          base::Clock::TimePoint now) = 0;
    // outcome: "done", "failed" (could not be done, rolled back where it applies).
    virtual void finish(int64_t id, const std::string& outcome, const std::string& error) = 0;
};

// What the provisioner reads of services and tells back about them. Implemented by the manager.
class ServiceRegistry {
public:
    virtual ~ServiceRegistry() = default;
    virtual std::optional<ServiceSpec> spec(const std::string& serviceId) = 0;
    virtual void reportActive(const std::string& serviceId, const std::string& endpoint) = 0;
    virtual void reportFailed(const std::string& serviceId, const std::string& reason) = 0;
    // A change that failed and was undone: the service is active again as it was, with `error` as
    // its last error.
    virtual void reportRolledBack(const std::string& serviceId, const std::string& endpoint,
                                  const std::string& error) = 0;
    // The data volume that is now current (a content replacement's, once its guest is healthy).
    virtual void setVolumeGeneration(const std::string& serviceId, int64_t generation) = 0;
    // The resources a failed resize goes back to.
    virtual void restoreResources(const std::string& serviceId, const Resources& resources) = 0;
    virtual void reportDeleted(const std::string& serviceId) = 0;
    virtual void audit(const std::string& serviceId, const std::string& action,
                       const std::string& detail) = 0;
};

}  // namespace chatiere::provisioning
