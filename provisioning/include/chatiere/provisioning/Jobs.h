#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/provisioning/ServiceSpec.h"

#include <cstdint>
#include <optional>
#include <string>

namespace chatiere::provisioning {

enum class JobKind { Create, Apply, ReplaceContent, Resize, Delete };
std::string toString(JobKind kind);
std::optional<JobKind> jobKindFrom(const std::string& text);

// A durable provisioning job: which step comes next survives a crash of the daemon.
struct Job {
    int64_t id = 0;
    std::string serviceId;
    JobKind kind = JobKind::Create;
    int step = 0;
    int attempts = 0;  // failed attempts of the current step
    base::Clock::TimePoint stepStartedAt;
    // ReplaceContent: the file holding the new archive. Resize: the resources before it
    // (formatResources), kept until the job ends so that a failure can restore them.
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
    virtual void stepDone(int64_t id, int nextStep, base::Clock::TimePoint now) = 0;
    virtual void retryAt(int64_t id, int attempts, base::Clock::TimePoint at, const std::string& error) = 0;
    // The job cannot go forward: from now on it runs `step`, which undoes it, at once; `reason` is
    // kept with the job until it ends.
    virtual void rollBack(int64_t id, int step, const std::string& reason, base::Clock::TimePoint now) = 0;
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
