#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"

#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

using namespace chatiere::testing;

namespace {

int freePort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

}  // namespace

TEST(DaemonLifecycle, RestartKeepsAllData) {
    TestDaemon d;
    ApiClient admin = d.staffClient("admin@chatons.test");
    const auto [id, user] = d.signup("Les Amis du Jardin", "camille@jardin.test");
    (void)user;
    ASSERT_EQ(admin.post("/api/v1/plans", R"({"slug": "p1", "name": "P1", "prices": []})").status, 201);
    const std::string token = admin.token();
    d.restart();  // on another port: http.port is 0
    ApiClient again = d.login("admin@chatons.test", "correct horse battery");
    EXPECT_EQ(again.get("/api/v1/associations/" + id).status, 200);
    EXPECT_EQ(d.client().get("/api/v1/plans").json()->getArray("plans")->size(), 1u);
    // Sessions survive a restart too.
    ApiClient sameSession = d.client();
    sameSession.setToken(token);
    EXPECT_EQ(sameSession.get("/api/v1/me").status, 200);
}

// Daemon::open() builds the services without serving or starting anything in the background; one
// billing run or one usage collection then runs in-process, as the daemon's periodic tasks do (the
// billing crash test and the benches use this instead of the private headers).
TEST(DaemonLifecycle, AnOpenedDaemonRunsOneBillingRunOrCollectionWithoutServing) {
    using chatiere::manager::Daemon;
    using chatiere::manager::Error;
    using chatiere::manager::ErrorKind;
    TestDaemon d([](chatiere::manager::Settings& s) {
        s.sessionTtlHours = 24 * 365;
        s.billing.runIntervalSeconds = 86400;
    });
    d.clock().set(chatiere::manager::parseTime("2027-01-10T09:00:00Z").value());
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin
                  .post("/api/v1/plans", R"({"slug": "asso-web", "name": "Site", "templates": ["website"],
        "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
        "quotas": {"services": {"included": 1, "limit": 1}, "disk_gib": {"included": 1, "limit": 1}}})")
                  .status,
              201);
    const std::string a = d.approvedAssociation(admin, "Jardin", "m@jardin.test", "asso-web");
    const auto subscribed = admin.post("/api/v1/associations/" + a + "/subscriptions",
                                       R"({"plan": "asso-web", "interval": "month"})");
    ASSERT_EQ(subscribed.status, 201) << subscribed.body;
    const auto invoices = [&] {
        return admin.get("/api/v1/invoices?association=" + a).json()->getArray("invoices")->size();
    };
    ASSERT_EQ(invoices(), 1u);  // January's, at the subscription
    d.stop();

    Daemon opened(d.settings(), d.externals());
    EXPECT_THROW(opened.runBilling(), Error);  // not open yet
    opened.open();
    opened.open();                // idempotent
    EXPECT_EQ(opened.port(), 0);  // not listening
    // It holds the database as a started daemon does.
    Daemon second(d.settings(), d.externals());
    EXPECT_THROW(second.open(), Error);

    // A month later: February's invoice, once.
    d.clock().set(chatiere::manager::parseTime("2027-02-10T09:00:00Z").value());
    const auto run = opened.runBilling();
    EXPECT_EQ(run.asOf, "2027-02-10");
    EXPECT_EQ(run.invoices, 1);
    EXPECT_EQ(run.totalCents, 1000);
    EXPECT_EQ(opened.runBilling().invoices, 0);
    EXPECT_EQ(opened.runBilling("2027-01-31").asOf, "2027-01-31");
    try {
        opened.runBilling("2027-03-01");  // after today: refused as POST /api/v1/billing/run refuses it
        FAIL() << "a run ahead of today must be refused";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Validation);
    }

    // One collection: an active service (planted: guests of the test driver do not boot) gets its
    // sample, without the figures of its guest, which is missing.
    {
        auto s = opened.database().session();
        s.execute(
            "INSERT INTO services (id, association_id, name, template, state, suspended_for, vcpus, "
            "memory_mib, disk_gib, host_port, created_at, updated_at) VALUES ('svc_planted', ?, 'site', "
            "'website', 'active', '', 1, 128, 1, 21050, '2027-01-10T09:00:00Z', '2027-01-10T09:00:00Z')",
            a);
    }
    const auto collected = opened.collectUsageOnce();
    EXPECT_EQ(collected.samples, 1);
    EXPECT_EQ(collected.missingGuests, 1);
    {
        auto s = opened.database().session();
        EXPECT_EQ(s.integer("SELECT COUNT(*) FROM usage_samples WHERE service_id = 'svc_planted' AND "
                            "memory_kib IS NULL"),
                  1);
    }
    opened.stop();

    // Served again, the daemon shows what the opened one did.
    d.start();
    admin = d.login("admin@chatons.test", "correct horse battery");
    EXPECT_EQ(invoices(), 2u);
}

