#include "FakeImages.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/Provisioner.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using namespace chatiere::provisioning;
using namespace chatiere::base;
using namespace std::chrono_literals;

namespace {

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

class ProvisionerTest : public ::testing::Test {
protected:
    ProvisionerTest()
        : imageDir_(makeImageDir()),
          catalogue_(
              chatiere::templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates")),
          images_(imageDir_),
          builder_(hypervisor_, catalogue_, images_,
                   {"inst1", "chatiere", "/var/lib/chatiere/volumes", "qemu"}),
          provisioner_(builder_, probe_, jobs_, registry_, clock_, Poco::Logger::get("test"), settings()) {
        registry_.specs["svc1"] = {"svc1", "asso1", "Jardin <&>", "site", "website", 1, 128, 1, 20001, true};
    }
    ~ProvisionerTest() override { std::filesystem::remove_all(imageDir_); }

    // An image cache that already holds the website image, so that no recipe runs in unit tests.
    static std::filesystem::path makeImageDir() {
        char tmpl[] = "/tmp/chatiere-images-XXXXXX";
        const std::filesystem::path d = mkdtemp(tmpl);
        chatiere::testing::plantImage(d, "website");
        return d;
    }
    static ProvisionerSettings settings() {
        ProvisionerSettings s;
        s.bootTimeout = 60s;
        s.maxAttempts = 3;
        return s;
    }
    // Runs jobs until none is due, moving the clock past retries.
    void drain() {
        for (int i = 0; i < 200; ++i) {
            if (!provisioner_.runOnce()) {
                clock_.advance(61s);
                if (!provisioner_.runOnce()) {
                    return;
                }
            }
        }
        FAIL() << "jobs never settled";
    }
    bool leftovers() {
        hypervisor_.clearFailure();
        if (hypervisor_.state("chatiere-inst1-svc1").has_value()) {
            return true;
        }
        try {
            return hypervisor_.volume("chatiere", "chatiere-inst1-svc1.img").has_value();
        } catch (const HypervisorError& e) {
            return e.code() != HypervisorError::Code::NotFound;  // no pool yet: no volume either
        }
    }

    // The service's data volumes in the pool, of every generation.
    std::vector<std::string> volumesOfService() {
        std::vector<std::string> out;
        for (const auto& v : hypervisor_.volumes("chatiere")) {
            if (builder_.isVolumeOf("svc1", v.name)) {
                out.push_back(v.name);
            }
        }
        return out;
    }
    std::string currentVolume() {
        return builder_.volumeName("svc1", registry_.specs["svc1"].volumeGeneration);
    }
    std::string currentContent() { return hypervisor_.volumeContent("chatiere", currentVolume()); }
    // A content replacement of `content`, as the manager queues it.
    int64_t replaceWith(const std::string& content) {
        const auto file = imageDir_ / ("upload-" + std::to_string(++uploads_) + ".tar");
        std::ofstream(file) << content;
        return jobs_.add("svc1", JobKind::ReplaceContent, clock_.now(), file.string());
    }
    // A resize, as the manager queues it: the new resources in the service, the old in the job.
    int64_t resizeTo(int vcpus, int memoryMib, int diskGib) {
        ServiceSpec& spec = registry_.specs["svc1"];
        const std::string before = formatResources({spec.vcpus, spec.memoryMib, spec.diskGib});
        spec.vcpus = vcpus;
        spec.memoryMib = memoryMib;
        spec.diskGib = diskGib;
        registry_.states["svc1"] = "provisioning";
        return jobs_.add("svc1", JobKind::Resize, clock_.now(), before);
    }
    // The guest runs, defined from what the service now says (its current volume, its resources).
    void expectGuestMatchesService() {
        EXPECT_EQ(hypervisor_.state("chatiere-inst1-svc1"), GuestState::Running);
        EXPECT_EQ(hypervisor_.domainXml("chatiere-inst1-svc1"),
                  builder_.renderDomain(registry_.specs["svc1"]));
    }

    int uploads_ = 0;
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

}  // namespace

TEST_F(ProvisionerTest, CreateBuildsARunningHealthyGuest) {
    const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_EQ(registry_.states["svc1"], "active");
    EXPECT_EQ(hypervisor_.state("chatiere-inst1-svc1"), GuestState::Running);
    const auto owned = hypervisor_.listOwned("inst1");
    ASSERT_EQ(owned.size(), 1u);
    EXPECT_EQ(owned[0].serviceId, "svc1");
    // The welcome page names the association, escaped.
    const std::string content = hypervisor_.volumeContent("chatiere", "chatiere-inst1-svc1.img");
    EXPECT_NE(content.find("Jardin &lt;&amp;&gt;"), std::string::npos);
}

TEST_F(ProvisionerTest, ACreateWaitsForAMissingImageAndGoesOnOnceItIsBuilt) {
    std::filesystem::remove_all(imageDir_ / "website");
    const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
    // Far longer than maxAttempts retries would last: the daemon never builds, it waits and says so.
    for (int i = 0; i < 50; ++i) {
        provisioner_.runOnce();
        clock_.advance(61s);
    }
    EXPECT_EQ(jobs_.outcome(id), "");
    EXPECT_EQ(jobs_.error(id),
              "waiting for the image of template website: run chatiere templates build website");
    EXPECT_EQ(jobs_.attempts(id), 0) << "waiting for an image is not a failure";
    EXPECT_NE(registry_.states["svc1"], "failed");
    EXPECT_FALSE(leftovers()) << "nothing is made before the image is there";

    const auto build = chatiere::testing::plantImage(imageDir_, "website");
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_EQ(registry_.states["svc1"], "active");
    // The guest boots the build itself, not `current`.
    EXPECT_NE(hypervisor_.domainXml("chatiere-inst1-svc1").find((build / "vmlinuz").string()),
              std::string::npos);
}

TEST_F(ProvisionerTest, AGuestIsNeverDefinedWithoutItsImage) {
    std::filesystem::remove_all(imageDir_ / "website");
    try {
        builder_.renderDomain(registry_.specs["svc1"]);
        FAIL() << "a domain rendered without an image";
    } catch (const HypervisorError& e) {
        EXPECT_EQ(e.code(), HypervisorError::Code::Unavailable)
            << "retried: the admin may build it meanwhile";
        EXPECT_NE(std::string(e.what()).find("chatiere templates build website"), std::string::npos);
    }
}

TEST_F(ProvisionerTest, AFailureAtAnyStepRetriesThenSucceeds) {
    for (int call = 1; call <= 12; ++call) {
        SCOPED_TRACE("transient failure at hypervisor call " + std::to_string(call));
        hypervisor_.failOnCall(call, HypervisorError::Code::Unavailable);
        const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
        drain();
        hypervisor_.clearFailure();
        EXPECT_EQ(jobs_.outcome(id), "done");
        EXPECT_EQ(hypervisor_.state("chatiere-inst1-svc1"), GuestState::Running);
        const auto del = jobs_.add("svc1", JobKind::Delete, clock_.now());
        drain();
        EXPECT_EQ(jobs_.outcome(del), "done");
        EXPECT_FALSE(leftovers());
    }
}

TEST_F(ProvisionerTest, APermanentFailureRollsBackCompletely) {
    for (int call = 1; call <= 10; ++call) {
        SCOPED_TRACE("permanent failure at hypervisor call " + std::to_string(call));
        hypervisor_.failOnCall(call, HypervisorError::Code::InvalidInput);
        const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
        drain();
        if (jobs_.outcome(id) == "failed") {
            EXPECT_EQ(registry_.states["svc1"], "failed");
            EXPECT_FALSE(leftovers()) << "a failed create leaves no guest and no volume";
        } else {
            // The injected failure fell after the job's last call.
            EXPECT_EQ(jobs_.outcome(id), "done");
            hypervisor_.clearFailure();
            builder_.remove(registry_.specs["svc1"]);
        }
    }
}

TEST_F(ProvisionerTest, AGuestThatNeverGetsHealthyIsRolledBack) {
    probe_.healthy = false;
    const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
    for (int i = 0; i < 100 && jobs_.outcome(id).empty(); ++i) {
        provisioner_.runOnce();
        clock_.advance(2s);
    }
    EXPECT_EQ(jobs_.outcome(id), "failed");
    EXPECT_EQ(registry_.states["svc1"], "failed");
    EXPECT_FALSE(leftovers());
}

TEST_F(ProvisionerTest, ApplyPausesAndResumes) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    registry_.specs["svc1"].shouldRun = false;
    jobs_.add("svc1", JobKind::Apply, clock_.now());
    drain();
    EXPECT_EQ(hypervisor_.state("chatiere-inst1-svc1"), GuestState::Paused);
    registry_.specs["svc1"].shouldRun = true;
    jobs_.add("svc1", JobKind::Apply, clock_.now());
    drain();
    EXPECT_EQ(hypervisor_.state("chatiere-inst1-svc1"), GuestState::Running);
}

TEST_F(ProvisionerTest, ReplaceContentPutsTheNewArchiveOnAFreshVolume) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    const auto id = replaceWith("new archive");
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_EQ(registry_.specs["svc1"].volumeGeneration, id) << "the new volume is the current one";
    EXPECT_EQ(currentContent(), "new archive");
    EXPECT_EQ(volumesOfService(), std::vector<std::string>{currentVolume()}) << "the old volume is gone";
    expectGuestMatchesService();
}

