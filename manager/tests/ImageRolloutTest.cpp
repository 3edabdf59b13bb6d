// Rebuilt images rolled out one service at a time (hosting/ImageRollout): the daemon's task over a
// temp SQLite file (the jobs table of schema v16), the real provisioner and store, the fake
// hypervisor and planted images (a second build made current).

#include "FakeImages.h"
#include "MonitoringFixture.h"
#include "chatiere/manager/Error.h"
#include "chatiere/provisioning/Provisioner.h"
#include "hosting/ImageRollout.h"
#include "hosting/ProvisioningStore.h"

#include <Poco/Logger.h>
#include <gtest/gtest.h>

using namespace chatiere::manager;
using namespace chatiere::provisioning;
using namespace std::chrono_literals;

namespace {

constexpr const char* kOld = "0123456789abcdef";  // plantImage's default key, the fixture's build
constexpr const char* kNew = "fedcba9876543210";

class Probe final : public HealthProbe {
public:
    bool healthy = true;
    bool check(const chatiere::templates::HealthCheck&, int, std::string& detail) override {
        detail = healthy ? "" : "connection refused";
        return healthy;
    }
};

class ImageRolloutTest : public chatiere::testing::MonitoringFixture {
protected:
    ImageRolloutTest()
        : store_(db_, clock_, catalogue_),
          provisioner_(builder_, probe_, store_, store_, clock_, Poco::Logger::get("test"),
                       provisionerSettings()) {}

    static ProvisionerSettings provisionerSettings() {
        ProvisionerSettings s;
        s.bootTimeout = 60s;
        s.maxAttempts = 2;
        return s;
    }
    ImageRollout rollout() {
        return ImageRollout(db_, clock_, settings_, catalogue_, builder_, Poco::Logger::get("test"),
                            [this] { ++queued_; });
    }
    // An active service whose guest runs the build that is current now.
    ServiceSpec addGuest(const std::string& id) {
        addService(id, "active");
        ServiceSpec spec = *store_.spec(id);
        builder_.ensureVolume(spec);
        builder_.define(spec);
        builder_.ensureRunning(spec);
        hypervisor_.uploadVolume("chatiere", builder_.volumeName(id), "data of " + id);
        return spec;
    }
    std::optional<std::string> buildOf(const std::string& id) {
        return builder_.guestBuild(*store_.spec(id));
    }
    int pendingRollouts() {
        auto s = db_.session();
        return static_cast<int>(JobRepository(s).pendingOfKind("rollout").size());
    }
    // Runs the provisioner until nothing is due within a minute.
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
    Actor admin() { return Actor{"adm1", "admin@chatons.test", StaffRole::Admin, ""}; }
    Actor treasurer() { return Actor{"tr1", "treasurer@chatons.test", StaffRole::Treasurer, ""}; }

    ProvisioningStore store_;
    Probe probe_;
    Provisioner provisioner_;
    int queued_ = 0;
};

}  // namespace

TEST_F(ImageRolloutTest, OneServiceAtATimeUntilEveryGuestRunsTheNewBuild) {
    for (const char* id : {"svc1", "svc2", "svc3"}) {
        addGuest(id);
    }
    auto r = rollout();
    EXPECT_EQ(r.runOnce(), std::nullopt) << "nothing outdated yet";
    EXPECT_TRUE(r.imageOf(service("svc1"))->current);
    EXPECT_EQ(r.imageOf(service("svc1"))->build, kOld);

    chatiere::testing::plantImage(dir_ / "images", "website", kNew);  // rebuilt: `current` names it
    EXPECT_FALSE(r.imageOf(service("svc1"))->current);
    EXPECT_EQ(r.status(admin(), std::nullopt).outdated.size(), 3u);

    std::vector<std::string> order;
    for (int round = 0; round < 3; ++round) {
        const auto queued = r.runOnce();
        ASSERT_TRUE(queued) << "round " << round;
        order.push_back(*queued);
        EXPECT_EQ(pendingRollouts(), 1);
        EXPECT_EQ(r.runOnce(), std::nullopt) << "the next one waits for this one";
        EXPECT_EQ(pendingRollouts(), 1);
        const auto status = r.status(admin(), "website");
        ASSERT_EQ(status.inProgress.size(), 1u);
        EXPECT_EQ(status.inProgress[0].serviceId, *queued);
        EXPECT_EQ(status.inProgress[0].fromBuild, kOld);
        drain();
        EXPECT_EQ(buildOf(*queued), kNew);
        EXPECT_EQ(hypervisor_.state(builder_.domainName(*queued)), GuestState::Running);
        EXPECT_EQ(hypervisor_.volumeContent("chatiere", builder_.volumeName(*queued)).rfind("data of", 0),
                  0u);
    }
    EXPECT_EQ(order, (std::vector<std::string>{"svc1", "svc2", "svc3"}));
    EXPECT_EQ(r.runOnce(), std::nullopt);
    EXPECT_TRUE(r.status(admin(), std::nullopt).outdated.empty());
    EXPECT_EQ(queued_, 3);
    EXPECT_EQ(auditActions("service.rollout").size(), 3u);
    EXPECT_EQ(auditActions("service.rolled_out").size(), 3u);
}