TEST(DaemonLifecycle, SecondDaemonOnTheSameDatabaseIsRefused) {
    TestDaemon d;
    chatiere::manager::Daemon second(d.settings(), d.externals());
    try {
        second.start();
        FAIL() << "a second daemon must not start";
    } catch (const chatiere::manager::Error& e) {
        EXPECT_EQ(e.code(), "already_running");
    }
    // The real command says so and exits with a code of its own.
    const auto result = runChatiere({"serve", "--config", d.configPath()});
    EXPECT_EQ(result.exitCode, 75);
    EXPECT_NE(result.err.find("already running"), std::string::npos) << result.err;
    // The first one is unharmed.
    EXPECT_EQ(d.client().get("/healthz").status, 200);
}

TEST(DaemonLifecycle, ServeStopsCleanlyOnSigtermAndKeepsItsData) {
    TempDir dir;
    const std::string config = (dir.path() / "c.properties").string();
    std::ofstream(config) << "http.port = 0\n"
                          << "db.path = " << (dir.path() / "c.db").string() << "\n"
                          << "web.dir = " << CHATIERE_SOURCE_DIR << "/web-admin\n"
                          << "templates.dir = " << CHATIERE_SOURCE_DIR << "/templates\n"
                          << "libvirt.uri = test:///default\n"
                          << "smtp.port = " << freePort() << "\n";
    for (int round = 0; round < 2; ++round) {
        Poco::Pipe out;
        Poco::ProcessHandle handle =
            Poco::Process::launch(CHATIERE_BINARY, {"serve", "--config", config}, nullptr, &out, nullptr);
        Poco::PipeInputStream stream(out);
        std::string line;
        std::getline(stream, line);
        std::smatch m;
        ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(:(\d+)$)"))) << line;
        ApiClient client(std::stoi(m[1]));
        EXPECT_EQ(client.get("/healthz").status, 200);
        if (round == 0) {
            const auto r = client.post("/api/v1/signup", R"({"association": {"name": "A", "kind": "other",
                "email": "a@a.test"}, "manager": {"name": "M", "email": "m@a.test",
                "password": "correct horse battery"}, "accept_terms": true})");
            EXPECT_EQ(r.status, 201);
        } else {
            const auto r = client.post("/api/v1/sessions",
                                       R"({"email": "m@a.test", "password": "correct horse battery"})");
            EXPECT_EQ(r.status, 201) << "the account made before the restart is still there";
        }
        ::kill(handle.id(), SIGTERM);
        EXPECT_EQ(handle.wait(), 0);
    }
}

