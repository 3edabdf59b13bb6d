// A rebuilt image rolled out: the guest restarted on the template's current build, with its data
// (docs/images.md). Drives the provisioner's rollout job with the fake hypervisor and planted images.
#include "FakeImages.h"
#include "ProvisionerFixture.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/Provisioner.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

using namespace chatiere::provisioning;
using namespace chatiere::base;
using namespace std::chrono_literals;

namespace {

constexpr const char* kOld = "aaaaaaaaaaaaaaaa";
constexpr const char* kNew = "bbbbbbbbbbbbbbbb";
constexpr const char* kGuest = "chatiere-inst1-svc1";

// The appliance template of tests/templates: a root image, a guest agent, configuration values.
class RolloutTest : public ::testing::Test {
protected:
    RolloutTest()
        : imageDir_(makeImageDir()),
          catalogue_(chatiere::templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) /
                                                          "tests" / "templates")),
          images_(imageDir_),
          builder_(hypervisor_, catalogue_, images_,
                   {"inst1", "chatiere", "/var/lib/chatiere/volumes", "qemu"}),
          provisioner_(std::make_unique<Provisioner>(builder_, probe_, jobs_, registry_, clock_,
                                                     Poco::Logger::get("test"), settings())) {
        ServiceSpec spec{"svc1", "asso1", "Jardin", "pad", "appliance", 1, 512, 1, 21001, true};
        spec.ports = {{"http", 21001}, {"admin", 21002}};
        spec.config = {{"association_name", "Jardin"}, {"service_id", "svc1"}, {"api_key", "s3cr3t-key"}};
        registry_.specs["svc1"] = spec;
    }
    ~RolloutTest() override { std::filesystem::remove_all(imageDir_); }

    static std::filesystem::path makeImageDir() {
        char tmpl[] = "/tmp/chatiere-images-XXXXXX";
        const std::filesystem::path d = mkdtemp(tmpl);
        chatiere::testing::plantImage(d, "appliance", kOld);
        return d;
    }
    static ProvisionerSettings settings() {
        ProvisionerSettings s;
        s.bootTimeout = 120s;
        s.maxAttempts = 3;
        return s;
    }
    bool runDue() {
        bool ran = false;
        for (int i = 0; i < 50 && provisioner_->runOnce(); ++i) {
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
    // A service on the old build, running, with data on its volume; then the image rebuilt.
    void createOnOldBuildThenRebuild() {
        const auto create = jobs_.add("svc1", JobKind::Create, clock_.now());
        drain();
        ASSERT_EQ(jobs_.outcome(create), "done");
        ASSERT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kOld);
        hypervisor_.uploadVolume("chatiere", "chatiere-inst1-svc1.img", "the pads of the association");
        chatiere::testing::plantImage(imageDir_, "appliance", kNew);  // `current` names it now
        ASSERT_EQ(builder_.currentBuild(registry_.specs["svc1"]), kNew);
    }
    // A rollout as the manager queues it: the build the guest runs as its payload.
    int64_t rollout() {
        return jobs_.add("svc1", JobKind::Rollout, clock_.now(),
                         builder_.guestBuild(registry_.specs["svc1"]).value_or(""));
    }
    std::string xml() { return hypervisor_.domainXml(kGuest); }
    std::optional<std::string> config() { return hypervisor_.guestFile(kGuest, GuestBuilder::kConfigPath); }

    std::filesystem::path imageDir_;
    FakeHypervisor hypervisor_;
    chatiere::templates::Catalogue catalogue_;
    chatiere::templates::ImageCache images_;
    GuestBuilder builder_;
    ScriptedProbe probe_;
    MemoryJobStore jobs_;
    MemoryRegistry registry_;
    ManualClock clock_{Clock::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}}};
    std::unique_ptr<Provisioner> provisioner_;
};

}  // namespace

TEST_F(RolloutTest, TheGuestIsRedefinedOnTheNewBuildWithItsVolumeUnchanged) {
    createOnOldBuildThenRebuild();
    const std::string before = xml();
    const auto id = rollout();
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done") << jobs_.error(id);
    EXPECT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kNew);
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_EQ(registry_.states["svc1"], "active");
    // Only the image's paths changed: the same XML once the key is replaced.
    std::string expected = before;
    for (auto at = expected.find(kOld); at != std::string::npos; at = expected.find(kOld, at)) {
        expected.replace(at, std::string(kOld).size(), kNew);
    }
    EXPECT_EQ(xml(), expected);
    EXPECT_NE(xml().find("/volumes/chatiere-inst1-svc1.img"), std::string::npos) << xml();
    EXPECT_EQ(hypervisor_.volumeContent("chatiere", "chatiere-inst1-svc1.img").rfind("the pads of", 0), 0u)
        << "the data volume is never touched";
    ASSERT_TRUE(config()) << "a new boot is configured again";
    EXPECT_NE(config()->find("s3cr3t-key"), std::string::npos);
    EXPECT_NE(std::find(registry_.audits.begin(), registry_.audits.end(), "service.rolled_out"),
              registry_.audits.end());
}

