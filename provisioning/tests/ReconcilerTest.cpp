#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/Reconciler.h"

#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace chatiere::provisioning;
using namespace chatiere::base;
using namespace std::chrono_literals;

namespace {

class MemorySource final : public ReconcileSource {
public:
    std::vector<DesiredService> desired;
    std::vector<std::pair<std::string, JobKind>> repairs;
    std::vector<std::string> audits;
    std::vector<DesiredService> desiredServices() override { return desired; }
    void enqueueRepair(const std::string& id, JobKind kind, const std::string&) override {
        repairs.emplace_back(id, kind);
    }
    void auditGuest(const std::string& name, const std::string& action, const std::string&) override {
        audits.push_back(action + " " + name);
    }
};

class ReconcilerTest : public ::testing::Test {
protected:
    ReconcilerTest()
        : catalogue_(
              chatiere::templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates")),
          images_("/nonexistent"),
          builder_(hypervisor_, catalogue_, images_, {"inst1", "default", "/fake/default", "qemu"}),
          reconciler_(hypervisor_, builder_, source_, clock_, Poco::Logger::get("test"), 600s) {}

    ServiceSpec spec(const std::string& id, bool shouldRun = true) {
        return {id, "asso1", "Jardin", "site", "website", 1, 128, 1, 20001, shouldRun};
    }
    void guest(const std::string& instance, const std::string& service, GuestState state) {
        hypervisor_.define("<domain><name>chatiere-" + instance + "-" + service +
                           "</name><metadata><c:guest xmlns:c='x'><c:instance>" + instance +
                           "</c:instance><c:service>" + service +
                           "</c:service></c:guest></metadata></domain>");
        if (state != GuestState::ShutOff) {
            hypervisor_.start("chatiere-" + instance + "-" + service);
        }
        if (state == GuestState::Paused) {
            hypervisor_.suspend("chatiere-" + instance + "-" + service);
        }
    }

    FakeHypervisor hypervisor_;
    chatiere::templates::Catalogue catalogue_;
    chatiere::templates::ImageCache images_;
    GuestBuilder builder_;
    MemorySource source_;
    ManualClock clock_{Clock::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}}};
    Reconciler reconciler_;
};

}  // namespace

TEST_F(ReconcilerTest, NothingToDoWhenLibvirtAgrees) {
    guest("inst1", "s1", GuestState::Running);
    guest("inst1", "s2", GuestState::Paused);
    source_.desired = {{spec("s1"), "active", false}, {spec("s2", false), "active", false}};
    const auto report = reconciler_.runOnce();
    EXPECT_EQ(report.repairs, 0);
    EXPECT_TRUE(report.orphans.empty());
    EXPECT_TRUE(source_.repairs.empty());
}

TEST_F(ReconcilerTest, AGuestDeletedOrStoppedByHandIsBroughtBack) {
    guest("inst1", "s2", GuestState::ShutOff);
    guest("inst1", "s3", GuestState::Paused);
    guest("inst1", "s4", GuestState::Running);
    source_.desired = {{spec("s1"), "active", false},
                       {spec("s2"), "active", false},
                       {spec("s3"), "active", false},
                       {spec("s4", false), "active", false}};
    const auto report = reconciler_.runOnce();
    EXPECT_EQ(report.repairs, 4);
    const std::vector<std::pair<std::string, JobKind>> expected = {
        {"s1", JobKind::Create}, {"s2", JobKind::Create}, {"s3", JobKind::Apply}, {"s4", JobKind::Apply}};
    EXPECT_EQ(source_.repairs, expected);
}

TEST_F(ReconcilerTest, ServicesWithAJobInFlightOrNotActiveAreLeftAlone) {
    source_.desired = {
        {spec("s1"), "active", true}, {spec("s2"), "provisioning", false}, {spec("s3"), "failed", false}};
    EXPECT_EQ(reconciler_.runOnce().repairs, 0);
}

TEST_F(ReconcilerTest, OrphansAreReportedThenRemovedAfterTheGracePeriod) {
    guest("inst1", "gone", GuestState::Running);
    hypervisor_.createVolume("default", "chatiere-inst1-gone.img", 1024);
    auto report = reconciler_.runOnce();
    ASSERT_EQ(report.orphans.size(), 1u);
    EXPECT_EQ(report.orphansRemoved, 0);
    EXPECT_EQ(source_.audits, std::vector<std::string>{"guest.orphan_found chatiere-inst1-gone"});
    clock_.advance(599s);
    EXPECT_EQ(reconciler_.runOnce().orphansRemoved, 0);
    clock_.advance(2s);
    report = reconciler_.runOnce();
    EXPECT_EQ(report.orphansRemoved, 1);
    EXPECT_EQ(hypervisor_.state("chatiere-inst1-gone"), std::nullopt);
    EXPECT_EQ(hypervisor_.volume("default", "chatiere-inst1-gone.img"), std::nullopt);
}

TEST_F(ReconcilerTest, AnotherInstallationsGuestsAreNeverTouched) {
    guest("inst2", "s1", GuestState::Running);
    hypervisor_.define("<domain><name>someone-elses</name></domain>");
    for (int i = 0; i < 3; ++i) {
        const auto report = reconciler_.runOnce();
        EXPECT_TRUE(report.orphans.empty());
        clock_.advance(1h);
    }
    EXPECT_EQ(hypervisor_.state("chatiere-inst2-s1"), GuestState::Running);
    EXPECT_EQ(hypervisor_.state("someone-elses"), GuestState::ShutOff);
}

TEST_F(ReconcilerTest, AServicesLeftoverVolumesGoOnceNoJobRunsForIt) {
    hypervisor_.ensurePool("default", "/fake/default");
    guest("inst1", "s1", GuestState::Running);
    ServiceSpec current = spec("s1");
    current.volumeGeneration = 7;
    hypervisor_.createVolume("default", "chatiere-inst1-s1.g7.img", 1024);  // the current one
    hypervisor_.createVolume("default", "chatiere-inst1-s1.img", 1024);     // the one it replaced
    hypervisor_.createVolume("default", "chatiere-inst1-s1.g9.img", 1024);  // a replacement's, unfinished
    hypervisor_.createVolume("default", "chatiere-inst1-s10.img", 1024);    // another service's
    // While a job runs for the service, its volumes are its job's business.
    source_.desired = {{current, "active", true}};
    EXPECT_EQ(reconciler_.runOnce().leftoverVolumesRemoved, 0);
    EXPECT_EQ(hypervisor_.volumes("default").size(), 4u);
    source_.desired = {{current, "active", false}};
    EXPECT_EQ(reconciler_.runOnce().leftoverVolumesRemoved, 2);
    EXPECT_NE(hypervisor_.volume("default", "chatiere-inst1-s1.g7.img"), std::nullopt);
    EXPECT_NE(hypervisor_.volume("default", "chatiere-inst1-s10.img"), std::nullopt);
    EXPECT_EQ(hypervisor_.volume("default", "chatiere-inst1-s1.img"), std::nullopt);
    EXPECT_EQ(hypervisor_.volume("default", "chatiere-inst1-s1.g9.img"), std::nullopt);
}