TEST(DaemonLifecycle, SmtpDownDuringSignupThenBackSendsEachMailOnce) {
    const int smtpPort = freePort();
    TestDaemon d([smtpPort](auto& s) { s.smtp.port = smtpPort; }, /*startSink=*/false);
    d.signup("Les Amis du Jardin", "camille@jardin.test");
    auto& worker = d.daemon().outboxWorker();
    EXPECT_EQ(worker.deliverDue(), 0);  // SMTP is down
    auto counts = worker.counts();
    EXPECT_EQ(counts.pending, 1);
    EXPECT_EQ(counts.sent, 0);

    SmtpSink sink(d.dir() / "late-mail", smtpPort);
    EXPECT_EQ(worker.deliverDue(), 0) << "not due again before its backoff";
    d.clock().advance(std::chrono::minutes(2));
    worker.wake();
    const auto mails = sink.waitForMessages(1);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_NE(mails[0].to.find("camille@jardin.test"), std::string::npos);
    // Let the worker record the send before jumping the clock past its claim's lease.
    eventually([&] { return worker.counts().sent > 0; }, std::chrono::seconds(10),
               std::chrono::milliseconds(10));
    d.clock().advance(std::chrono::hours(2));
    EXPECT_EQ(worker.deliverDue(), 0);
    counts = worker.counts();
    EXPECT_EQ(counts.pending, 0);
    EXPECT_EQ(counts.sent, 1);
    EXPECT_EQ(sink.messages().size(), 1u);
}

TEST(Cli, AdminCreateAndListAndTheirErrors) {
    TestDaemon d;
    const std::string config = d.configPath();
    auto r = runChatiere({"admin", "create", "--email", "Tresorier@chatons.test", "--role", "treasurer",
                          "--name", "Dominique", "--config", config},
                         "correct horse battery\n");
    EXPECT_EQ(r.exitCode, 0) << r.err;
    r = runChatiere({"admin", "create", "--email", "tresorier@CHATONS.test", "--config", config},
                    "correct horse battery\n");
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_NE(r.err.find("already uses"), std::string::npos) << r.err;
    r = runChatiere({"admin", "create", "--email", "x@chatons.test", "--config", config}, "short\n");
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_NE(r.err.find("password"), std::string::npos) << r.err;
    r = runChatiere({"admin", "create", "--email", "x@chatons.test", "--role", "king", "--config", config},
                    "");
    EXPECT_EQ(r.exitCode, 64);
    r = runChatiere({"admin", "list", "--config", config});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_NE(r.out.find("treasurer\tTresorier@chatons.test\tDominique"), std::string::npos) << r.out;
    // The password never shows in the process's arguments: there is no option for it.
    r = runChatiere({"admin", "create", "--email", "y@chatons.test", "--password", "x", "--config", config});
    EXPECT_EQ(r.exitCode, 64);
}