TEST_F(ProvisionerTest, ReplaceContentFailingAtAnyStepKeepsTheOldSiteServed) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    std::string served = currentContent();
    int rolledBack = 0;
    bool lastDone = false;
    for (int call = 1; call <= 14; ++call) {
        SCOPED_TRACE("permanent failure at hypervisor call " + std::to_string(call) + " of the replacement");
        hypervisor_.failOnCall(call, HypervisorError::Code::InvalidInput);
        const std::string wanted = "site v" + std::to_string(call);
        const auto id = replaceWith(wanted);
        drain();
        hypervisor_.clearFailure();
        EXPECT_EQ(registry_.states["svc1"], "active") << "never failed with no site";
        if (jobs_.outcome(id) == "failed") {
            ++rolledBack;
            EXPECT_TRUE(currentContent() == served) << "the old content is kept";
            EXPECT_FALSE(registry_.errors["svc1"].empty()) << "the failure is the service's last error";
            EXPECT_EQ(registry_.audits.back(), "service.replace_content_rolled_back");
        } else {
            ASSERT_EQ(jobs_.outcome(id), "done");
            EXPECT_EQ(currentContent(), wanted);
            EXPECT_EQ(registry_.errors.count("svc1"), 0u) << "a success clears the last error";
            served = wanted;
        }
        lastDone = jobs_.outcome(id) == "done";
        expectGuestMatchesService();
        EXPECT_EQ(volumesOfService(), std::vector<std::string>{currentVolume()}) << "no extra volume";
    }
    EXPECT_GE(rolledBack, 8) << "a failure at each step of the replacement was injected";
    EXPECT_TRUE(lastDone) << "the last injected failure fell after the job's last call";
}

