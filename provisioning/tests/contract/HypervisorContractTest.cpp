// One contract, two hypervisors: built once against FakeHypervisor (label unit) and once against
// LibvirtHypervisor on libvirt's test:///default driver (label integration), so the fake cannot
// drift from libvirt. What test:///default cannot do (volume upload and resize, real statistics)
// is left to the system tests with a real libvirtd.

#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/GuestAgent.h"
#include "chatiere/provisioning/LibvirtHypervisor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

using namespace chatiere::provisioning;
using Code = HypervisorError::Code;

namespace {

#ifdef CONTRACT_LIBVIRT
constexpr bool kLibvirt = true;
std::unique_ptr<Hypervisor> makeHypervisor() {
    return std::make_unique<LibvirtHypervisor>("test:///default");
}
const std::string kPool = "default-pool";
#else
constexpr bool kLibvirt = false;
std::unique_ptr<Hypervisor> makeHypervisor() {
    return std::make_unique<FakeHypervisor>();
}
const std::string kPool = "default";
#endif

std::string guestXml(const std::string& name, const std::string& instance, const std::string& service) {
    std::string metadata;
    if (!instance.empty()) {
        metadata = std::string("<metadata><chatiere:guest xmlns:chatiere='") + kMetadataNamespace +
                   "'><chatiere:instance>" + instance + "</chatiere:instance><chatiere:service>" + service +
                   "</chatiere:service></chatiere:guest></metadata>";
    }
    return "<domain type='test'><name>" + name + "</name>" + metadata +
           "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";
}

Code codeOf(const std::function<void()>& call) {
    try {
        call();
    } catch (const HypervisorError& e) {
        return e.code();
    }
    ADD_FAILURE() << "expected a HypervisorError";
    return Code::Failed;
}

class HypervisorContract : public ::testing::Test {
protected:
    std::unique_ptr<Hypervisor> h_ = makeHypervisor();
};

}  // namespace

TEST_F(HypervisorContract, DefiningAgainReplacesTheDefinition) {
    const std::string name = "chatiere-aaa-svc2";
    h_->define(guestXml(name, "aaa", "svc2"));
    h_->define(guestXml(name, "aaa", "svc2"));  // e.g. new memory after a resize
    EXPECT_EQ(h_->state(name), GuestState::ShutOff);
    h_->start(name);
    h_->define(guestXml(name, "aaa", "svc2"));  // also while it runs: for its next start
    EXPECT_EQ(h_->state(name), GuestState::Running);
    const auto owned = h_->listOwned("aaa");
    EXPECT_EQ(std::count_if(owned.begin(), owned.end(), [&](const GuestInfo& g) { return g.name == name; }),
              1);
    h_->destroy(name);
    h_->undefine(name);
}

TEST_F(HypervisorContract, GuestLifecycle) {
    const std::string name = "chatiere-aaa-svc1";
    h_->define(guestXml(name, "aaa", "svc1"));
    EXPECT_EQ(h_->state(name), GuestState::ShutOff);
    h_->start(name);
    EXPECT_EQ(h_->state(name), GuestState::Running);
    EXPECT_EQ(codeOf([&] { h_->start(name); }), Code::InvalidState);
    h_->suspend(name);
    EXPECT_EQ(h_->state(name), GuestState::Paused);
    h_->resume(name);
    EXPECT_EQ(h_->state(name), GuestState::Running);
    EXPECT_EQ(codeOf([&] { h_->undefine(name); }), Code::InvalidState);
    h_->shutdown(name, std::chrono::seconds(2), ShutdownMethod::Acpi);
    EXPECT_EQ(h_->state(name), GuestState::ShutOff);
    h_->destroy(name);  // already off: nothing to do
    h_->undefine(name);
    EXPECT_EQ(h_->state(name), std::nullopt);
}