TEST(Cli, ConfigurationAndUsageErrorsAreNamed) {
    TempDir dir;
    const std::string config = (dir.path() / "bad.properties").string();
    std::ofstream(config) << "http.prot = 8080\n";
    auto r = runChatiere({"migrate", "--config", config});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_NE(r.err.find("http.prot"), std::string::npos) << r.err;
    std::ofstream(config) << "http.port = lots\n";
    r = runChatiere({"serve", "--config", config});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_NE(r.err.find("http.port"), std::string::npos) << r.err;
    r = runChatiere({"migrate", "--config", (dir.path() / "missing.properties").string()});
    EXPECT_EQ(r.exitCode, 78);
    r = runChatiere({"frobnicate"});
    EXPECT_EQ(r.exitCode, 64);
    for (const auto& command : {"serve", "migrate", "admin"}) {
        r = runChatiere({command, "--help"});
        EXPECT_EQ(r.exitCode, 0) << command;
        EXPECT_NE(r.out.find("Usage: chatiere"), std::string::npos) << command;
    }
    r = runChatiere({"--version"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out.rfind("chatiere ", 0), 0u);
}

TEST(Cli, MigrateCreatesThenIsANoOp) {
    TempDir dir;
    const std::string config = (dir.path() / "c.properties").string();
    std::ofstream(config) << "db.path = " << (dir.path() / "sub" / "c.db").string() << "\n";
    std::filesystem::create_directories(dir.path() / "sub");
    auto r = runChatiere({"migrate", "--config", config});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const std::string latest = std::to_string(chatiere::manager::Database::latestSchemaVersion());
    EXPECT_NE(r.out.find("schema version " + latest + " (" + latest + " migration(s) applied)"),
              std::string::npos)
        << r.out;
    r = runChatiere({"migrate", "--config", config});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_NE(r.out.find("0 migration(s) applied"), std::string::npos) << r.out;
}

TEST(Cli, TemplatesBuildRunsTheDriverOutsideTheDaemon) {
    // The catalogue's driver and the website template, its recipe replaced by one that writes fake
    // files at once (no network): `templates build` runs templates.dir/build.sh on data.dir/images.
    TempDir dir;
    const auto source = std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates";
    std::filesystem::copy(source / "website", dir.path() / "website");
    std::filesystem::copy(source / "build.sh", dir.path() / "build.sh");
    const auto recipe = dir.path() / "website" / "build-image.sh";
    std::ofstream(recipe) << "echo 'fake recipe speaking'\n"
                             "echo kernel > \"$1/vmlinuz\"; echo initrd > \"$1/initrd.img\"\n"
                             "echo 'busybox-static 1.0' > \"$1/packages.txt\"\n";
    const std::string config = (dir.path() / "c.properties").string();
    std::ofstream(config) << "db.path = " << (dir.path() / "c.db").string() << "\n"
                          << "data.dir = " << dir.path().string() << "\n"
                          << "templates.dir = " << dir.path().string() << "\n";
    auto r = runChatiere({"templates", "build", "--config", config});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("fake recipe speaking"), std::string::npos) << r.out;
    const auto current = dir.path() / "images" / "website" / "current";
    ASSERT_TRUE(std::filesystem::is_regular_file(current / "vmlinuz")) << r.out << r.err;
    const std::string key = std::filesystem::read_symlink(current).string();
    r = runChatiere({"templates", "list", "--config", config});
    EXPECT_NE(r.out.find("website\twebsite\tSite web\timage " + key), std::string::npos) << r.out;
    r = runChatiere({"templates", "status", "--config", config});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("website      " + key), std::string::npos) << r.out;
    // Nothing changed: nothing runs.
    r = runChatiere({"templates", "build", "website", "--config", config});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out.find("fake recipe speaking"), std::string::npos) << r.out;

    // A failing recipe: the CLI fails with its output, the current build stays.
    std::ofstream(recipe) << "echo 'no network today'; exit 2\n";
    r = runChatiere({"templates", "build", "website", "--config", config});
    EXPECT_EQ(r.exitCode, 70);
    EXPECT_NE((r.out + r.err).find("no network today"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(std::filesystem::read_symlink(current).string(), key);
    r = runChatiere({"templates", "build", "--force", "--all", "nosuch", "--config", config});
    EXPECT_EQ(r.exitCode, 66);
    r = runChatiere({"templates", "status", "--force", "--config", config});
    EXPECT_EQ(r.exitCode, 64) << "--force is build's, not status's";
}

TEST(Cli, TemplatesAreListedAndABrokenOneStopsTheStart) {
    TempDir dir;
    std::filesystem::copy(std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates" / "website",
                          dir.path() / "website");
    const std::string config = (dir.path() / "c.properties").string();
    std::ofstream(config) << "db.path = " << (dir.path() / "c.db").string() << "\n"
                          << "data.dir = " << dir.path().string() << "\n"
                          << "templates.dir = " << dir.path().string() << "\n";
    auto r = runChatiere({"templates", "list", "--config", config});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("website\twebsite\tSite web\timage not built"), std::string::npos) << r.out;
    r = runChatiere({"templates", "build", "wordpress", "--config", config});
    EXPECT_EQ(r.exitCode, 66);

    // A syntax error in a manifest: the command and the daemon refuse, naming the file.
    std::ofstream(dir.path() / "website" / "template.json") << "{\"name\": \"website\",";
    r = runChatiere({"templates", "list", "--config", config});
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_NE(r.err.find("website/template.json"), std::string::npos) << r.err;
    TestDaemon d;
    auto settings = d.settings();
    settings.templatesDir = dir.path().string();
    settings.dbPath = (dir.path() / "other.db").string();
    chatiere::manager::Daemon broken(settings, d.externals());
    try {
        broken.start();
        FAIL() << "a broken catalogue must stop the start";
    } catch (const chatiere::manager::Error& e) {
        EXPECT_NE(std::string(e.what()).find("website/template.json"), std::string::npos) << e.what();
    }
}