TEST_F(ProvisionerTest, ReplaceContentWhoseUploadIsRefusedKeepsTheOldSite) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    const std::string served = currentContent();
    // The pool refuses every write for good: retried, then undone.
    hypervisor_.refuseUploads(true);
    const auto id = replaceWith("new site");
    drain();
    hypervisor_.refuseUploads(false);
    EXPECT_EQ(jobs_.outcome(id), "failed");
    EXPECT_EQ(registry_.states["svc1"], "active");
    EXPECT_NE(registry_.errors["svc1"].find("refuses writes"), std::string::npos) << registry_.errors["svc1"];
    EXPECT_TRUE(currentContent() == served) << "the old content is kept";
    EXPECT_EQ(volumesOfService(), std::vector<std::string>{currentVolume()});
    expectGuestMatchesService();
}

TEST_F(ProvisionerTest, ReplaceContentWhoseGuestNeverGetsHealthyGoesBackToTheOldVolume) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    const std::string served = currentContent();
    probe_.healthy = false;
    const auto id = replaceWith("broken site");
    for (int i = 0; i < 200 && jobs_.outcome(id).empty(); ++i) {
        provisioner_.runOnce();
        clock_.advance(2s);
    }
    EXPECT_EQ(jobs_.outcome(id), "failed");
    EXPECT_EQ(registry_.states["svc1"], "active");
    EXPECT_NE(registry_.errors["svc1"].find("health check"), std::string::npos) << registry_.errors["svc1"];
    EXPECT_TRUE(currentContent() == served) << "the old content is kept";
    EXPECT_EQ(volumesOfService(), std::vector<std::string>{currentVolume()});
    expectGuestMatchesService();
}

