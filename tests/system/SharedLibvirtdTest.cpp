// Two installations on one libvirtd never touch each other's guests, even with the shortest
// orphan grace period; and libvirtd restarted under a running daemon: its next operations succeed.

#include "Eventually.h"
#include "SystemGuests.h"
#include "TestDaemon.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

using namespace chatiere::testing;
using chatiere::provisioning::GuestState;

namespace {

struct Website {
    std::string id;
    std::string domain;
    int port = 0;
};

// An installation of its own (database, instance id, pool, ports) with an approved association
// on a plan; website() creates a service there and waits until its guest answers.
class Installation {
public:
    Installation(int portsFirst, int portsLast)
        : daemon_(
              [&](chatiere::manager::Settings& s) {
                  pool_ = useRealGuests(s, portsFirst, portsLast);
                  s.orphanGraceSeconds = 1;  // an unwanted guest of its own goes at once
              },
              /*startSink=*/true, /*realClock=*/true),
          admin_(daemon_.staffClient("admin@chatons.test")) {
        EXPECT_EQ(
            admin_.post("/api/v1/plans", R"({"slug": "web", "name": "Web", "free": true, "prices": []})")
                .status,
            201);
        association_ = daemon_.signup("Jardin", "camille@jardin.test").first;
        EXPECT_EQ(admin_.put("/api/v1/associations/" + association_ + "/plan", R"({"plan": "web"})").status,
                  200);
        EXPECT_EQ(admin_.post("/api/v1/associations/" + association_ + "/approve", "{}").status, 200);
    }
    ~Installation() {
        daemon_.stop();
        removePool(pool_);
    }

    Website website(const std::string& name) {
        const auto created = admin_.post("/api/v1/associations/" + association_ + "/services",
                                         R"({"template": "website", "name": ")" + name + "\"}");
        EXPECT_EQ(created.status, 202) << created.body;
        Website w;
        w.id = created.json()->getValue<std::string>("id");
        w.domain = "chatiere-" + daemon_.daemon().instanceId() + "-" + w.id;
        ApiResponse service;
        const bool active = eventually(
            [&] {
                service = admin_.get("/api/v1/services/" + w.id);
                const auto state = service.json()->getValue<std::string>("state");
                return state == "active" || state == "failed";
            },
            std::chrono::seconds(240));
        EXPECT_TRUE(active && service.json()->getValue<std::string>("state") == "active") << service.body;
        if (active && service.json()->has("endpoint") && !service.json()->isNull("endpoint")) {
            const auto endpoint = service.json()->getValue<std::string>("endpoint");
            w.port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
        }
        return w;
    }

    void remove(const Website& w) {
        ASSERT_EQ(admin_.del("/api/v1/services/" + w.id).status, 202);
        EXPECT_TRUE(eventually([&] { return admin_.get("/api/v1/services/" + w.id).status == 404; },
                               std::chrono::seconds(90)));
    }

    TestDaemon& daemon() { return daemon_; }
    ApiClient& admin() { return admin_; }

private:
    std::string pool_;
    TestDaemon daemon_;
    ApiClient admin_;
    std::string association_;
};

// Restarts libvirtd the way its operator would (systemd), or stops it and starts it again with the
// project's own script. Running QEMU guests outlive it.
void restartLibvirtd() {
    if (std::filesystem::exists("/run/systemd/system")) {
        ASSERT_EQ(std::system("systemctl restart libvirtd.service"), 0);
        return;
    }
    pid_t pid = 0;
    std::ifstream("/run/libvirtd.pid") >> pid;
    ASSERT_GT(pid, 0) << "no /run/libvirtd.pid";
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    ASSERT_TRUE(eventually([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(30)))
        << "libvirtd did not stop";
    ASSERT_FALSE(libvirtdAnswers());
    ASSERT_EQ(
        std::system(("bash " + std::string(CHATIERE_SOURCE_DIR) + "/packaging/scripts/libvirtd.sh").c_str()),
        0);
}

}  // namespace

TEST(SharedLibvirtd, TwoInstallationsKeepToTheirOwnGuestsAndSurviveALibvirtdRestart) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    Installation a(22400, 22449);
    Installation b(22450, 22499);
    const std::string instanceA = a.daemon().daemon().instanceId();
    const std::string instanceB = b.daemon().daemon().instanceId();
    ASSERT_NE(instanceA, instanceB);

    const Website siteB = b.website("site-b");
    const Website siteA = a.website("site-a");
    ASSERT_NE(siteA.port, 0);
    ASSERT_NE(siteB.port, 0);

    // Each lists only its own guest; A's reconciler (every 2 s, orphans removed after 1 s) has
    // run many times while its guest booted and left B's alone.
    EXPECT_EQ(a.daemon().hypervisor().listOwned(instanceA).size(), 1u);
    EXPECT_EQ(b.daemon().hypervisor().listOwned(instanceB).size(), 1u);
    EXPECT_EQ(a.daemon().hypervisor().state(siteB.domain), GuestState::Running);
    EXPECT_TRUE(page(siteB.port).has_value());
    const auto audit = a.admin().get("/api/v1/audit");
    EXPECT_EQ(audit.body.find(siteB.domain), std::string::npos) << audit.body;

    // libvirtd restarted under both daemons: guests keep running, the next operations succeed.
    restartLibvirtd();
    EXPECT_TRUE(page(siteA.port).has_value());
    ASSERT_EQ(a.admin().post("/api/v1/services/" + siteA.id + "/suspend", "{}").status, 202);
    EXPECT_TRUE(eventually([&] { return a.daemon().hypervisor().state(siteA.domain) == GuestState::Paused; },
                           std::chrono::seconds(60)));
    EXPECT_FALSE(page(siteA.port).has_value());
    ASSERT_EQ(a.admin().post("/api/v1/services/" + siteA.id + "/resume", "{}").status, 202);
    EXPECT_TRUE(eventually([&] { return page(siteA.port).has_value(); }, std::chrono::seconds(60)));
    const Website second = a.website("site-a2");
    EXPECT_TRUE(page(second.port).has_value());

    // A deletes all of its services: B's guest still runs and answers.
    a.remove(siteA);
    a.remove(second);
    EXPECT_TRUE(a.daemon().hypervisor().listOwned(instanceA).empty());
    EXPECT_EQ(b.daemon().hypervisor().state(siteB.domain), GuestState::Running);
    EXPECT_TRUE(page(siteB.port).has_value());
    b.remove(siteB);
}