TEST_F(HypervisorContract, AShutdownThroughTheAgentStopsAGuestWithoutOneToo) {
    // No agent channel (nor, on test:///default, the agent flag): the power button, then forced.
    const std::string name = "chatiere-aaa-svc3";
    h_->define(guestXml(name, "aaa", "svc3"));
    h_->start(name);
    h_->shutdown(name, std::chrono::seconds(2), ShutdownMethod::GuestAgent);
    EXPECT_EQ(h_->state(name), GuestState::ShutOff);
    h_->shutdown(name, std::chrono::seconds(2), ShutdownMethod::GuestAgent);  // already off
    EXPECT_EQ(h_->state(name), GuestState::ShutOff);
    h_->undefine(name);
}

TEST_F(HypervisorContract, UnknownGuestsAreNotFound) {
    EXPECT_EQ(h_->state("chatiere-aaa-nothing"), std::nullopt);
    for (const auto& call : std::vector<std::function<void()>>{
             [&] { h_->start("chatiere-aaa-nothing"); }, [&] { h_->suspend("chatiere-aaa-nothing"); },
             [&] { h_->resume("chatiere-aaa-nothing"); }, [&] { h_->destroy("chatiere-aaa-nothing"); },
             [&] { h_->undefine("chatiere-aaa-nothing"); }}) {
        EXPECT_EQ(codeOf(call), Code::NotFound);
    }
}

TEST_F(HypervisorContract, PausingAGuestThatIsOffIsAnInvalidState) {
    h_->define(guestXml("chatiere-aaa-svc2", "aaa", "svc2"));
    EXPECT_EQ(codeOf([&] { h_->suspend("chatiere-aaa-svc2"); }), Code::InvalidState);
    EXPECT_EQ(codeOf([&] { h_->resume("chatiere-aaa-svc2"); }), Code::InvalidState);
}

TEST_F(HypervisorContract, OnlyOwnedGuestsAreListed) {
    h_->define(guestXml("chatiere-aaa-s1", "aaa", "s1"));
    h_->define(guestXml("chatiere-aaa-s2", "aaa", "s2"));
    h_->define(guestXml("chatiere-bbb-s1", "bbb", "s1"));
    h_->define(guestXml("someone-elses-vm", "", ""));
    h_->start("chatiere-aaa-s2");
    auto owned = h_->listOwned("aaa");
    std::sort(owned.begin(), owned.end(), [](auto& a, auto& b) { return a.name < b.name; });
    ASSERT_EQ(owned.size(), 2u);
    EXPECT_EQ(owned[0].name, "chatiere-aaa-s1");
    EXPECT_EQ(owned[0].serviceId, "s1");
    EXPECT_EQ(owned[0].state, GuestState::ShutOff);
    EXPECT_EQ(owned[1].name, "chatiere-aaa-s2");
    EXPECT_EQ(owned[1].state, GuestState::Running);
    EXPECT_EQ(h_->listOwned("bbb").size(), 1u);
    EXPECT_TRUE(h_->listOwned("ccc").empty());
    EXPECT_TRUE(h_->listOwned("").empty());
}

TEST_F(HypervisorContract, BulkStatsCoverTheInstancesGuestsOnly) {
    h_->define(guestXml("chatiere-aaa-s1", "aaa", "s1"));
    h_->define(guestXml("chatiere-bbb-s1", "bbb", "s1"));
    h_->start("chatiere-aaa-s1");
    h_->start("chatiere-bbb-s1");
    const auto stats = h_->bulkStats("aaa");
    ASSERT_EQ(stats.size(), 1u);
    EXPECT_EQ(stats[0].name, "chatiere-aaa-s1");
    EXPECT_EQ(stats[0].state, GuestState::Running);
}