TEST_F(ProvisionerTest, AReplacementOrResizeCrashedAfterAnyStepConvergesWhenRunAgain) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    // The daemon dies once a step is done but before that is recorded: the step runs again.
    for (int step = 0; step <= 4; ++step) {
        SCOPED_TRACE("replacement crashed after step " + std::to_string(step));
        jobs_.crashBeforeRecording = step + 1;
        const auto id = replaceWith("v" + std::to_string(step));
        drain();
        EXPECT_EQ(jobs_.crashBeforeRecording, -1) << "the crash happened";
        EXPECT_EQ(jobs_.outcome(id), "done");
        EXPECT_EQ(currentContent(), "v" + std::to_string(step));
        EXPECT_EQ(volumesOfService(), std::vector<std::string>{currentVolume()});
        expectGuestMatchesService();
    }
    for (int step = 0; step <= 3; ++step) {
        SCOPED_TRACE("resize crashed after step " + std::to_string(step));
        jobs_.crashBeforeRecording = step + 1;
        const auto id = resizeTo(1, 128 + 64 * (step + 1), 1 + step);
        drain();
        EXPECT_EQ(jobs_.crashBeforeRecording, -1) << "the crash happened";
        EXPECT_EQ(jobs_.outcome(id), "done");
        EXPECT_EQ(registry_.states["svc1"], "active");
        EXPECT_EQ(currentContent(), "v4");
        expectGuestMatchesService();
    }
}

TEST_F(ProvisionerTest, ResizeRestartsTheGuestWithItsNewResourcesAndAGrownVolume) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    const std::string content = hypervisor_.volumeContent("chatiere", "chatiere-inst1-svc1.img");
    registry_.specs["svc1"].memoryMib = 256;
    registry_.specs["svc1"].vcpus = 2;
    registry_.specs["svc1"].diskGib = 3;
    registry_.states["svc1"] = "provisioning";
    const auto id = jobs_.add("svc1", JobKind::Resize, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_EQ(registry_.states["svc1"], "active");
    EXPECT_EQ(hypervisor_.state("chatiere-inst1-svc1"), GuestState::Running);
    EXPECT_EQ(hypervisor_.volume("chatiere", "chatiere-inst1-svc1.img")->capacityBytes, 3ULL << 30);
    EXPECT_EQ(hypervisor_.volumeContent("chatiere", "chatiere-inst1-svc1.img"), content) << "the data stays";
    const std::string xml = builder_.renderDomain(registry_.specs["svc1"]);
    EXPECT_NE(xml.find("256"), std::string::npos);
}

TEST_F(ProvisionerTest, AGuestWithoutAnAgentIsStoppedByItsPowerButton) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    registry_.specs["svc1"].memoryMib = 256;
    const auto id = jobs_.add("svc1", JobKind::Resize, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_EQ(hypervisor_.lastShutdown("chatiere-inst1-svc1"), ShutdownMethod::Acpi);
}

TEST_F(ProvisionerTest, AResizeInterruptedAtAnyStepStillConverges) {
    for (int call = 1; call <= 8; ++call) {
        SCOPED_TRACE("transient failure at hypervisor call " + std::to_string(call));
        jobs_.add("svc1", JobKind::Create, clock_.now());
        drain();
        registry_.specs["svc1"].diskGib += 1;
        hypervisor_.failOnCall(call, HypervisorError::Code::Unavailable);
        const auto id = jobs_.add("svc1", JobKind::Resize, clock_.now());
        drain();
        hypervisor_.clearFailure();
        EXPECT_EQ(jobs_.outcome(id), "done");
        EXPECT_EQ(hypervisor_.state("chatiere-inst1-svc1"), GuestState::Running);
        EXPECT_EQ(hypervisor_.volume("chatiere", "chatiere-inst1-svc1.img")->capacityBytes,
                  static_cast<uint64_t>(registry_.specs["svc1"].diskGib) << 30);
        jobs_.add("svc1", JobKind::Delete, clock_.now());
        drain();
        EXPECT_FALSE(leftovers());
    }
}

