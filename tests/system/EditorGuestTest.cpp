// An editor service (Etherpad on the Debian appliance) as a real QEMU guest on the local libvirtd:
// it boots and answers, pads are created through Chatière and read back from Etherpad itself, the
// text survives a restart of the guest onto a rebuilt image (a rollout) and its recreation by the
// reconciler, it pauses and resumes,
// its pads are in the association's export, and it leaves nothing behind. One guest for the whole
// story: under QEMU without KVM each boot of Etherpad costs about two minutes.

#include "Eventually.h"
#include "Pebble.h"
#include "SystemGuests.h"
#include "TestDaemon.h"
#include "Unzip.h"

#include "chatiere/manager/Database.h"

#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <map>
#include <sstream>

using namespace chatiere::testing;

namespace {

constexpr auto kBoot = std::chrono::seconds(300);
const std::string kText = "Compte rendu de la réunion : l'été à Rennes, ça avance. À bientôt !";

// Etherpad under QEMU without KVM can take seconds to answer a page.
std::optional<std::string> slowPage(int port, const std::string& path = "/") {
    return page(port, path, 20);
}

// The pad's text as Etherpad itself exports it; "" while Etherpad does not answer.
std::string exported(int port, const std::string& pad) {
    return slowPage(port, "/p/" + pad + "/export/txt").value_or("");
}

// A "rebuilt" editor image in the shared test image cache: a new build folder beside the current
// one holding hard links to its files (same content, another key; the Debian image is not built
// again), made `current`. Gone when it goes out of scope, even on a failure: `current` names the
// build it named before again (unless a real build replaced it meanwhile), and the folder is
// removed, so that later runs find the cache as it was.
class RebuiltImage {
public:
    explicit RebuiltImage(const std::string& templateName)
        : folder_(kImageCache / templateName), before_(std::filesystem::read_symlink(folder_ / "current")) {
        key_ = "feed" + std::to_string(::getpid() % 100000);
        key_.resize(16, '0');
        for (const auto& entry : std::filesystem::directory_iterator(folder_ / before_)) {
            if (!std::filesystem::exists(folder_ / key_)) {
                std::filesystem::create_directory(folder_ / key_);
            }
            std::filesystem::create_hard_link(entry.path(), folder_ / key_ / entry.path().filename());
        }
        point(key_);
    }
    ~RebuiltImage() {
        std::error_code ignored;
        if (std::filesystem::read_symlink(folder_ / "current", ignored) == key_) {
            point(before_.string());
        }
        std::filesystem::remove_all(folder_ / key_, ignored);
    }
    RebuiltImage(const RebuiltImage&) = delete;
    RebuiltImage& operator=(const RebuiltImage&) = delete;
    const std::string& key() const { return key_; }
    std::string before() const { return before_.string(); }

private:
    // `current` replaced atomically, as templates/build.sh does.
    void point(const std::string& key) {
        std::error_code ignored;
        std::filesystem::remove(folder_ / ".current-test", ignored);
        std::filesystem::create_directory_symlink(key, folder_ / ".current-test");
        std::filesystem::rename(folder_ / ".current-test", folder_ / "current");
    }
    std::filesystem::path folder_;
    std::filesystem::path before_;
    std::string key_;
};

}  // namespace