TEST_F(HypervisorContract, Volumes) {
    const VolumeInfo created = h_->createVolume(kPool, "svc1-data.img", 1 << 20);
    EXPECT_EQ(created.name, "svc1-data.img");
    EXPECT_EQ(created.capacityBytes, 1u << 20);
    EXPECT_FALSE(created.path.empty());
    const auto found = h_->volume(kPool, "svc1-data.img");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->capacityBytes, 1u << 20);
    EXPECT_EQ(codeOf([&] { h_->createVolume(kPool, "svc1-data.img", 1 << 20); }), Code::AlreadyExists);
    EXPECT_EQ(codeOf([&] { h_->createVolume(kPool, "../escape", 1 << 20); }), Code::InvalidInput);
    h_->createVolume(kPool, "svc2-data.img", 2 << 20);
    // One listing of the pool gives every volume with its sizes.
    std::map<std::string, uint64_t> listed;
    for (const auto& v : h_->volumes(kPool)) {
        listed[v.name] = v.capacityBytes;
    }
    EXPECT_EQ(listed["svc1-data.img"], 1u << 20);
    EXPECT_EQ(listed["svc2-data.img"], 2u << 20);
    EXPECT_EQ(codeOf([&] { h_->volumes("no-such-pool"); }), Code::NotFound);
    h_->deleteVolume(kPool, "svc2-data.img");
    h_->deleteVolume(kPool, "svc1-data.img");
    EXPECT_EQ(h_->volume(kPool, "svc1-data.img"), std::nullopt);
    EXPECT_EQ(codeOf([&] { h_->deleteVolume(kPool, "svc1-data.img"); }), Code::NotFound);
    EXPECT_EQ(codeOf([&] { h_->volume("no-such-pool", "x"); }), Code::NotFound);
}

TEST_F(HypervisorContract, PoolsAreMadeOnceAndReused) {
    char tmpl[] = "/tmp/chatiere-pool-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    h_->ensurePool("chatiere-test", dir);
    h_->ensurePool("chatiere-test", dir);  // idempotent
    const VolumeInfo v = h_->createVolume("chatiere-test", "v.img", 1 << 20);
    EXPECT_EQ(v.path, dir + "/v.img");
    h_->deleteVolume("chatiere-test", "v.img");
    std::filesystem::remove_all(dir);
}

TEST_F(HypervisorContract, UploadReplacesTheContent) {
    if (kLibvirt) {
        GTEST_SKIP() << "test:///default cannot upload to volumes: covered by the system tests";
    }
    h_->createVolume(kPool, "site.img", 1024);
    h_->uploadVolume(kPool, "site.img", "first");
    h_->uploadVolume(kPool, "site.img", "second");
    EXPECT_EQ(static_cast<FakeHypervisor&>(*h_).volumeContent(kPool, "site.img"), "second");
    EXPECT_EQ(codeOf([&] { h_->uploadVolume(kPool, "site.img", std::string(2048, 'x')); }),
              Code::InvalidInput);
}

// The guest agent. test:///default has no guest agent at all: every agent call there is
// Unsupported, which is what a real libvirtd says of a guest without the agent channel too. What an
// agent answers (files, pings, an agent not connected yet) is the fake's below and the system tests'.
TEST_F(HypervisorContract, AGuestWithoutAnAgentSaysUnsupported) {
    const std::string name = "chatiere-aaa-noagent";
    h_->define(guestXml(name, "aaa", "noagent"));
    h_->start(name);
    EXPECT_EQ(codeOf([&] { h_->agentCommand(name, R"({"execute":"guest-ping"})", std::chrono::seconds(1)); }),
              Code::Unsupported);
    EXPECT_EQ(codeOf([&] { writeGuestFile(*h_, name, "/run/x", "y", std::chrono::seconds(1)); }),
              Code::Unsupported);
    EXPECT_THROW(agentAnswers(*h_, name, std::chrono::seconds(1)), HypervisorError)
        << "not a guest still booting";
    if (kLibvirt) {
        h_->fsTrim(name);  // test:///default pretends to trim; a real libvirtd says Unsupported
    } else {
        EXPECT_EQ(codeOf([&] { h_->fsTrim(name); }), Code::Unsupported);
    }
    EXPECT_EQ(codeOf([&] {
                  h_->agentCommand("chatiere-aaa-nosuch", R"({"execute":"guest-ping"})",
                                   std::chrono::seconds(1));
              }),
              Code::NotFound);
    h_->destroy(name);
    EXPECT_EQ(codeOf([&] { h_->fsTrim(name); }), Code::InvalidState) << "not running";
    h_->undefine(name);
}