TEST_F(ProvisionerTest, ResizeFailingAtAnyStepRestoresTheOldResourcesAndKeepsTheData) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    const std::string content = currentContent();
    int rolledBack = 0;
    bool lastDone = false;
    for (int call = 1; call <= 12; ++call) {
        SCOPED_TRACE("permanent failure at hypervisor call " + std::to_string(call) + " of the resize");
        const ServiceSpec before = registry_.specs["svc1"];
        hypervisor_.failOnCall(call, HypervisorError::Code::InvalidInput);
        const auto id = resizeTo(before.vcpus + 1, before.memoryMib + 64, before.diskGib + 1);
        drain();
        hypervisor_.clearFailure();
        const ServiceSpec& after = registry_.specs["svc1"];
        EXPECT_EQ(registry_.states["svc1"], "active") << "never failed with nothing to bring it back";
        if (jobs_.outcome(id) == "failed") {
            ++rolledBack;
            EXPECT_EQ(after.vcpus, before.vcpus);
            EXPECT_EQ(after.memoryMib, before.memoryMib);
            EXPECT_FALSE(registry_.errors["svc1"].empty());
            EXPECT_EQ(registry_.audits.back(), "service.resize_rolled_back");
        } else {
            ASSERT_EQ(jobs_.outcome(id), "done");
            EXPECT_EQ(after.memoryMib, before.memoryMib + 64);
        }
        lastDone = jobs_.outcome(id) == "done";
        // A volume never shrinks, and the service says how big it is.
        const auto volume = hypervisor_.volume("chatiere", currentVolume());
        ASSERT_TRUE(volume.has_value());
        EXPECT_GE(after.diskGib, before.diskGib);
        EXPECT_EQ(volume->capacityBytes, static_cast<uint64_t>(after.diskGib) << 30);
        EXPECT_TRUE(currentContent() == content) << "the data stays";
        expectGuestMatchesService();
        EXPECT_EQ(volumesOfService(), std::vector<std::string>{currentVolume()});
    }
    EXPECT_GE(rolledBack, 5) << "a failure at each step of the resize was injected";
    EXPECT_TRUE(lastDone);
}

TEST_F(ProvisionerTest, AResizedGuestThatNeverGetsHealthyGoesBackToItsOldResources) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    const std::string content = currentContent();
    probe_.healthy = false;
    const auto id = resizeTo(2, 4096, 2);
    for (int i = 0; i < 200 && jobs_.outcome(id).empty(); ++i) {
        provisioner_.runOnce();
        clock_.advance(2s);
    }
    EXPECT_EQ(jobs_.outcome(id), "failed");
    EXPECT_EQ(registry_.states["svc1"], "active");
    EXPECT_EQ(registry_.specs["svc1"].memoryMib, 128);
    EXPECT_EQ(registry_.specs["svc1"].vcpus, 1);
    EXPECT_EQ(registry_.specs["svc1"].diskGib, 2) << "the grown volume is kept";
    EXPECT_TRUE(currentContent() == content) << "the data stays";
    expectGuestMatchesService();
}

TEST_F(ProvisionerTest, AJobForAVanishedServiceFails) {
    const auto id = jobs_.add("ghost", JobKind::Delete, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(id), "failed");
}

TEST_F(ProvisionerTest, TheCrashTestHookStopsBeforeTheStepItNamesByNameOrByItsV12Number) {
    const auto runHooked = [this](const std::string& hook) {
        setenv("CHATIERE_TEST_KILL_AT", hook.c_str(), 1);
        Provisioner hooked(builder_, probe_, jobs_, registry_, clock_, Poco::Logger::get("test"), settings());
        while (hooked.runOnce()) {
        }
        std::exit(0);
    };
    jobs_.add("svc1", JobKind::Create, clock_.now());
    for (const std::string hook : {"create:ensure_volume", "create:2", "create:become_active", "create:5"}) {
        EXPECT_EXIT(runHooked(hook), ::testing::ExitedWithCode(137),
                    "CHATIERE_TEST_KILL_AT=" + hook + ": exiting before the step");
    }
    for (const std::string other : {"resize:2", "create:undo_resize", "create:6", "create:2x", "create"}) {
        EXPECT_EXIT(runHooked(other), ::testing::ExitedWithCode(0), "") << other << " names no step of it";
    }
}

// ---- Debian appliances (tests/templates/appliance: image.root, two ports, a guest agent, config).