TEST_F(RolloutTest, AGuestAlreadyOnTheCurrentBuildIsLeftAlone) {
    const auto create = jobs_.add("svc1", JobKind::Create, clock_.now());
    drain();
    ASSERT_EQ(jobs_.outcome(create), "done");
    const int calls = hypervisor_.calls();
    const auto id = rollout();
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done");
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_LE(hypervisor_.calls() - calls, 1) << "not restarted";
}

TEST_F(RolloutTest, AGuestThatDoesNotComeUpHealthyGoesBackToItsBuild) {
    createOnOldBuildThenRebuild();
    probe_.healthy = false;  // the new build does not answer
    const auto id = rollout();
    drain();
    EXPECT_EQ(jobs_.outcome(id), "failed");
    EXPECT_NE(jobs_.error(id).find("health check"), std::string::npos) << jobs_.error(id);
    EXPECT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kOld) << "rolled back";
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_EQ(registry_.states["svc1"], "active");
    EXPECT_NE(registry_.errors["svc1"].find("back on build aaaaaaaaaaaaaaaa"), std::string::npos)
        << registry_.errors["svc1"];
    EXPECT_EQ(hypervisor_.volumeContent("chatiere", "chatiere-inst1-svc1.img").rfind("the pads of", 0), 0u);
    ASSERT_TRUE(config()) << "the old build's boot is configured too";
    EXPECT_NE(std::find(registry_.audits.begin(), registry_.audits.end(), "service.rollout_rolled_back"),
              registry_.audits.end());
}

TEST_F(RolloutTest, ASuspendedServiceIsRedefinedButNotStartedAndBootsTheNewBuildAtResume) {
    createOnOldBuildThenRebuild();
    registry_.specs["svc1"].shouldRun = false;
    jobs_.add("svc1", JobKind::Apply, clock_.now());
    drain();
    ASSERT_EQ(hypervisor_.state(kGuest), GuestState::Paused);

    const auto id = rollout();
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done") << jobs_.error(id);
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::ShutOff) << "not started while suspended";
    EXPECT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kNew);

    registry_.specs["svc1"].shouldRun = true;
    const auto resume = jobs_.add("svc1", JobKind::Apply, clock_.now());
    drain();
    EXPECT_EQ(jobs_.outcome(resume), "done");
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kNew);
    EXPECT_TRUE(config());
}

TEST_F(RolloutTest, ARolloutInterruptedByADaemonThatDiedResumesWhereItWas) {
    createOnOldBuildThenRebuild();
    hypervisor_.setAgentAnswering(kGuest, false);  // the new build still booting
    const auto id = rollout();
    for (int i = 0; i < 5; ++i) {
        runDue();
        clock_.advance(2s);
    }
    EXPECT_EQ(jobs_.outcome(id), "");
    EXPECT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kNew);
    // The daemon dies; the next one runs the stored step on.
    provisioner_ = std::make_unique<Provisioner>(builder_, probe_, jobs_, registry_, clock_,
                                                 Poco::Logger::get("test"), settings());
    hypervisor_.setAgentAnswering(kGuest, true);
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done") << jobs_.error(id);
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
    EXPECT_TRUE(config());
}

TEST_F(RolloutTest, ARecordedStepThatWasLostRunsAgainHarmlessly) {
    createOnOldBuildThenRebuild();
    jobs_.crashBeforeRecording = 2;  // define_and_start done, the move to configure not recorded
    const auto id = rollout();
    drain();
    EXPECT_EQ(jobs_.outcome(id), "done") << jobs_.error(id);
    EXPECT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kNew);
    EXPECT_EQ(hypervisor_.state(kGuest), GuestState::Running);
}

TEST_F(RolloutTest, ThePreviousBuildGoneTheFailedRolloutStaysOnTheNewOne) {
    createOnOldBuildThenRebuild();
    probe_.healthy = false;
    const auto id = rollout();
    std::filesystem::remove_all(imageDir_ / "appliance" / kOld);  // pruned meanwhile
    drain();
    EXPECT_EQ(jobs_.outcome(id), "failed");
    EXPECT_EQ(builder_.guestBuild(registry_.specs["svc1"]), kNew);
    EXPECT_NE(registry_.errors["svc1"].find("is gone"), std::string::npos) << registry_.errors["svc1"];
}

TEST_F(RolloutTest, KeysAreReadFromTheDomainXml) {
    const auto& m = *catalogue_.find("appliance");
    EXPECT_EQ(
        images_.keyIn(m, "<kernel>" + (imageDir_ / "appliance" / kOld / "vmlinuz").string() + "</kernel>"),
        kOld);
    EXPECT_EQ(images_.keyIn(m, "<kernel>/elsewhere/appliance/x/vmlinuz</kernel>"), std::nullopt);
    EXPECT_EQ(images_.buildOf(m, "../x"), std::nullopt);
    EXPECT_EQ(images_.buildOf(m, "cccccccccccccccc"), std::nullopt) << "not built";
    EXPECT_TRUE(images_.buildOf(m, kOld));
}
