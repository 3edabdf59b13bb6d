// Several ports per service, through the real HTTP server over libvirt's test:///default: a
// template with two ports (the test-only tests/templates/appliance) gets two host ports, shown in
// the service's JSON and released when it is deleted; and schema v15 upgrades a v14 database whose
// live website keeps its port.

#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <set>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "tout", "name": "Tout", "templates": ["website", "appliance"],
    "free": true, "prices": []})";

// The shipped website and the test-only appliance, side by side, as the daemon's templates.dir.
void useTestCatalogue(chatiere::manager::Settings& s) {
    const std::filesystem::path dir = std::filesystem::path(s.dataDir) / "catalogue";
    std::filesystem::create_directories(dir);
    const std::filesystem::path source(CHATIERE_SOURCE_DIR);
    std::filesystem::copy(source / "templates" / "website", dir / "website",
                          std::filesystem::copy_options::recursive);
    std::filesystem::copy(source / "tests" / "templates" / "appliance", dir / "appliance",
                          std::filesystem::copy_options::recursive);
    s.templatesDir = dir.string();
    const std::filesystem::path images = std::filesystem::path(s.dataDir) / "images" / "appliance";
    std::filesystem::create_directories(images);
    for (const auto* file : {"vmlinuz", "initrd.img", "root.img"}) {
        std::ofstream(images / file) << "stand-in";
    }
}

class ServicePorts : public ::testing::Test {
protected:
    void SetUp() override {
        d_ = std::make_unique<TestDaemon>(useTestCatalogue);
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        const auto r = d_->client().post("/api/v1/signup", R"({"association": {"name": "Jardin",
            "kind": "association", "email": "m@jardin.test"}, "manager": {"name": "M",
            "email": "m@jardin.test", "password": "correct horse battery"}, "plan": "tout",
            "accept_terms": true})");
        ASSERT_EQ(r.status, 201) << r.body;
        association_ = r.json()->getObject("association")->getValue<std::string>("id");
        ASSERT_EQ(admin_->post("/api/v1/associations/" + association_ + "/approve", "{}").status, 200);
        manager_ = std::make_unique<ApiClient>(d_->login("m@jardin.test", "correct horse battery"));
    }

    // name → {guest port, host port}, from the service's JSON.
    std::map<std::string, std::pair<int, int>> portsOf(const ApiResponse& r) {
        std::map<std::string, std::pair<int, int>> out;
        const auto ports = r.json()->getArray("ports");
        for (std::size_t i = 0; ports && i < ports->size(); ++i) {
            const auto p = ports->getObject(static_cast<unsigned>(i));
            out[p->getValue<std::string>("name")] = {p->getValue<int>("guest_port"),
                                                     p->getValue<int>("host_port")};
        }
        return out;
    }
    int portRows() {
        auto s = d_->daemon().database().session();
        int n = 0;
        s << "SELECT COUNT(*) FROM service_ports", into(n), now;
        return n;
    }

    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_, manager_;
    std::string association_;
};

}  // namespace

