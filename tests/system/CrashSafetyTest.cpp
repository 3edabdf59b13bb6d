// The daemon killed with SIGKILL in the middle of provisioning jobs, then restarted: each job
// resumes from its last recorded step and completes, and no guest or volume is left behind.

#include "Eventually.h"
#include "SystemGuests.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <thread>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

class Server {
public:
    explicit Server(const std::string& config) {
        Poco::Pipe out;
        handle_ = std::make_unique<Poco::ProcessHandle>(
            Poco::Process::launch(CHATIERE_BINARY, {"serve", "--config", config}, nullptr, &out, nullptr));
        Poco::PipeInputStream stream(out);
        std::string line;
        std::getline(stream, line);
        std::smatch m;
        if (!std::regex_search(line, m, std::regex(R"(:(\d+)$)"))) {
            throw std::runtime_error("the daemon did not start: " + line);
        }
        port_ = std::stoi(m[1]);
    }
    ~Server() {
        if (handle_) {
            ::kill(handle_->id(), SIGTERM);
            handle_->wait();
        }
    }
    void crash() {
        ::kill(handle_->id(), SIGKILL);
        handle_->wait();
        handle_.reset();
    }
    int port() const { return port_; }

private:
    std::unique_ptr<Poco::ProcessHandle> handle_;
    int port_ = 0;
};

}  // namespace

TEST(CrashSafety, KilledMidJobTheDaemonFinishesAfterARestartAndLeavesNoOrphan) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    chatiere::provisioning::LibvirtHypervisor hypervisor(kSystemUri);
    TempDir dir;
    const std::string pool = "chatiere-crash-" + dir.path().filename().string().substr(12);
    std::filesystem::create_directories(kImageCache);
    std::filesystem::create_directory_symlink(kImageCache, dir.path() / "images");
    const std::string config = (dir.path() / "c.properties").string();
    std::ofstream(config) << "http.port = 0\n"
                          << "db.path = " << (dir.path() / "c.db").string() << "\n"
                          << "data.dir = " << dir.path().string() << "\n"
                          << "web.dir = " << CHATIERE_SOURCE_DIR << "/web-admin\n"
                          << "templates.dir = " << CHATIERE_SOURCE_DIR << "/templates\n"
                          << "libvirt.domain_type = qemu\n"
                          << "libvirt.pool = " << pool << "\n"
                          << "ports.first = 22200\nports.last = 22299\n"
                          << "smtp.port = 1\n"
                          << "provisioning.reconcile_interval_seconds = 2\n";
    ASSERT_EQ(runChatiere({"admin", "create", "--email", "admin@chatons.test", "--config", config},
                          "correct horse battery\n")
                  .exitCode,
              0);
    chatiere::manager::Database db((dir.path() / "c.db").string(), 2);
    const auto jobStep = [&db](const std::string& kind) {
        auto s = db.session();
        std::vector<int> steps;
        s << "SELECT step FROM jobs WHERE kind = ? AND status = 'pending'", bind(kind), into(steps), now;
        return steps.empty() ? -1 : steps.front();
    };

    auto server = std::make_unique<Server>(config);
    ApiClient admin(server->port());
    auto login = admin.post("/api/v1/sessions",
                            R"({"email": "admin@chatons.test", "password": "correct horse battery"})");
    admin.setToken(login.json()->getValue<std::string>("token"));
    ASSERT_EQ(
        admin.post("/api/v1/plans", R"({"slug": "web", "name": "Web", "free": true, "prices": []})").status,
        201);
    const auto signup =
        admin.post("/api/v1/signup", R"({"association": {"name": "Jardin", "kind": "association",
        "email": "j@jardin.test"}, "manager": {"name": "M", "email": "m@jardin.test",
        "password": "correct horse battery"}, "plan": "web", "accept_terms": true})");
    const std::string association = signup.json()->getObject("association")->getValue<std::string>("id");
    ASSERT_EQ(admin.post("/api/v1/associations/" + association + "/approve", "{}").status, 200);
    const std::string instance = db.instanceId();

    // Kill it at each step of a create (as soon as that step is recorded), restart, and let it finish.
    std::vector<std::string> ids;
    for (int killAt = 1; killAt <= 5; ++killAt) {
        SCOPED_TRACE("killed at create step " + std::to_string(killAt));
        const auto created =
            admin.post("/api/v1/associations/" + association + "/services",
                       R"({"template": "website", "name": "site)" + std::to_string(killAt) + R"("})");
        ASSERT_EQ(created.status, 202) << created.body;
        const std::string id = created.json()->getValue<std::string>("id");
        ids.push_back(id);
        EXPECT_TRUE(eventually([&] { return jobStep("create") >= killAt || jobStep("create") == -1; },
                               std::chrono::seconds(120)));
        server->crash();
        server = std::make_unique<Server>(config);
        admin = ApiClient(server->port());
        admin.setToken(login.json()->getValue<std::string>("token"));
        ApiResponse service;
        EXPECT_TRUE(eventually(
            [&] {
                service = admin.get("/api/v1/services/" + id);
                return service.json()->getValue<std::string>("state") == "active";
            },
            std::chrono::seconds(180)))
            << service.body;
    }
    EXPECT_EQ(hypervisor.listOwned(instance).size(), ids.size());

    // Kill it in the middle of the deletions too.
    for (const auto& id : ids) {
        ASSERT_EQ(admin.del("/api/v1/services/" + id).status, 202);
    }
    EXPECT_TRUE(eventually([&] { return hypervisor.listOwned(instance).size() < ids.size(); },
                           std::chrono::seconds(60)));
    server->crash();
    server = std::make_unique<Server>(config);
    admin = ApiClient(server->port());
    admin.setToken(login.json()->getValue<std::string>("token"));
    EXPECT_TRUE(eventually(
        [&] {
            for (const auto& id : ids) {
                if (admin.get("/api/v1/services/" + id).status != 404) {
                    return false;
                }
            }
            return true;
        },
        std::chrono::seconds(120)));
    EXPECT_TRUE(hypervisor.listOwned(instance).empty()) << "no orphan guest";
    for (const auto& id : ids) {
        EXPECT_EQ(hypervisor.volume(pool, "chatiere-" + instance + "-" + id + ".img"), std::nullopt)
            << "no orphan volume";
    }
    server.reset();
    removePool(pool);
}
