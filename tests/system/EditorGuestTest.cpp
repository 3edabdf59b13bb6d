// An editor service (Etherpad on the Debian appliance) as a real QEMU guest on the local libvirtd:
// it boots and answers, pads are created through Chatière and read back from Etherpad itself, the
// text survives a restart of the guest and its recreation by the reconciler, it pauses and resumes,
// its pads are in the association's export, and it leaves nothing behind. One guest for the whole
// story: under QEMU without KVM each boot of Etherpad costs about two minutes.

#include "Eventually.h"
#include "SystemGuests.h"
#include "TestDaemon.h"
#include "Unzip.h"

#include "chatiere/manager/Database.h"

#include <Poco/URI.h>
#include <gtest/gtest.h>

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

}  // namespace

TEST(EditorGuest, PadsAreCreatedKeptExportedAndTheGuestLeavesNothingBehind) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    std::string pool;
    TestDaemon d(
        [&pool](chatiere::manager::Settings& s) {
            pool = useRealGuests(s, 22200, 22299, {"editor"});
            s.bootTimeoutSeconds = 300;
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

    // A pad address typed by hand does not create a pad (editOnly): only Chatière creates them.
    slowPage(port, "/p/tape-a-la-main");
    slowPage(port, "/p/tape-a-la-main/export/txt");
    const auto listed = manager.get("/api/v1/services/" + id + "/pads");
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto pads = listed.json()->getArray("pads");
    ASSERT_EQ(pads->size(), 1u) << listed.body;
    EXPECT_EQ(pads->getObject(0)->getValue<std::string>("name"), "compte-rendu");

    // The guest restarts (forced off; the reconciler starts it again): the text is still there.
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
    d.hypervisor().destroy(domain);
    EXPECT_TRUE(
        eventually([&] { return exported(port, "compte-rendu").find(kText) != std::string::npos; }, kBoot))
        << "the pad is lost after a restart";

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
