// A website service as a real QEMU guest on the local libvirtd: it boots, answers with the
// association's welcome page on its 127.0.0.1 port and at its public name through Chatière's nginx
// over HTTPS (a certificate from Debian's pebble, docs/public-addresses.md), pauses and resumes,
// and leaves nothing behind.

#include "Eventually.h"
#include "Pebble.h"
#include "SystemGuests.h"
#include "TestDaemon.h"
#include "Unzip.h"
#include "Visitor.h"

#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <Poco/DeflatingStream.h>
#include <gtest/gtest.h>
#include "chatiere/provisioning/TarWriter.h"

#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace chatiere::testing;

TEST(WebsiteGuest, BootsServesPausesResumesAndIsDeletedCleanly) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    if (!Pebble::installed() || !std::filesystem::exists("/usr/sbin/nginx") ||
        !std::filesystem::exists("/usr/bin/dehydrated")) {
        CHATIERE_MISSING_PART("nginx, dehydrated, pebble (packaging/scripts/deps.sh test installs them)");
    }
    // The ACME server, whose validator fetches its tokens from the proxy's HTTP port.
    const Visitor visit(freeLoopbackPort(), freeLoopbackPort());
    char pebbleDir[] = "/tmp/chatiere-pebble-XXXXXX";
    ASSERT_NE(::mkdtemp(pebbleDir), nullptr);
    Pebble pebble(pebbleDir, visit.httpPort());
    ASSERT_TRUE(pebble.answers()) << pebble.log();
    std::string pool;
    TestDaemon d(
        [&](chatiere::manager::Settings& s) {
            pool = useRealGuests(s, 22000, 22099);
            s.publicDomain = "asso.test";
            s.proxy.mode = chatiere::manager::ProxySettings::Mode::Own;
            s.proxy.httpPort = visit.httpPort();
            s.proxy.httpsPort = visit.httpsPort();
            s.proxy.publicHttpsPort = visit.httpsPort();
            s.proxy.intervalSeconds = 1;
            s.acme.directoryUrl = pebble.directoryUrl();
            s.acme.caFile = pebble.caFile();
            s.acme.email = "admin@chatons.test";
            s.acme.intervalSeconds = 1;
            s.acme.retrySeconds = 3600;
        },
        /*startSink=*/true, /*realClock=*/true);
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(
        admin.post("/api/v1/plans", R"({"slug": "web", "name": "Web", "free": true, "prices": []})").status,
        201);
    const auto signup = d.client().post("/api/v1/signup", R"({"association": {"name": "Les Amis <du> Jardin",
        "kind": "association", "email": "bureau@jardin.test"}, "manager": {"name": "Camille",
        "email": "camille@jardin.test", "password": "correct horse battery"}, "plan": "web", "accept_terms": true})");
    ASSERT_EQ(signup.status, 201) << signup.body;
    const std::string association = signup.json()->getObject("association")->getValue<std::string>("id");
    ASSERT_EQ(admin.post("/api/v1/associations/" + association + "/approve", "{}").status, 200);
    ApiClient manager = d.login("camille@jardin.test", "correct horse battery");

    const auto created = manager.post("/api/v1/associations/" + association + "/services",
                                      R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");

    // The guest boots and passes its health check: the service is active with its endpoint.
    ApiResponse service;
    const bool settled = eventually(
        [&] {
            service = manager.get("/api/v1/services/" + id);
            const auto state = service.json()->getValue<std::string>("state");
            return state == "active" || state == "failed";
        },
        std::chrono::seconds(240));
    ASSERT_TRUE(settled) << service.body;
    ASSERT_EQ(service.json()->getValue<std::string>("state"), "active") << service.body;
    const std::string endpoint = service.json()->getValue<std::string>("endpoint");
    const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
    const auto welcome = page(port);
    ASSERT_TRUE(welcome.has_value());
    EXPECT_NE(welcome->find("Les Amis &lt;du&gt; Jardin"), std::string::npos) << *welcome;

    // At its public name through the proxy, over HTTPS, with a certificate pebble issued for that
    // name (curl trusts pebble's root only); plain HTTP is redirected there.
    const std::string name = "site.les-amis-du-jardin.asso.test";
    const std::string url = "https://" + name + ":" + std::to_string(visit.httpsPort()) + "/";
    EXPECT_EQ(service.json()->getValue<std::string>("public_url"), url);
    const auto tlsOf = [&] { return manager.get("/api/v1/services/" + id).json()->getObject("tls"); };
    ASSERT_TRUE(eventually([&] { return tlsOf()->getValue<std::string>("status") == "issued"; },
                           std::chrono::seconds(90)))
        << manager.get("/api/v1/services/" + id).body << pebble.log();
    EXPECT_NE(tlsOf()->getValue<std::string>("issuer").find("Pebble"), std::string::npos);
    const std::string root = pebble.rootFile();
    Visit seen;
    ASSERT_TRUE(eventually([&] { return (seen = visit("https", name, "/", root)).status == 200; },
                           std::chrono::seconds(20)))
        << seen.error << seen.body;
    EXPECT_NE(seen.body.find("Les Amis &lt;du&gt; Jardin"), std::string::npos) << seen.body;
    const Visit plain = visit("http", name, "/", "");
    EXPECT_EQ(plain.status, 301) << plain.error;
    EXPECT_NE(plain.headers.find("Location: " + url), std::string::npos) << plain.headers;

    const std::string domain = "chatiere-" + d.daemon().instanceId() + "-" + id;
    // Usage is measured from the real guest: its CPU time counter and its volume's allocation.
    const auto measured = [&] {
        auto s = d.daemon().database().session();
        int n = 0;
        s << "SELECT COUNT(*) FROM usage_samples WHERE service_id = ? AND cpu_time_ns > 0 AND stored_bytes > "
             "0",
            Poco::Data::Keywords::bind(id), Poco::Data::Keywords::into(n), Poco::Data::Keywords::now;
        return n;
    };
    EXPECT_TRUE(eventually([&] { return measured() >= 2; }, std::chrono::seconds(30))) << "usage samples";
    // New content, as a .tar.gz: served once the guest has restarted on its new volume.
    std::ostringstream gz;
    {
        Poco::DeflatingOutputStream deflater(gz, Poco::DeflatingStreamBuf::STREAM_GZIP);
        deflater << chatiere::provisioning::makeTar({{"index.html", "<h1>Nouveau contenu du jardin</h1>"},
                                                     {"css/site.css", "h1 { color: green }"},
                                                     {"pages/été/récolte.html", "<p>Tomates</p>"},
                                                     {"vide.txt", ""}});
        deflater.close();
    }
    const auto uploaded =
        manager.request("PUT", "/api/v1/services/" + id + "/content", gz.str(), "application/gzip");
    ASSERT_EQ(uploaded.status, 202) << uploaded.body;
    EXPECT_TRUE(
        eventually([&] { return page(port).value_or("").find("Nouveau contenu") != std::string::npos; },
                   std::chrono::seconds(120)))
        << "the new content is not served";
    // Served from the ext4 filesystem the daemon made: a nested page with a non-ASCII name; the
    // volume allocates the site and ext4's metadata, not its 1 GiB; the export reads it back.
    EXPECT_NE(page(port, "/pages/%C3%A9t%C3%A9/r%C3%A9colte.html").value_or("").find("Tomates"),
              std::string::npos);
    {
        // Once the job has recorded the new volume as current.
        ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
        const auto current = [&] {
            for (const auto& v : d.hypervisor().volumes(pool)) {
                if (v.name.rfind(domain + ".g", 0) == 0) {  // the old volume is deleted by now
                    return std::optional(v);
                }
            }
            return std::optional<chatiere::provisioning::VolumeInfo>();
        }();
        ASSERT_TRUE(current.has_value());
        EXPECT_LT(current->allocationBytes, 16ULL << 20) << current->name;
        const auto exported = manager.get("/api/v1/associations/" + association + "/export");
        ASSERT_EQ(exported.status, 200);
        const std::string tar = unzip(exported.body).at("services/site/site.tar");
        EXPECT_NE(tar.find("pages/été/récolte.html"), std::string::npos);
        EXPECT_NE(tar.find("<p>Tomates</p>"), std::string::npos);
    }
    // An archive that tries to leave the site's folder is refused, and changes nothing.
    std::string evil = chatiere::provisioning::makeTar({{"aa/x.html", "x"}});
    evil.replace(0, 9, "../x.html");
    const auto refused =
        manager.request("PUT", "/api/v1/services/" + id + "/content", evil, "application/x-tar");
    EXPECT_EQ(refused.status, 400) << refused.body;

    // Resized: the guest restarts with more memory on a grown volume, and keeps its content.
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
    const auto resized =
        manager.request("PATCH", "/api/v1/services/" + id, R"({"memory_mib": 192, "disk_gib": 2})");
    ASSERT_EQ(resized.status, 202) << resized.body;
    EXPECT_TRUE(eventually(
        [&] {
            return manager.get("/api/v1/services/" + id).json()->getValue<std::string>("state") == "active";
        },
        std::chrono::seconds(180)))
        << manager.get("/api/v1/services/" + id).body;
    // Its current data volume: the one the content replacement wrote beside the first.
    Poco::Int64 generation = 0;
    {
        auto s = d.daemon().database().session();
        s << "SELECT volume_generation FROM services WHERE id = ?", Poco::Data::Keywords::bind(id),
            Poco::Data::Keywords::into(generation), Poco::Data::Keywords::now;
    }
    EXPECT_NE(generation, 0);
    const auto volume = d.hypervisor().volume(pool, domain + ".g" + std::to_string(generation) + ".img");
    ASSERT_TRUE(volume.has_value());
    EXPECT_EQ(volume->capacityBytes, 2ULL << 30);
    EXPECT_EQ(d.hypervisor().volume(pool, domain + ".img"), std::nullopt) << "the replaced volume is gone";
    EXPECT_NE(page(port).value_or("").find("Nouveau contenu"), std::string::npos) << "resized with its data";

    // Deleted by hand behind Chatière's back (once its jobs are done): the reconciler recreates it
    // from its data volume.
    ASSERT_TRUE(eventually([&] { return d.daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
    d.hypervisor().destroy(domain);
    d.hypervisor().undefine(domain);
    EXPECT_TRUE(eventually([&] { return page(port).has_value(); }, std::chrono::seconds(120)))
        << "the guest was not recreated";
    EXPECT_NE(page(port).value_or("").find("Nouveau contenu"), std::string::npos)
        << "recreated with its data";
    const auto audit = admin.get("/api/v1/audit?action=service.repair");
    EXPECT_EQ(audit.json()->getArray("entries")->size(), 1u) << audit.body;

    // Suspended: the guest is paused and the page stops answering.
    ASSERT_EQ(manager.post("/api/v1/services/" + id + "/suspend", "{}").status, 202);
    EXPECT_TRUE(
        eventually([&] { return d.hypervisor().state(domain) == chatiere::provisioning::GuestState::Paused; },
                   std::chrono::seconds(30)));
    EXPECT_EQ(manager.get("/api/v1/services/" + id).json()->getValue<std::string>("state"), "suspended");
    EXPECT_FALSE(page(port).has_value());
    // At its name: the bilingual page of a suspended service, never the guest's error nor the reason.
    EXPECT_TRUE(eventually([&] { return (seen = visit("https", name, "/", root)).status == 503; },
                           std::chrono::seconds(20)))
        << seen.status << seen.error << seen.body;
    EXPECT_NE(seen.headers.find("Retry-After:"), std::string::npos) << seen.headers;
    EXPECT_NE(seen.body.find("suspendu"), std::string::npos) << seen.body;
    EXPECT_NE(seen.body.find("suspended"), std::string::npos) << seen.body;

    // Resumed: it answers again, on its port and at its name.
    ASSERT_EQ(manager.post("/api/v1/services/" + id + "/resume", "{}").status, 202);
    EXPECT_TRUE(eventually([&] { return page(port).has_value(); }, std::chrono::seconds(30)));
    EXPECT_TRUE(eventually(
        [&] { return visit("https", name, "/", root).body.find("Nouveau contenu") != std::string::npos; },
        std::chrono::seconds(20)));

    // The association's own domain: a certificate from pebble for it, the default name freed.
    const std::string own = "jardin-partage.example";
    const auto moved = manager.put("/api/v1/services/" + id + "/domain", R"({"domain": ")" + own + "\"}");
    ASSERT_EQ(moved.status, 200) << moved.body;
    EXPECT_TRUE(eventually(
        [&] {
            return tlsOf()->getValue<std::string>("status") == "issued" &&
                   visit("https", own, "/", root).body.find("Nouveau contenu") != std::string::npos;
        },
        std::chrono::seconds(90)))
        << manager.get("/api/v1/services/" + id).body;
    EXPECT_TRUE(
        eventually([&] { return visit("http", name, "/", "").status == 404; }, std::chrono::seconds(20)));

    // pebble stops: the renewal fails, an alert opens for the admin, the certificate pebble issued
    // is still served.
    pebble.stop();
    ASSERT_EQ(admin.post("/api/v1/certificates/" + own + "/renew", "{}").status, 202);
    EXPECT_TRUE(eventually([&] { return tlsOf()->getValue<std::string>("status") == "failed"; },
                           std::chrono::seconds(90)))
        << manager.get("/api/v1/services/" + id).body;
    const auto alerts = admin.get("/api/v1/alerts").json()->getArray("items");
    int certificateAlerts = 0;
    for (std::size_t i = 0; alerts && i < alerts->size(); ++i) {
        const auto alert = alerts->getObject(static_cast<unsigned>(i));
        certificateAlerts += alert->getValue<std::string>("kind") == "certificate" &&
                             alert->isNull("closed_at") &&
                             alert->getValue<std::string>("message").find(own) != std::string::npos;
    }
    EXPECT_EQ(certificateAlerts, 1) << admin.get("/api/v1/alerts").body;
    EXPECT_EQ(visit("https", own, "/", root).status, 200);

    // Deleted: no domain, no volume, the port free again.
    ASSERT_EQ(manager.del("/api/v1/services/" + id).status, 202);
    EXPECT_TRUE(eventually([&] { return manager.get("/api/v1/services/" + id).status == 404; },
                           std::chrono::seconds(60)));
    EXPECT_EQ(d.hypervisor().state(domain), std::nullopt);
    EXPECT_EQ(d.hypervisor().volume(pool, domain + ".img"), std::nullopt);
    EXPECT_TRUE(d.hypervisor().listOwned(d.daemon().instanceId()).empty());
    EXPECT_FALSE(page(port).has_value());
    // Its name answers 404 and its nginx file is gone.
    EXPECT_TRUE(
        eventually([&] { return visit("http", own, "/", "").status == 404; }, std::chrono::seconds(20)));
    EXPECT_FALSE(std::filesystem::exists(d.proxyDir() / "sites" / ("service-" + id + ".conf")));

    d.stop();
    removePool(pool);
    std::filesystem::remove_all(pebbleDir);
}
