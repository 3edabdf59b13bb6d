#pragma once

// What the provisioner's unit tests share (ProvisionerTest.cpp for websites, ApplianceTest.cpp for
// Debian appliances): in-memory job store and registry, a scripted health probe, and a fixture
// that builds a Provisioner over a FakeHypervisor and an image cache holding one planted image.

#include "FakeImages.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/Provisioner.h"

#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatiere::provisioning {

using base::Clock;
using base::ManualClock;

class MemoryJobStore final : public JobStore {
public:
    int64_t add(const std::string& serviceId, JobKind kind, Clock::TimePoint now, std::string payload = "") {
        Job j;
        j.id = ++last_;
        j.serviceId = serviceId;
        j.kind = kind;
        j.step = firstStep(kind);
        j.stepStartedAt = now;
        j.payload = std::move(payload);
        jobs_[j.id] = {j, now, "", ""};
        return j.id;
    }
    std::optional<Job> claim(Clock::TimePoint now, Clock::TimePoint leaseUntil) override {
        for (auto& [id, e] : jobs_) {
            if (e.outcome.empty() && e.due <= now) {
                e.due = leaseUntil;
                return e.job;
            }
        }
        return std::nullopt;
    }
    void stepDone(int64_t id, JobStep nextStep, Clock::TimePoint now) override {
        crashIf(position(jobs_[id].job.kind, nextStep));
        jobs_[id].job.step = nextStep;
        jobs_[id].job.attempts = 0;
        jobs_[id].job.stepStartedAt = now;
    }
    void retryAt(int64_t id, int attempts, Clock::TimePoint at, const std::string& error) override {
        jobs_[id].job.attempts = attempts;
        jobs_[id].due = at;
        jobs_[id].error = error;
    }
    void rollBack(int64_t id, JobStep step, const std::string& reason, Clock::TimePoint now) override {
        jobs_[id].job.step = step;
        jobs_[id].job.attempts = 0;
        jobs_[id].job.stepStartedAt = now;
        jobs_[id].job.rollbackReason = reason;
        jobs_[id].due = now;
    }
    void finish(int64_t id, const std::string& outcome, const std::string& error) override {
        crashIf(position(jobs_[id].job.kind, jobs_[id].job.step) + 1);
        jobs_[id].outcome = outcome;
        jobs_[id].error = error;
    }
    std::string outcome(int64_t id) { return jobs_[id].outcome; }
    std::string error(int64_t id) { return jobs_[id].error; }
    int attempts(int64_t id) { return jobs_[id].job.attempts; }
    // Once: recording that a job reached this step (its position in forwardSteps; or, past its
    // last step, that it finished) fails, as when the daemon dies right after the step before it.
    int crashBeforeRecording = -1;

private:
    static int position(JobKind kind, JobStep step) {
        const auto& steps = forwardSteps(kind);
        const auto it = std::find(steps.begin(), steps.end(), step);
        return it == steps.end() ? 1000 : static_cast<int>(it - steps.begin());
    }
    void crashIf(int step) {
        if (step == crashBeforeRecording) {
            crashBeforeRecording = -1;
            throw std::runtime_error("the daemon died");
        }
    }
    struct Entry {
        Job job;
        Clock::TimePoint due;
        std::string outcome;
        std::string error;
    };
    std::map<int64_t, Entry> jobs_;
    int64_t last_ = 0;
};

class MemoryRegistry final : public ServiceRegistry {
public:
    std::map<std::string, ServiceSpec> specs;
    std::map<std::string, std::string> states;
    std::map<std::string, std::string> errors;  // last_error
    std::vector<std::string> audits;
    std::optional<ServiceSpec> spec(const std::string& id) override {
        const auto it = specs.find(id);
        return it == specs.end() ? std::nullopt : std::optional<ServiceSpec>(it->second);
    }
    void reportActive(const std::string& id, const std::string&) override {
        states[id] = "active";
        errors.erase(id);
    }
    void reportFailed(const std::string& id, const std::string& reason) override {
        states[id] = "failed";
        errors[id] = reason;
    }
    void reportRolledBack(const std::string& id, const std::string&, const std::string& error) override {
        states[id] = "active";
        errors[id] = error;
    }
    void setVolumeGeneration(const std::string& id, int64_t generation) override {
        specs[id].volumeGeneration = generation;
    }
    void restoreResources(const std::string& id, const Resources& r) override {
        specs[id].vcpus = r.vcpus;
        specs[id].memoryMib = r.memoryMib;
        specs[id].diskGib = r.diskGib;
    }
    void reportDeleted(const std::string& id) override { states[id] = "deleted"; }
    void audit(const std::string&, const std::string& action, const std::string&) override {
        audits.push_back(action);
    }
};

class ScriptedProbe final : public HealthProbe {
public:
    bool healthy = true;
    bool check(const chatiere::templates::HealthCheck&, int, std::string& detail) override {
        detail = healthy ? "" : "connection refused";
        return healthy;
    }
};

// A Provisioner over a FakeHypervisor, with the templates of `templatesDir` and an image cache in a
// temp folder that already holds `templateName`'s image, so that no recipe runs in unit tests. The
// service "svc1" is the derived fixture's to put in registry_.
class ProvisionerFixture : public ::testing::Test {
protected:
    ProvisionerFixture(const std::filesystem::path& templatesDir, const std::string& templateName,
                       std::chrono::seconds bootTimeout)
        : imageDir_(makeImageDir(templateName)),
          catalogue_(chatiere::templates::Catalogue::load(templatesDir)),
          images_(imageDir_),
          builder_(hypervisor_, catalogue_, images_,
                   {"inst1", "chatiere", "/var/lib/chatiere/volumes", "qemu"}),
          provisioner_(builder_, probe_, jobs_, registry_, clock_, Poco::Logger::get("test"),
                       settings(bootTimeout)) {}
    ~ProvisionerFixture() override { std::filesystem::remove_all(imageDir_); }

    static std::filesystem::path makeImageDir(const std::string& templateName) {
        char tmpl[] = "/tmp/chatiere-images-XXXXXX";
        const std::filesystem::path d = mkdtemp(tmpl);
        chatiere::testing::plantImage(d, templateName);
        return d;
    }
    static ProvisionerSettings settings(std::chrono::seconds bootTimeout) {
        ProvisionerSettings s;
        s.bootTimeout = bootTimeout;
        s.maxAttempts = 3;
        return s;
    }

    std::filesystem::path imageDir_;
    FakeHypervisor hypervisor_;
    chatiere::templates::Catalogue catalogue_;
    chatiere::templates::ImageCache images_;
    GuestBuilder builder_;
    ScriptedProbe probe_;
    MemoryJobStore jobs_;
    MemoryRegistry registry_;
    ManualClock clock_{Clock::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}}};
    Provisioner provisioner_;
};

}  // namespace chatiere::provisioning
