// The daemon killed in the middle of provisioning jobs, then restarted: each job resumes from its
// last recorded step and completes (or, for a content replacement or a resize, is undone), the
// site is served all along its jobs' ends, and no guest or volume is left behind. The kills are
// deterministic: the daemon's test hook CHATIERE_TEST_KILL_AT=<job kind>:<step> makes it exit
// (137, as if SIGKILLed) before it runs that step; each test records the steps it killed at and
// asserts that it covered them all.

#include "Eventually.h"
#include "SystemGuests.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Totp.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <functional>
#include <regex>
#include <thread>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

class Server {
public:
    // killAt: the test hook's value (CHATIERE_TEST_KILL_AT), empty for none.
    explicit Server(const std::string& config, const std::string& killAt = "") {
        Poco::Pipe out;
        Poco::Process::Env env;
        if (!killAt.empty()) {
            env["CHATIERE_TEST_KILL_AT"] = killAt;
        }
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(
            CHATIERE_BINARY, {"serve", "--config", config}, nullptr, &out, nullptr, env));
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
    // Whether the daemon ended by the test hook (exit status 137); reaps it if it has ended.
    bool killedByHook() {
        if (!handle_) {
            return exitStatus_ == 137;
        }
        int status = 0;
        if (::waitpid(handle_->id(), &status, WNOHANG) != handle_->id()) {
            return false;
        }
        handle_.reset();
        exitStatus_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exitStatus_ == 137;
    }
    int port() const { return port_; }

private:
    std::unique_ptr<Poco::ProcessHandle> handle_;
    int port_ = 0;
    int exitStatus_ = 0;
};