#ifndef CONTRACT_LIBVIRT
std::string agentGuestXml(const std::string& name) {
    std::string xml = guestXml(name, "aaa", "agent");
    xml.insert(xml.find("</domain>"),
               "<devices><channel type='unix'><target type='virtio' "
               "name='org.qemu.guest_agent.0'/></channel></devices>");
    return xml;
}

TEST(FakeHypervisor, TheAgentAnswersOnlyWhileTheGuestRuns) {
    FakeHypervisor h;
    const std::string name = "chatiere-aaa-agent";
    h.define(agentGuestXml(name));
    EXPECT_EQ(codeOf([&] { h.fsTrim(name); }), Code::InvalidState);
    EXPECT_FALSE(agentAnswers(h, name, std::chrono::seconds(1))) << "off";
    h.setAgentAnswering(name, false);
    h.start(name);
    EXPECT_FALSE(agentAnswers(h, name, std::chrono::seconds(1))) << "still booting";
    EXPECT_EQ(
        codeOf([&] { writeGuestFile(h, name, "/run/chatiere/config.json", "{}", std::chrono::seconds(1)); }),
        Code::AgentUnavailable);
    h.setAgentAnswering(name, true);
    EXPECT_TRUE(agentAnswers(h, name, std::chrono::seconds(1)));
    waitForAgent(h, name, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    h.fsTrim(name);
    EXPECT_EQ(h.fsTrims(name), 1);
    EXPECT_EQ(codeOf([&] { h.agentCommand(name, R"({"execute":"guest-exec"})", std::chrono::seconds(1)); }),
              Code::Failed)
        << "the agent refuses what Chatière does not use";
    h.suspend(name);
    EXPECT_FALSE(agentAnswers(h, name, std::chrono::seconds(1))) << "paused";
}

TEST(FakeHypervisor, WritesGuestFilesThroughTheAgent) {
    FakeHypervisor h;
    const std::string name = "chatiere-aaa-agent";
    h.define(agentGuestXml(name));
    h.start(name);
    const std::string content = "{\"api_key\":\"é\u00e9\"}" + std::string(3 << 20, 'x');  // several writes
    writeGuestFile(h, name, "/run/chatiere/config.json", content, std::chrono::seconds(1));
    EXPECT_EQ(h.guestFile(name, "/run/chatiere/config.json"), content);
    writeGuestFile(h, name, "/run/chatiere/config.json", "short", std::chrono::seconds(1));
    EXPECT_EQ(h.guestFile(name, "/run/chatiere/config.json"), "short") << "truncated, not appended to";
    EXPECT_EQ(h.openGuestFiles(name), 0);

    // A write that fails closes its handle.
    h.failOnCall(2);  // 1: open, 2: the first write
    EXPECT_EQ(
        codeOf([&] { writeGuestFile(h, name, "/run/chatiere/other", "data", std::chrono::seconds(1)); }),
        Code::Failed);
    EXPECT_EQ(h.openGuestFiles(name), 0);

    h.destroy(name);
    h.start(name);
    EXPECT_EQ(h.guestFile(name, "/run/chatiere/config.json"), std::nullopt) << "/run is gone with the boot";
}

TEST(FakeHypervisor, FailsOnTheNthCall) {
    FakeHypervisor h;
    h.failOnCall(2, Code::Unavailable);
    h.define(guestXml("chatiere-aaa-s1", "aaa", "s1"));
    EXPECT_EQ(codeOf([&] { h.start("chatiere-aaa-s1"); }), Code::Unavailable);
    h.start("chatiere-aaa-s1");  // only once
    EXPECT_EQ(h.state("chatiere-aaa-s1"), GuestState::Running);
}
#endif