namespace {

class ApplianceTest : public ::testing::Test {
protected:
    ApplianceTest()
        : imageDir_(makeImageDir()),
          catalogue_(chatiere::templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) /
                                                          "tests" / "templates")),
          images_(imageDir_),
          builder_(hypervisor_, catalogue_, images_,
                   {"inst1", "chatiere", "/var/lib/chatiere/volumes", "qemu"}),
          provisioner_(builder_, probe_, jobs_, registry_, clock_, Poco::Logger::get("test"), settings()) {
        ServiceSpec spec{"svc1", "asso1", "Jardin \"<&>\" é", "pad", "appliance", 1, 512, 1, 21001, true};
        spec.ports = {{"http", 21001}, {"admin", 21002}};
        spec.config = {
            {"association_name", "Jardin \"<&>\" é"}, {"service_id", "svc1"}, {"api_key", "s3cr3t-key"}};
        registry_.specs["svc1"] = spec;
    }
    ~ApplianceTest() override { std::filesystem::remove_all(imageDir_); }

    static std::filesystem::path makeImageDir() {
        char tmpl[] = "/tmp/chatiere-images-XXXXXX";
        const std::filesystem::path d = mkdtemp(tmpl);
        chatiere::testing::plantImage(d, "appliance");
        return d;
    }
    static ProvisionerSettings settings() {
        ProvisionerSettings s;
        s.bootTimeout = 120s;
        s.maxAttempts = 3;
        return s;
    }
    // Runs what is due now, without moving the clock; false when nothing was.
    bool runDue() {
        bool ran = false;
        for (int i = 0; i < 50 && provisioner_.runOnce(); ++i) {
            ran = true;
        }
        return ran;
    }
    // Runs jobs until none is due within the next 80 s, moving the clock 2 s at a time.
    void drain() {
        for (int i = 0; i < 400; ++i) {
            bool ran = runDue();
            for (int k = 0; k < 40 && !ran; ++k) {
                clock_.advance(2s);
                ran = runDue();
            }
            if (!ran) {
                return;
            }
        }
        FAIL() << "jobs never settled";
    }
    std::optional<std::string> config() { return hypervisor_.guestFile(kGuest, GuestBuilder::kConfigPath); }
    // The config file, parsed: every value a string.
    std::map<std::string, std::string> configValues() {
        std::map<std::string, std::string> out;
        const auto object =
            Poco::JSON::Parser().parse(config().value_or("null")).extract<Poco::JSON::Object::Ptr>();
        for (const auto& [name, value] : *object) {
            EXPECT_TRUE(value.isString()) << name;
            out[name] = value.toString();
        }
        return out;
    }

    static constexpr const char* kGuest = "chatiere-inst1-svc1";
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

}  // namespace