// A request that queues a job, sent to a daemon with the test hook: the daemon may exit as the job
// starts, before its answer is written. Then there is no answer (nullopt); the job was committed
// before, and what the test checks after the restart is what it did.
std::optional<ApiResponse> sendToHookedDaemon(const std::function<ApiResponse()>& send) {
    try {
        return send();
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

std::string writeConfig(const TempDir& dir, const std::string& pool, int portsFirst, int portsLast) {
    std::filesystem::create_directories(kImageCache);
    std::filesystem::create_directory_symlink(kImageCache, dir.path() / "images");
    ensureTestImages();
    const std::string config = (dir.path() / "c.properties").string();
    std::ofstream(config) << "http.port = 0\n"
                          << "db.path = " << (dir.path() / "c.db").string() << "\n"
                          << "data.dir = " << dir.path().string() << "\n"
                          << "web.dir = " << CHATIERE_SOURCE_DIR << "/web-admin\n"
                          << "templates.dir = " << CHATIERE_SOURCE_DIR << "/templates\n"
                          << "libvirt.domain_type = qemu\n"
                          << "libvirt.pool = " << pool << "\n"
                          << "ports.first = " << portsFirst << "\nports.last = " << portsLast << "\n"
                          << "smtp.port = 1\n"
                          << "provisioning.reconcile_interval_seconds = 2\n";
    return config;
}

// Staff need a second factor before anything else (auth.require_totp_for_staff): enrols the
// signed-in admin, with the code of the daemon's (real) clock.
void enrolSecondFactor(const ApiClient& admin) {
    const auto begun = admin.post("/api/v1/me/totp", "{}");
    ASSERT_EQ(begun.status, 201) << begun.body;
    const std::string secret = begun.json()->getValue<std::string>("secret");
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    const auto confirmed =
        admin.post("/api/v1/me/totp/confirm",
                   R"({"code": ")" + *chatiere::manager::totpCode(secret, now.count()) + "\"}");
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
}

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
    ensureTestImages();
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
    // The step a pending job of this kind is at (its name since schema v13), empty for none.
    const auto jobStep = [&db](const std::string& kind) {
        auto s = db.session();
        std::vector<std::string> steps;
        s << "SELECT step FROM jobs WHERE kind = ? AND status = 'pending'", bind(kind), into(steps), now;
        return steps.empty() ? std::string() : steps.front();
    };

    auto server = std::make_unique<Server>(config);
    ApiClient admin(server->port());
    auto login = admin.post("/api/v1/sessions",
                            R"({"email": "admin@chatons.test", "password": "correct horse battery"})");
    admin.setToken(login.json()->getValue<std::string>("token"));
    ASSERT_NO_FATAL_FAILURE(enrolSecondFactor(admin));
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

    // Kill it before each step of a create, restart, and let it finish.
    std::vector<std::string> ids;
    std::vector<std::string> killedAt;
    for (int step = 0; step <= 5; ++step) {
        const std::string killAt = "create:" + std::to_string(step);
        SCOPED_TRACE(killAt);
        server.reset();  // one daemon at a time on the database
        server = std::make_unique<Server>(config, killAt);
        admin = ApiClient(server->port());
        admin.setToken(login.json()->getValue<std::string>("token"));
        const std::string name = "site" + std::to_string(step);
        const auto created = sendToHookedDaemon([&] {
            return admin.post("/api/v1/associations/" + association + "/services",
                              R"({"template": "website", "name": ")" + name + R"("})");
        });
        if (created) {
            ASSERT_EQ(created->status, 202) << created->body;
        }
        std::vector<std::string> found;
        {
            auto s = db.session();
            s << "SELECT id FROM services WHERE name = ?", bind(name), into(found), now;
        }
        ASSERT_EQ(found.size(), 1u) << "the service was not created";
        const std::string id = found.front();
        ids.push_back(id);
        if (eventually([&] { return server->killedByHook(); }, std::chrono::seconds(240))) {
            killedAt.push_back(killAt);
        }
        EXPECT_NE(jobStep("create"), "") << "killed with its job unfinished";
        server.reset();  // one daemon at a time on the database
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
    EXPECT_EQ(killedAt, (std::vector<std::string>{"create:0", "create:1", "create:2", "create:3", "create:4",
                                                  "create:5"}))
        << "the daemon was killed at every step";
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

TEST(CrashSafety, KilledAtEveryStepOfAContentReplacementOrAResizeTheSiteIsNeverLost) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    chatiere::provisioning::LibvirtHypervisor hypervisor(kSystemUri);
    TempDir dir;
    const std::string pool = "chatiere-swap-" + dir.path().filename().string().substr(12);
    const std::string config = writeConfig(dir, pool, 22300, 22399);
    ASSERT_EQ(runChatiere({"admin", "create", "--email", "admin@chatons.test", "--config", config},
                          "correct horse battery\n")
                  .exitCode,
              0);
    chatiere::manager::Database db((dir.path() / "c.db").string(), 2);
    const auto pendingJobs = [&db] {
        auto s = db.session();
        int n = 0;
        s << "SELECT COUNT(*) FROM jobs WHERE status = 'pending'", into(n), now;
        return n;
    };

    auto server = std::make_unique<Server>(config);
    ApiClient admin(server->port());
    const std::string token =
        admin
            .post("/api/v1/sessions",
                  R"({"email": "admin@chatons.test", "password": "correct horse battery"})")
            .json()
            ->getValue<std::string>("token");
    admin.setToken(token);
    ASSERT_NO_FATAL_FAILURE(enrolSecondFactor(admin));
    ASSERT_EQ(
        admin.post("/api/v1/plans", R"({"slug": "web", "name": "Web", "free": true, "prices": []})").status,
        201);
    const auto signup =
        admin.post("/api/v1/signup", R"({"association": {"name": "Jardin", "kind": "association",
        "email": "j@jardin.test"}, "manager": {"name": "M", "email": "m@jardin.test",
        "password": "correct horse battery"}, "plan": "web", "accept_terms": true})");
    const std::string association = signup.json()->getObject("association")->getValue<std::string>("id");
    ASSERT_EQ(admin.post("/api/v1/associations/" + association + "/approve", "{}").status, 200);
    const auto created = admin.post("/api/v1/associations/" + association + "/services",
                                    R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    const auto service = [&] { return admin.get("/api/v1/services/" + id).json(); };
    ASSERT_TRUE(eventually([&] { return service()->getValue<std::string>("state") == "active"; },
                           std::chrono::seconds(240)))
        << admin.get("/api/v1/services/" + id).body;
    const std::string endpoint = service()->getValue<std::string>("endpoint");
    const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
    std::string served;
    ASSERT_TRUE(eventually([&] { return page(port).has_value(); }, std::chrono::seconds(60)));
    served = *page(port);

    const std::string prefix = "chatiere-" + db.instanceId() + "-" + id + ".";
    const auto volumesOfService = [&] {
        std::vector<std::string> out;
        for (const auto& v : hypervisor.volumes(pool)) {
            if (v.name.rfind(prefix, 0) == 0) {
                out.push_back(v.name);
            }
        }
        return out;
    };
    // Restarted without the hook: the job ends (done or undone), the service is active and its
    // site answers with the old or the new content, on one volume.
    const auto restartAndCheck = [&](const std::string& before, const std::string& after) {
        server.reset();  // one daemon at a time on the database
        server = std::make_unique<Server>(config);
        admin = ApiClient(server->port());
        admin.setToken(token);
        EXPECT_TRUE(eventually([&] { return pendingJobs() == 0; }, std::chrono::seconds(300)))
            << "the job did not end";
        EXPECT_EQ(service()->getValue<std::string>("state"), "active")
            << admin.get("/api/v1/services/" + id).body;
        std::optional<std::string> answer;
        EXPECT_TRUE(eventually(
            [&] {
                answer = page(port);
                return answer.has_value();
            },
            std::chrono::seconds(120)))
            << "the site is not served";
        EXPECT_TRUE(answer && (*answer == before || *answer == after)) << answer.value_or("(nothing)");
        EXPECT_EQ(volumesOfService().size(), 1u) << "a volume is left behind";
        return answer.value_or(before);
    };
    const auto startWithHook = [&](const std::string& killAt) {
        server.reset();  // one daemon at a time on the database
        server = std::make_unique<Server>(config, killAt);
        admin = ApiClient(server->port());
        admin.setToken(token);
    };
    std::vector<std::string> killedAt;

    // A content replacement killed before each of its steps: write the new volume, move the
    // guest onto it, wait for its health, record it as current, delete the old volume.
    for (int step = 0; step <= 4; ++step) {
        const std::string killAt = "replace_content:" + std::to_string(step);
        SCOPED_TRACE(killAt);
        startWithHook(killAt);
        const std::string html = "<h1>Version " + std::to_string(step) + "</h1>";
        const auto uploaded = sendToHookedDaemon([&] {
            return admin.request("PUT", "/api/v1/services/" + id + "/content",
                                 chatiere::provisioning::makeTar({{"index.html", html}}),
                                 "application/x-tar");
        });
        if (uploaded) {
            ASSERT_EQ(uploaded->status, 202) << uploaded->body;
        }
        if (eventually([&] { return server->killedByHook(); }, std::chrono::seconds(240))) {
            killedAt.push_back(killAt);
        }
        served = restartAndCheck(served, html);
    }
    EXPECT_EQ(served, "<h1>Version 4</h1>") << "the last replacement, killed at its last step, finished";

    // A resize killed before each of its steps: stop the guest, grow the volume, start it with its
    // new resources, wait for its health.
    for (int step = 0; step <= 3; ++step) {
        const std::string killAt = "resize:" + std::to_string(step);
        SCOPED_TRACE(killAt);
        ASSERT_TRUE(eventually([&] { return service()->getValue<std::string>("state") == "active"; },
                               std::chrono::seconds(60)));
        startWithHook(killAt);
        const auto resized = sendToHookedDaemon([&] {
            return admin.request("PATCH", "/api/v1/services/" + id,
                                 R"({"memory_mib": )" + std::to_string(160 + 32 * step) +
                                     R"(, "disk_gib": )" + std::to_string(2 + step) + "}");
        });
        if (resized) {
            ASSERT_EQ(resized->status, 202) << resized->body;
        }
        if (eventually([&] { return server->killedByHook(); }, std::chrono::seconds(240))) {
            killedAt.push_back(killAt);
        }
        served = restartAndCheck(served, served);
        EXPECT_EQ(service()->getObject("resources")->getValue<int>("memory_mib"), 160 + 32 * step)
            << "the resize finished";
    }

    // The pool refuses writes for real (its directory made immutable): the upload fails, is retried,
    // then undone (the daemon killed before the undo, too); the old site stays served, the service
    // active with the failure as its last error.
    {
        const std::string killAt = "replace_content:100";
        SCOPED_TRACE(killAt);
        const std::string volumes = (dir.path() / "volumes").string();
        ASSERT_EQ(std::system(("chattr +i " + volumes).c_str()), 0);
        startWithHook(killAt);
        const auto uploaded = sendToHookedDaemon([&] {
            return admin.request("PUT", "/api/v1/services/" + id + "/content",
                                 chatiere::provisioning::makeTar({{"index.html", "<h1>Refused</h1>"}}),
                                 "application/x-tar");
        });
        if (uploaded) {
            ASSERT_EQ(uploaded->status, 202) << uploaded->body;
        }
        if (eventually([&] { return server->killedByHook(); }, std::chrono::seconds(240))) {
            killedAt.push_back(killAt);
        }
        served = restartAndCheck(served, served);
        std::system(("chattr -i " + volumes).c_str());
        const auto after = service();
        ASSERT_TRUE(after->has("last_error") && !after->isNull("last_error"))
            << admin.get("/api/v1/services/" + id).body;
        EXPECT_NE(after->getValue<std::string>("last_error").find("could not be published"),
                  std::string::npos);
        EXPECT_EQ(served, "<h1>Version 4</h1>");
        const auto audit = admin.get("/api/v1/audit?action=service.replace_content_rolled_back");
        EXPECT_EQ(audit.json()->getArray("entries")->size(), 1u) << audit.body;
    }

    EXPECT_EQ(killedAt,
              (std::vector<std::string>{"replace_content:0", "replace_content:1", "replace_content:2",
                                        "replace_content:3", "replace_content:4", "resize:0", "resize:1",
                                        "resize:2", "resize:3", "replace_content:100"}))
        << "the daemon was killed at every step";

    ASSERT_EQ(admin.del("/api/v1/services/" + id).status, 202);
    EXPECT_TRUE(eventually([&] { return volumesOfService().empty(); }, std::chrono::seconds(120)));
    server.reset();
    removePool(pool);
}
