#include "ProvisionerFixture.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace chatiere::provisioning;
using namespace std::chrono_literals;

namespace {

class ProvisionerTest : public ProvisionerFixture {
protected:
    ProvisionerTest()
        : ProvisionerFixture(std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates", "website",
                             kBootTimeout) {
        registry_.specs["svc1"] = {"svc1", "asso1", "Jardin <&>", "site", "website", 1, 128, 1, 20001, true};
    }
    static constexpr std::chrono::seconds kBootTimeout{60};
    static ProvisionerSettings settings() { return ProvisionerFixture::settings(kBootTimeout); }

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
