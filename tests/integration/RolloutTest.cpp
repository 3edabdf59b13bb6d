// Rebuilt images on the real server (docs/images.md#rollout): a service's API JSON, the admin's
// rollout status (API and CLI) and the admin console's services list say that its guest runs an
// outdated build, then the current one once the admin rolled it out. libvirt's test driver holds
// the guest; its health check never passes there, which is all the job's later steps need.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": "Site", "templates": ["website"],
    "free": true, "prices": [],
    "quotas": {"services": {"included": 2, "limit": 2}, "disk_gib": {"included": 2, "limit": 2}}})";
constexpr const char* kOld = "0123456789abcdef";  // what TestDaemon plants
constexpr const char* kNew = "fedcba9876543210";

class Rollout : public ::testing::Test {
protected:
    void SetUp() override {
        d_ = std::make_unique<TestDaemon>([](chatiere::manager::Settings& s) {
            s.reconcileIntervalSeconds = 3600;  // the guest below is the test's
            s.imagesAutoRollout = false;        // the admin starts it
        });
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = d_->approvedAssociation(*admin_, "Jardin", "manager@a.test", "asso-web");
        manager_ = std::make_unique<ApiClient>(d_->login("manager@a.test", "correct horse battery"));
        id_ = activeWebsiteOnOldBuild();
    }

    // A website created through the API (the test driver cannot write its volume: the create
    // fails), then marked active with a guest defined by hand on the build that is current now.
    std::string activeWebsiteOnOldBuild() {
        const auto r = manager_->post("/api/v1/associations/" + a_ + "/services",
                                      R"({"template": "website", "name": "site"})");
        EXPECT_EQ(r.status, 202) << r.body;
        const std::string id = r.json()->getValue<std::string>("id");
        eventually(
            [&] {
                return manager_->get("/api/v1/services/" + id).json()->getValue<std::string>("state") ==
                       "failed";
            },
            std::chrono::seconds(30));
        {
            auto s = d_->daemon().database().session();
            std::string key = id;
            s << "UPDATE services SET state = 'active', last_error = NULL, "
                 "endpoint = 'http://127.0.0.1:' || host_port WHERE id = ?",
                use(key), now;
        }
        const auto build = d_->dir() / "images" / "website" / kOld;
        d_->hypervisor().define("<domain type='test'><name>" + guest(id) +
                                "</name><memory unit='MiB'>128</memory><os><type>hvm</type><kernel>" +
                                (build / "vmlinuz").string() + "</kernel><initrd>" +
                                (build / "initrd.img").string() + "</initrd></os></domain>");
        d_->hypervisor().start(guest(id));
        return id;
    }
    std::string guest(const std::string& id) { return "chatiere-" + d_->daemon().instanceId() + "-" + id; }
    Poco::JSON::Object::Ptr image() {
        const auto r = manager_->get("/api/v1/services/" + id_);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()->getObject("image");
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(d_->daemon().port()); }

    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_, manager_;
    std::string a_, id_;
};

}  // namespace

TEST_F(Rollout, TheApiTheCliAndTheAdminPageShowAnOutdatedBuildThenTheCurrentOne) {
    ASSERT_TRUE(image());
    EXPECT_EQ(image()->getValue<std::string>("build"), kOld);
    EXPECT_TRUE(image()->getValue<bool>("current"));

    plantImage(d_->dir() / "images", "website", kNew);  // rebuilt: `current` names the new build
    EXPECT_EQ(image()->getValue<std::string>("build"), kOld);
    EXPECT_FALSE(image()->getValue<bool>("current"));
    const auto listed = manager_->get("/api/v1/associations/" + a_ + "/services");
    EXPECT_FALSE(
        listed.json()->getArray("services")->getObject(0)->getObject("image")->getValue<bool>("current"));

    auto status = admin_->get("/api/v1/templates/rollout?template=website");
    ASSERT_EQ(status.status, 200) << status.body;
    EXPECT_FALSE(status.json()->getValue<bool>("automatic"));
    ASSERT_EQ(status.json()->getArray("outdated")->size(), 1u) << status.body;
    EXPECT_EQ(status.json()->getArray("outdated")->getObject(0)->getValue<std::string>("build"), kOld);
    EXPECT_EQ(status.json()->getArray("outdated")->getObject(0)->getValue<std::string>("current_build"),
              kNew);

    Browser browser = signedInBrowser(d_->daemon().port(), "admin@chatons.test", "correct horse battery",
                                      d_->nextTotpCode("admin@chatons.test"));
    auto page = browser.get("/admin/services");
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("image ancienne (build 01234567)"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("chatiere templates rollout"), std::string::npos) << "automatic rollout is off";

    // Bad requests: another role, an unknown template; nothing queued.
    EXPECT_EQ(manager_->get("/api/v1/templates/rollout").status, 403);
    EXPECT_EQ(manager_->post("/api/v1/templates/rollout", "{}").status, 403);
    auto bad = admin_->post("/api/v1/templates/rollout", R"({"template": "wordpress"})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json()->getObject("error")->getValue<std::string>("code"), "unknown_template");
    bad = admin_->post("/api/v1/templates/rollout", R"({"template": 3})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(admin_->get("/api/v1/templates/rollout?template=../x").status, 400);
    status = admin_->get("/api/v1/templates/rollout");
    EXPECT_EQ(status.json()->getArray("in_progress")->size(), 0u);

    const chatiere::testing::ApiClient& admin = *admin_;
    const Poco::Process::Env env = {{"CHATIERE_TOKEN", admin.token()}};
    auto cli = runChatiere({"templates", "rollout-status", "website", "--url", url()}, "", env);
    EXPECT_EQ(cli.exitCode, 0) << cli.err;
    EXPECT_NE(cli.out.find(id_), std::string::npos) << cli.out;
    cli = runChatiere({"templates", "rollout", "wordpress", "--url", url()}, "", env);
    EXPECT_EQ(cli.exitCode, 65) << cli.err;

    // The admin starts it: the guest is restarted on the new build.
    cli = runChatiere({"templates", "rollout", "website", "--url", url()}, "", env);
    EXPECT_EQ(cli.exitCode, 0) << cli.err;
    EXPECT_NE(cli.out.find("\"in_progress\""), std::string::npos) << cli.out;
    EXPECT_NE(cli.out.find(id_), std::string::npos) << cli.out;
    eventually([&] { return image()->getValue<std::string>("build") == kNew; }, std::chrono::seconds(30));
    EXPECT_TRUE(image()->getValue<bool>("current"));
    // Its health check cannot pass on the test driver: the job waits there, shown in progress.
    status = admin_->get("/api/v1/templates/rollout");
    ASSERT_EQ(status.json()->getArray("in_progress")->size(), 1u) << status.body;
    EXPECT_EQ(status.json()->getArray("in_progress")->getObject(0)->getValue<std::string>("from_build"),
              kOld);
    EXPECT_EQ(status.json()->getArray("outdated")->size(), 0u);
    page = browser.get("/admin/services");
    EXPECT_NE(page.body.find("Mise à jour d’image en cours"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("redémarrage sur la nouvelle image (wait_healthy)"), std::string::npos)
        << page.body;
}