TEST_F(ImageRolloutTest, AFailedRolloutGoesBackAndIsNotTriedAgainOnTheSameBuild) {
    addGuest("svc1");
    addGuest("svc2");
    chatiere::testing::plantImage(dir_ / "images", "website", kNew);
    auto r = rollout();
    probe_.healthy = false;  // the new build never answers
    ASSERT_EQ(r.runOnce(), "svc1");
    drain();
    EXPECT_EQ(buildOf("svc1"), kOld) << "rolled back onto the build it ran";
    EXPECT_EQ(service("svc1").state, ServiceState::Active);
    ASSERT_TRUE(service("svc1").lastError);
    EXPECT_NE(service("svc1").lastError->find("undone"), std::string::npos) << *service("svc1").lastError;
    {
        auto s = db_.session();
        EXPECT_EQ(s.text("SELECT status FROM jobs WHERE kind = 'rollout' ORDER BY id DESC LIMIT 1"),
                  "failed");
    }

    probe_.healthy = true;
    EXPECT_EQ(r.runOnce(), "svc2") << "svc1 is not tried again on the build that failed";
    drain();
    EXPECT_EQ(buildOf("svc2"), kNew);
    EXPECT_EQ(r.runOnce(), std::nullopt);
    const auto status = r.status(admin(), std::nullopt);
    ASSERT_EQ(status.outdated.size(), 1u);
    EXPECT_TRUE(status.outdated[0].failed);

    // The admin asks again: tried once more.
    r.start(admin(), "website");
    EXPECT_EQ(pendingRollouts(), 1);
    drain();
    EXPECT_EQ(buildOf("svc1"), kNew);
}

TEST_F(ImageRolloutTest, WithAutomaticRolloutOffOnlyTheAdminStartsIt) {
    settings_.imagesAutoRollout = false;
    addGuest("svc1");
    chatiere::testing::plantImage(dir_ / "images", "website", kNew);
    auto r = rollout();
    EXPECT_EQ(r.runOnce(), std::nullopt);
    EXPECT_FALSE(r.status(admin(), std::nullopt).automatic);

    EXPECT_THROW(r.start(treasurer(), "website"), Error);
    EXPECT_THROW(r.status(treasurer(), std::nullopt), Error);
    try {
        r.start(admin(), "wordpress");
        FAIL() << "an unknown template";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "unknown_template");
    }
    EXPECT_EQ(pendingRollouts(), 0) << "nothing queued by refused requests";

    const auto status = r.start(admin(), "website");
    ASSERT_EQ(status.inProgress.size(), 1u);
    EXPECT_EQ(status.inProgress[0].serviceId, "svc1");
    drain();
    EXPECT_EQ(buildOf("svc1"), kNew);
    EXPECT_EQ(auditActions("templates.rollout").size(), 1u);
}

TEST_F(ImageRolloutTest, AServiceWithAnotherJobPendingWaitsForIt) {
    addGuest("svc1");
    addGuest("svc2");
    chatiere::testing::plantImage(dir_ / "images", "website", kNew);
    {
        auto s = db_.session();
        ServiceRepository(s).enqueueJob("svc1", "apply", formatTime(clock_.now()));
    }
    auto r = rollout();
    EXPECT_EQ(r.runOnce(), "svc2") << "svc1 has an apply job pending";
    drain();
    EXPECT_EQ(r.runOnce(), "svc1") << "its job ended";
    drain();
    EXPECT_EQ(buildOf("svc1"), kNew);
    EXPECT_EQ(buildOf("svc2"), kNew);
}

TEST_F(ImageRolloutTest, ServicesThatAreNotActiveAreLeftToTheirOwnJobs) {
    addGuest("svc1");
    {
        auto s = db_.session();
        ServiceRepository(s).setState("svc1", ServiceState::Failed, "broken", formatTime(clock_.now()));
    }
    addService("svc2", "requested");  // no guest yet
    chatiere::testing::plantImage(dir_ / "images", "website", kNew);
    auto r = rollout();
    EXPECT_EQ(r.runOnce(), std::nullopt);
    EXPECT_EQ(r.imageOf(service("svc2")), std::nullopt);
}