TEST_F(ApplianceTest, CreateWaitsForTheAgentThenWritesTheConfiguration) {
    hypervisor_.setAgentAnswering(kGuest, false);  // booting
    const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
    for (int i = 0; i < 30; ++i) {  // 60 s of a guest whose agent does not answer yet
        runDue();
        clock_.advance(2s);
    }
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_EQ(jobs_.outcome(id), "") << "still waiting";
    EXPECT_NE(registry_.states["svc1"], "active");
    EXPECT_EQ(config(), std::nullopt);

    hypervisor_.setAgentAnswering(kGuest, true);
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_EQ(registry_.states["svc1"], "active");
    ASSERT_TRUE(config());
    EXPECT_EQ(config()->find_first_of("\n"), std::string::npos) << "compact: " << *config();
    EXPECT_EQ(config()->find("\": "), std::string::npos) << "compact: " << *config();
    EXPECT_EQ(configValues(), (std::map<std::string, std::string>{{"association_name", "Jardin \"<&>\" é"},
                                                                  {"service_id", "svc1"},
                                                                  {"api_key", "s3cr3t-key"}}));
    EXPECT_EQ(hypervisor_.openGuestFiles(kGuest), 0);

    // Its data volume is empty (the guest makes its file system); its root image is the template's.
    EXPECT_EQ(hypervisor_.volumeContent("chatiere", "chatiere-inst1-svc1.img"), "");
    EXPECT_EQ(hypervisor_.volume("chatiere", "chatiere-inst1-svc1.img")->capacityBytes, 1ULL << 30);
    const std::string xml = hypervisor_.domainXml(kGuest);
    EXPECT_NE(xml.find("<source file='" +
                       (imageDir_ / "appliance" / "0123456789abcdef" / "root.img").string() + "'/>"),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("hostfwd=tcp:127.0.0.1:21001-:9001"), std::string::npos) << xml;
    EXPECT_NE(xml.find("hostfwd=tcp:127.0.0.1:21002-:9002"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<tb-cache unit='MiB'>64</tb-cache>"), std::string::npos) << xml;
}

TEST_F(ApplianceTest, AnAgentThatNeverAnswersFailsTheCreateAfterTheBootTimeout) {
    hypervisor_.setAgentAnswering(kGuest, false);
    const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(id), "failed");
    EXPECT_EQ(registry_.states["svc1"], "failed");
    EXPECT_NE(registry_.errors["svc1"].find("guest agent"), std::string::npos) << registry_.errors["svc1"];
    EXPECT_EQ(hypervisor_.state(kGuest), std::nullopt) << "rolled back";
}

TEST_F(ApplianceTest, EveryStartOfTheGuestGetsItsConfigurationAgain) {
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    ASSERT_TRUE(config());

    // A resize stops and starts the guest: /run is new, the configuration is written again.
    ServiceSpec& spec = registry_.specs["svc1"];
    const std::string before = formatResources({spec.vcpus, spec.memoryMib, spec.diskGib});
    spec.memoryMib = 768;
    spec.diskGib = 2;
    const auto resize = jobs_.add("svc1", JobKind::Resize, clock_.now(), before);
    hypervisor_.setAgentAnswering(kGuest, false);
    for (int i = 0; i < 5; ++i) {
        runDue();
        clock_.advance(2s);
    }
    EXPECT_EQ(config(), std::nullopt) << "a new boot, its agent not up yet";
    hypervisor_.setAgentAnswering(kGuest, true);
    drain();
    EXPECT_EQ(jobs_.outcome(resize), "done");
    EXPECT_EQ(configValues()["api_key"], "s3cr3t-key");
    EXPECT_EQ(hypervisor_.volume("chatiere", "chatiere-inst1-svc1.img")->capacityBytes, 2ULL << 30)
        << "the raw volume grows; the guest grows its file system at boot";

    // The guest destroyed by hand: the reconciler's repair is a create job, which configures it.
    hypervisor_.destroy(kGuest);
    const auto repair = jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(repair), "done");
    EXPECT_EQ(configValues()["service_id"], "svc1");

    // Suspended and resumed: the guest was paused, its /run kept; nothing is written to it.
    registry_.specs["svc1"].shouldRun = false;
    jobs_.add("svc1", JobKind::Apply, clock_.now());
    drain();
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Paused);
    EXPECT_EQ(configValues()["service_id"], "svc1");
}

TEST_F(ApplianceTest, AResizeStopsTheGuestThroughItsAgent) {
    // The Debian appliance does nothing on the ACPI power button: asked that way, every stop would
    // wait the shutdown timeout and be forced.
    jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    ServiceSpec& spec = registry_.specs["svc1"];
    const std::string before = formatResources({spec.vcpus, spec.memoryMib, spec.diskGib});
    spec.memoryMib = 768;
    const auto resize = jobs_.add("svc1", JobKind::Resize, clock_.now(), before);
    drain();
    EXPECT_EQ(jobs_.outcome(resize), "done");
    EXPECT_EQ(hypervisor_.lastShutdown(kGuest), ShutdownMethod::GuestAgent);
}

TEST_F(ApplianceTest, ASuspendedServiceIsNotConfiguredUntilItRuns) {
    registry_.specs["svc1"].shouldRun = false;
    const auto id = jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_NE(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_EQ(config(), std::nullopt);

    // Resumed: its guest boots for the first time, and is configured once its agent answers.
    registry_.specs["svc1"].shouldRun = true;
    hypervisor_.setAgentAnswering(kGuest, false);
    const auto resume = jobs_.add("svc1", JobKind::Apply, clock_.now());
    for (int i = 0; i < 5; ++i) {
        runDue();
        clock_.advance(2s);
    }
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_EQ(jobs_.outcome(resume), "") << "waiting for the agent";
    hypervisor_.setAgentAnswering(kGuest, true);
    drain();
    EXPECT_EQ(jobs_.outcome(resume), "done");
    EXPECT_EQ(configValues()["api_key"], "s3cr3t-key");
}

TEST_F(ApplianceTest, OnlyTemplatesWithAnAgentChannelAreConfigured) {
    // The website declares config values but no agent channel: its create (ProvisionerTest) never
    // calls the agent, which the fake would refuse (Unsupported).
    EXPECT_TRUE(builder_.hasGuestAgent("appliance"));
    EXPECT_TRUE(builder_.needsConfiguration(registry_.specs["svc1"]));
    EXPECT_FALSE(builder_.hasGuestAgent("no-such-template"));
}
