// The provisioner with Debian appliances (tests/templates/appliance: image.root, two ports, a guest
// agent, config); ProvisionerTest.cpp has the website's.

#include "ProvisionerFixture.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

using namespace chatiere::provisioning;
using namespace std::chrono_literals;

namespace {

class ApplianceTest : public ProvisionerFixture {
protected:
    ApplianceTest()
        : ProvisionerFixture(std::filesystem::path(CHATIERE_SOURCE_DIR) / "tests" / "templates", "appliance",
                             120s) {
        ServiceSpec spec{"svc1", "asso1", "Jardin \"<&>\" é", "pad", "appliance", 1, 512, 1, 21001, true};
        spec.ports = {{"http", 21001}, {"admin", 21002}};
        spec.config = {
            {"association_name", "Jardin \"<&>\" é"}, {"service_id", "svc1"}, {"api_key", "s3cr3t-key"}};
        registry_.specs["svc1"] = spec;
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