TEST(EditorGuest, PadsAreCreatedKeptExportedAndTheGuestLeavesNothingBehind) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    std::string pool;
    // The proxy in front (proxy.mode = own, self-signed: no ACME here; PublicAddressTest has it).
    const int httpsPort = freeLoopbackPort();
    TestDaemon d(
        [&pool, httpsPort](chatiere::manager::Settings& s) {
            pool = useRealGuests(s, 22200, 22299, {"editor"});
            s.publicDomain = "asso.test";
            s.proxy.mode = chatiere::manager::ProxySettings::Mode::Own;
            s.proxy.httpPort = freeLoopbackPort();
            s.proxy.httpsPort = httpsPort;
            s.proxy.publicHttpsPort = httpsPort;
            s.proxy.intervalSeconds = 2;
            s.acme.directoryUrl = "";
            s.bootTimeoutSeconds = 300;
            s.imagesAutoRollout = false;  // the admin rolls the rebuilt image out below
            s.imagesRolloutIntervalSeconds = 2;
        },
        /*startSink=*/true, /*realClock=*/true);
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(
        admin
            .post("/api/v1/plans",
                  R"({"slug": "pad", "name": "Pad", "free": true, "prices": [], "templates": ["editor"]})")
            .status,
        201);
    const std::string association =
        d.approvedAssociation(admin, "Les Amis du Jardin", "camille@jardin.test", "pad");
    ApiClient manager = d.login("camille@jardin.test", "correct horse battery");

    const auto created = manager.post("/api/v1/associations/" + association + "/services",
                                      R"({"template": "editor", "name": "pads"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    const std::string domain = "chatiere-" + d.daemon().instanceId() + "-" + id;

    // The guest boots, Etherpad starts with the configuration Chatière handed over through the
    // guest agent, and passes its health check.
    ApiResponse service;
    const bool settled = eventually(
        [&] {
            service = manager.get("/api/v1/services/" + id);
            const auto state = service.json()->getValue<std::string>("state");
            return state == "active" || state == "failed";
        },
        kBoot + std::chrono::seconds(60));
    ASSERT_TRUE(settled) << service.body;
    ASSERT_EQ(service.json()->getValue<std::string>("state"), "active") << service.body;
    const std::string endpoint = service.json()->getValue<std::string>("endpoint");
    const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
    ASSERT_TRUE(slowPage(port).has_value());

    // A pad created through Chatière, with a French text, is Etherpad's: its page answers and
    // Etherpad's own export gives the text back.
    const auto pad = manager.post("/api/v1/services/" + id + "/pads",
                                  R"({"name": "compte-rendu", "text": ")" + kText + R"("})");
    ASSERT_EQ(pad.status, 201) << pad.body;
    EXPECT_EQ(pad.json()->getValue<std::string>("url"),
              "http://127.0.0.1:" + std::to_string(port) + "/p/compte-rendu");
    EXPECT_NE(slowPage(port, "/p/compte-rendu").value_or("").find("pad"), std::string::npos);
    EXPECT_NE(exported(port, "compte-rendu").find(kText), std::string::npos)
        << exported(port, "compte-rendu");
    EXPECT_EQ(manager.post("/api/v1/services/" + id + "/pads", R"({"name": "compte-rendu"})").status, 409);

    // Through the proxy, at the service's public name over HTTPS: the pad's page, its WebSocket
    // (socket.io's upgrade answered 101 by Etherpad), and never Etherpad's HTTP API.
    {
        const std::string name = "pads.les-amis-du-jardin.asso.test";
        EXPECT_EQ(service.json()->getValue<std::string>("public_url"),
                  "https://" + name + ":" + std::to_string(httpsPort) + "/");
        const auto through = [&](const std::string& path, const std::vector<std::string>& extra) {
            std::vector<std::string> args = {
                "-k",         "-s", "-i",        "--http1.1",
                "--max-time", "20", "--resolve", name + ":" + std::to_string(httpsPort) + ":127.0.0.1"};
            args.insert(args.end(), extra.begin(), extra.end());
            args.push_back("https://" + name + ":" + std::to_string(httpsPort) + path);
            return runTool("/usr/bin/curl", args).second;
        };
        std::string page;
        EXPECT_TRUE(eventually(
            [&] {
                page = through("/p/compte-rendu", {});
                return page.rfind("HTTP/1.1 200", 0) == 0;
            },
            std::chrono::seconds(60)))
            << page;
        EXPECT_NE(page.find("pad"), std::string::npos);
        const std::string upgrade =
            through("/socket.io/?EIO=3&transport=websocket",
                    {"--max-time", "5", "-N", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H",
                     "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="});
        EXPECT_EQ(upgrade.rfind("HTTP/1.1 101", 0), 0u) << upgrade;
        EXPECT_EQ(through("/api/1.2.15/listAllPads", {}).rfind("HTTP/1.1 404", 0), 0u);
        EXPECT_EQ(through("/admin/", {}).rfind("HTTP/1.1 404", 0), 0u);
    }

    // A pad address typed by hand does not create a pad (editOnly): only Chatière creates them.
    slowPage(port, "/p/tape-a-la-main");
    slowPage(port, "/p/tape-a-la-main/export/txt");
    const auto listed = manager.get("/api/v1/services/" + id + "/pads");
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto pads = listed.json()->getArray("pads");
    ASSERT_EQ(pads->size(), 1u) << listed.body;
    EXPECT_EQ(pads->getObject(0)->getValue<std::string>("name"), "compte-rendu");

    // The image is rebuilt and rolled out: the guest restarts on the new build (shut down, defined
    // again, booted, configured, healthy), with its data volume: the text is still there.
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
    {
        const auto image = [&] { return manager.get("/api/v1/services/" + id).json()->getObject("image"); };
        ASSERT_TRUE(image()->getValue<bool>("current"));
        RebuiltImage rebuilt("editor");
        ASSERT_EQ(image()->getValue<std::string>("build"), rebuilt.before());
        ASSERT_FALSE(image()->getValue<bool>("current"));
        const auto started = admin.post("/api/v1/templates/rollout", R"({"template": "editor"})");
        ASSERT_EQ(started.status, 202) << started.body;
        ASSERT_EQ(started.json()->getArray("in_progress")->size(), 1u) << started.body;
        // Done once the job ended and the daemon's task saw nothing left to roll out (before
        // `current` goes back, so that it does not roll the guest back onto it).
        std::string last;
        ASSERT_TRUE(eventually(
            [&] {
                const auto status = admin.get("/api/v1/templates/rollout");
                last = status.body;
                return status.json()->getArray("in_progress")->size() == 0 &&
                       status.json()->getArray("requested")->size() == 0;
            },
            kBoot + std::chrono::seconds(60)))
            << "the rollout did not end: " << last << "\n"
            << manager.get("/api/v1/services/" + id).body;
        const auto after = manager.get("/api/v1/services/" + id);
        EXPECT_EQ(after.json()->getValue<std::string>("state"), "active") << after.body;
        EXPECT_TRUE(after.json()->isNull("last_error")) << after.body;
        ASSERT_TRUE(image()) << after.body;
        EXPECT_EQ(image()->getValue<std::string>("build"), rebuilt.key());
        EXPECT_TRUE(image()->getValue<bool>("current"));
        EXPECT_NE(exported(port, "compte-rendu").find(kText), std::string::npos)
            << "the pad is lost after the rollout";
    }

    // Destroyed and undefined by hand: the reconciler recreates it from its data volume.
    d.hypervisor().destroy(domain);
    d.hypervisor().undefine(domain);
    EXPECT_TRUE(
        eventually([&] { return exported(port, "compte-rendu").find(kText) != std::string::npos; }, kBoot))
        << "the pad is lost after the guest's recreation";

    // Suspended: no answer. Resumed: it answers again.
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
    ASSERT_EQ(manager.post("/api/v1/services/" + id + "/suspend", "{}").status, 202);
    EXPECT_TRUE(
        eventually([&] { return d.hypervisor().state(domain) == chatiere::provisioning::GuestState::Paused; },
                   std::chrono::seconds(30)));
    EXPECT_FALSE(page(port).has_value());
    ASSERT_EQ(manager.post("/api/v1/services/" + id + "/resume", "{}").status, 202);
    EXPECT_TRUE(eventually([&] { return slowPage(port).has_value(); }, std::chrono::seconds(60)));

    // The association's export holds the pad, as text and as HTML.
    const auto exportZip = manager.get("/api/v1/associations/" + association + "/export");
    ASSERT_EQ(exportZip.status, 200) << exportZip.body;
    const auto files = unzip(exportZip.body);
    ASSERT_TRUE(files.count("services/pads/pads/compte-rendu.txt")) << "export without the pad";
    EXPECT_NE(files.at("services/pads/pads/compte-rendu.txt").find(kText), std::string::npos);
    ASSERT_TRUE(files.count("services/pads/pads/compte-rendu.html"));

    // Deleted: no domain, no volume, its ports free again.
    ASSERT_EQ(manager.del("/api/v1/services/" + id).status, 202);
    EXPECT_TRUE(eventually([&] { return manager.get("/api/v1/services/" + id).status == 404; },
                           std::chrono::seconds(120)));
    EXPECT_EQ(d.hypervisor().state(domain), std::nullopt);
    EXPECT_EQ(d.hypervisor().volume(pool, domain + ".img"), std::nullopt);
    EXPECT_TRUE(d.hypervisor().listOwned(d.daemon().instanceId()).empty());
    EXPECT_FALSE(page(port).has_value());

    d.stop();
    removePool(pool);
}