TEST_F(ServicePorts, ATemplateWithTwoPortsGetsTwoHostPortsReleasedAtDelete) {
    const auto created = manager_->post("/api/v1/associations/" + association_ + "/services",
                                        R"({"template": "appliance", "name": "pad"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    const auto shown = manager_->get("/api/v1/services/" + id);
    ASSERT_EQ(shown.status, 200);
    const auto ports = portsOf(shown);
    ASSERT_EQ(ports.size(), 2u) << shown.body;
    EXPECT_EQ(ports.at("http").first, 9001);
    EXPECT_EQ(ports.at("admin").first, 9002);
    EXPECT_NE(ports.at("http").second, ports.at("admin").second);
    for (const auto& [name, p] : ports) {
        EXPECT_GE(p.second, 21000) << name;
        EXPECT_LE(p.second, 21099) << name;
    }
    EXPECT_TRUE(shown.json()->has("endpoint"));
    EXPECT_EQ(shown.body.find("api_key"), std::string::npos) << "secrets are never shown";

    // test:///default has no guest agent: the create cannot configure the guest and is rolled back.
    ASSERT_TRUE(eventually(
        [&] {
            return manager_->get("/api/v1/services/" + id).json()->getValue<std::string>("state") == "failed";
        },
        std::chrono::seconds(30)));
    const auto failed = manager_->get("/api/v1/services/" + id);
    EXPECT_NE(failed.json()->getValue<std::string>("last_error").find("agent"), std::string::npos)
        << failed.body;
    EXPECT_EQ(failed.body.find("api_key"), std::string::npos);

    EXPECT_EQ(manager_->del("/api/v1/services/" + id).status, 202);
    ASSERT_TRUE(eventually([&] { return manager_->get("/api/v1/services/" + id).status == 404; },
                           std::chrono::seconds(30)));
    EXPECT_EQ(portRows(), 0) << "its ports went back to the pool";
    {
        auto s = d_->daemon().database().session();
        int secrets = -1;
        s << "SELECT COUNT(*) FROM service_secrets", into(secrets), now;
        EXPECT_EQ(secrets, 0);
    }

    // A new service takes the released ports again (the lowest free ones).
    const auto again = manager_->post("/api/v1/associations/" + association_ + "/services",
                                      R"({"template": "appliance", "name": "pad"})");
    ASSERT_EQ(again.status, 202) << again.body;
    const auto reused =
        portsOf(manager_->get("/api/v1/services/" + again.json()->getValue<std::string>("id")));
    std::set<int> before, after;
    for (const auto& [name, p] : ports) {
        before.insert(p.second);
    }
    for (const auto& [name, p] : reused) {
        after.insert(p.second);
    }
    EXPECT_EQ(after, before);
}

// A database the previous version wrote (schema v14) with a live website on port 21050: after the
// daemon's start (which migrates it) the website shows its port as its http port, and keeps its
// endpoint.
TEST(ServicePortsUpgrade, AV14WebsiteKeepsItsPort) {
    std::string serviceId = "svc_v14site";
    TestDaemon d([&](chatiere::manager::Settings& s) {
        chatiere::manager::Database db(s.dbPath);
        ASSERT_EQ(db.migrateTo(14), 14);
        auto session = db.session();
        session << "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES "
                   "('asso_v14', 'Jardin', 'association', 'j@jardin.test', 'active', '2026-01-01T00:00:00Z', "
                   "'2026-01-01T00:00:00Z')",
            now;
        session
            << "INSERT INTO services (id, association_id, name, template, state, vcpus, memory_mib, "
               "disk_gib, host_port, endpoint, created_at, updated_at) VALUES (?, 'asso_v14', 'site', "
               "'website', 'active', 1, 128, 1, 21050, 'http://127.0.0.1:21050/', '2026-01-01T00:00:00Z', "
               "'2026-01-01T00:00:00Z')",
            use(serviceId), now;
    });
    ApiClient admin = d.staffClient("admin@chatons.test");
    const auto r = admin.get("/api/v1/services/" + serviceId);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto ports = r.json()->getArray("ports");
    ASSERT_EQ(ports->size(), 1u) << r.body;
    EXPECT_EQ(ports->getObject(0)->getValue<std::string>("name"), "http");
    EXPECT_EQ(ports->getObject(0)->getValue<int>("guest_port"), 80);
    EXPECT_EQ(ports->getObject(0)->getValue<int>("host_port"), 21050);

    // Its port is held in service_ports (no new service can take it), and the service keeps its
    // endpoint. (The reconciler has meanwhile tried to recreate its guest, which the test driver
    // cannot do: the API shows the endpoint of an active service only.)
    auto s = d.daemon().database().session();
    int taken = -1;
    std::string endpoint;
    int hostPort = 0;
    s << "SELECT COUNT(*) FROM service_ports WHERE host_port = 21050", into(taken), now;
    s << "SELECT endpoint, host_port FROM services WHERE id = ?", use(serviceId), into(endpoint),
        into(hostPort), now;
    EXPECT_EQ(taken, 1);
    EXPECT_EQ(endpoint, "http://127.0.0.1:21050/");
    EXPECT_EQ(hostPort, 21050);
}
