// Public addresses end to end without a guest (docs/public-addresses.md): the daemon on port 0 with
// its own nginx (proxy.mode = own) on free ports, Debian's pebble and pebble-challtestsrv as the
// ACME server, and a small HTTP server of the test on the service's forwarded port in place of the
// guest. curl is the visitor, with --resolve (every name → 127.0.0.1) and pebble's root as its only
// CA, so that an answer proves which certificate nginx served for that name.

#include "Eventually.h"
#include "MissingPart.h"
#include "OwnProxy.h"
#include "Pebble.h"
#include "PortBlock.h"
#include "TestDaemon.h"
#include "Visitor.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace chatiere::testing {
namespace {

namespace fs = std::filesystem;

const std::string kPlan =
    R"({"slug": "asso", "name": "Asso", "templates": ["website", "editor"], "free": true,
    "prices": [], "quotas": {"services": {"included": 4, "limit": 4}}})";

// The guest of a website: answers every path with the association's page and what it saw.
class SiteHandler : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        response.setContentType("text/html; charset=utf-8");
        response.send() << "<h1>Bienvenue au Jardin</h1> path=" << request.getURI()
                        << " for=" << request.get("X-Forwarded-For", "")
                        << " proto=" << request.get("X-Forwarded-Proto", "");
    }
};
class SiteFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new SiteHandler;
    }
};

class PublicAddressTest : public ::testing::Test {
protected:
    // `acme`: pebble runs and the daemon orders certificates from it.
    void start(bool acme) {
        if (!fs::exists("/usr/sbin/nginx") || !fs::exists("/usr/bin/curl") ||
            (acme && (!Pebble::installed() || !fs::exists("/usr/bin/dehydrated")))) {
            CHATIERE_MISSING_PART(
                "nginx, curl, dehydrated, pebble (packaging/scripts/deps.sh test installs them)");
        }
        httpPort_ = freeLoopbackPort();
        httpsPort_ = freeLoopbackPort();
        if (acme) {
            char tmpl[] = "/tmp/chatiere-pebble-XXXXXX";
            pebbleDir_ = ::mkdtemp(tmpl);
            pebble_ = std::make_unique<Pebble>(pebbleDir_, httpPort_);
            ASSERT_TRUE(pebble_->answers()) << pebble_->log();
        }
        d_ = std::make_unique<TestDaemon>([&](manager::Settings& s) {
            useOwnProxy(s, httpPort_, httpsPort_);
            s.portsFirst = ports_.first();
            s.portsLast = ports_.last();
            s.acme.directoryUrl = acme ? pebble_->directoryUrl() : "";
            s.acme.caFile = acme ? pebble_->caFile() : "";
            s.acme.email = "admin@hebergeur.test";
            s.acme.intervalSeconds = 1;
            s.acme.retrySeconds = 3600;
        });
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        association_ = d_->approvedAssociation(*admin_, "Jardin", "manager@jardin.test", "asso");
        manager_ = std::make_unique<ApiClient>(d_->login("manager@jardin.test", "correct horse battery"));
    }

    void TearDown() override {
        for (auto& server : guests_) {
            server->stop();
        }
        d_.reset();
        pebble_.reset();
        if (!pebbleDir_.empty()) {
            fs::remove_all(pebbleDir_);
        }
    }

    // A website created through the API, marked active as if its guest had booted, with the test's
    // HTTP server on its forwarded port.
    std::string website(const std::string& name, const std::string& extra = "") {
        const auto r = manager_->post("/api/v1/associations/" + association_ + "/services",
                                      R"({"template": "website", "name": ")" + name + "\"" + extra + "}");
        EXPECT_EQ(r.status, 202) << r.body;
        const std::string id = r.json()->getValue<std::string>("id");
        eventually([&] { return state(id) == "failed"; }, std::chrono::seconds(30));
        auto s = d_->daemon().database().session();
        std::string copy = id;
        s << "UPDATE services SET state = 'active', last_error = NULL, endpoint = 'http://127.0.0.1:' || "
             "host_port "
             "WHERE id = ?",
            Poco::Data::Keywords::use(copy), Poco::Data::Keywords::now;
        int port = 0;
        s << "SELECT host_port FROM services WHERE id = ?", Poco::Data::Keywords::use(copy),
            Poco::Data::Keywords::into(port), Poco::Data::Keywords::now;
        guests_.push_back(std::make_unique<Poco::Net::HTTPServer>(
            new SiteFactory, Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", port)),
            new Poco::Net::HTTPServerParams));
        guests_.back()->start();
        return id;
    }

    std::string state(const std::string& id) {
        return manager_->get("/api/v1/services/" + id).json()->getValue<std::string>("state");
    }
    Poco::JSON::Object::Ptr service(const std::string& id) {
        return manager_->get("/api/v1/services/" + id).json();
    }
    std::string tlsStatus(const std::string& id) {
        const auto tls = service(id)->getObject("tls");
        return tls ? tls->getValue<std::string>("status") : "";
    }

    // A visitor from outside (tests/support/Visitor.h), at the proxy's ports.
    Visit visit(const std::string& scheme, const std::string& name, const std::string& path,
                const std::string& ca) {
        return Visitor(httpPort_, httpsPort_)(scheme, name, path, ca);
    }

    bool siteFileExists(const std::string& id) {
        return fs::exists(d_->proxyDir() / "sites" / ("service-" + id + ".conf"));
    }

    std::vector<Poco::JSON::Object::Ptr> openAlerts(const std::string& kind) {
        std::vector<Poco::JSON::Object::Ptr> out;
        const auto items = admin_->get("/api/v1/alerts").json()->getArray("items");
        for (std::size_t i = 0; items && i < items->size(); ++i) {
            const auto a = items->getObject(static_cast<unsigned>(i));
            if (a->getValue<std::string>("kind") == kind && a->isNull("closed_at")) {
                out.push_back(a);
            }
        }
        return out;
    }

    PortBlock ports_;  // before d_: the services' forwarded ports, held while the daemon runs
    fs::path pebbleDir_;
    std::unique_ptr<Pebble> pebble_;
    int httpPort_ = 0;
    int httpsPort_ = 0;
    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_;
    std::unique_ptr<ApiClient> manager_;
    std::string association_;
    std::vector<std::unique_ptr<Poco::Net::HTTPServer>> guests_;
};

TEST_F(PublicAddressTest, ASiteAnswersAtItsNameOverHttpsWithACertificateFromAcme) {
    start(/*acme=*/true);
    const std::string id = website("site");
    const std::string name = "site.jardin.asso.test";
    const std::string url = "https://" + name + ":" + std::to_string(httpsPort_) + "/";
    EXPECT_EQ(service(id)->getValue<std::string>("public_url"), url);

    // Issued by pebble for that name: curl trusts only pebble's root.
    ASSERT_TRUE(eventually([&] { return tlsStatus(id) == "issued"; }, std::chrono::seconds(90)))
        << manager_->get("/api/v1/services/" + id).body;
    const auto tls = service(id)->getObject("tls");
    EXPECT_NE(tls->getValue<std::string>("issuer").find("Pebble"), std::string::npos);
    EXPECT_FALSE(tls->isNull("not_after"));
    const std::string root = pebble_->rootFile();
    Visit v;
    ASSERT_TRUE(eventually([&] { return (v = visit("https", name, "/", root)).status == 200; },
                           std::chrono::seconds(20)))
        << v.error << v.body;
    EXPECT_NE(v.body.find("Bienvenue au Jardin"), std::string::npos);
    EXPECT_NE(v.body.find("for=127.0.0.1 proto=https"), std::string::npos) << v.body;

    // HTTP answers a redirect to HTTPS.
    const Visit plain = visit("http", name, "/page?x=1", "");
    EXPECT_EQ(plain.status, 301) << plain.error;
    EXPECT_NE(plain.headers.find("Location: " + url + "page?x=1"), std::string::npos) << plain.headers;

    // Chatière's own pages at public.url's host, with their own certificate from pebble.
    Visit pages;
    ASSERT_TRUE(eventually(
        [&] { return (pages = visit("https", "chatiere.hebergeur.test", "/healthz", root)).status == 200; },
        std::chrono::seconds(90)))
        << pages.error << pages.body;

    // Suspended: the bilingual 503 page, never the reason.
    ASSERT_EQ(manager_->post("/api/v1/services/" + id + "/suspend", "{}").status, 202);
    ASSERT_TRUE(eventually([&] { return (v = visit("https", name, "/", root)).status == 503; },
                           std::chrono::seconds(20)))
        << v.status << v.body;
    EXPECT_NE(v.headers.find("Retry-After: 3600"), std::string::npos) << v.headers;
    EXPECT_NE(v.body.find("suspendu"), std::string::npos);
    EXPECT_NE(v.body.find("suspended"), std::string::npos);
    EXPECT_EQ(v.body.find("Bienvenue"), std::string::npos);
    ASSERT_EQ(manager_->post("/api/v1/services/" + id + "/resume", "{}").status, 202);
    ASSERT_TRUE(
        eventually([&] { return visit("https", name, "/", root).status == 200; }, std::chrono::seconds(20)));

    // An own domain: a certificate for it, the old name freed.
    const auto moved =
        manager_->put("/api/v1/services/" + id + "/domain", R"({"domain": "Jardin-Partage.example"})");
    ASSERT_EQ(moved.status, 200) << moved.body;
    EXPECT_EQ(moved.json()->getValue<std::string>("domain"), "jardin-partage.example");
    EXPECT_EQ(moved.json()->getValue<std::string>("public_url"),
              "https://jardin-partage.example:" + std::to_string(httpsPort_) + "/");
    ASSERT_TRUE(eventually([&] { return tlsStatus(id) == "issued"; }, std::chrono::seconds(90)))
        << manager_->get("/api/v1/services/" + id).body;
    ASSERT_TRUE(eventually([&] { return visit("https", "jardin-partage.example", "/", root).status == 200; },
                           std::chrono::seconds(20)));
    EXPECT_TRUE(
        eventually([&] { return visit("http", name, "/", "").status == 404; }, std::chrono::seconds(20)));

    // pebble stops: the renewal fails, an alert opens, the old certificate is still served.
    pebble_->stop();
    const auto renew = admin_->post("/api/v1/certificates/jardin-partage.example/renew", "{}");
    ASSERT_EQ(renew.status, 202) << renew.body;
    ASSERT_TRUE(eventually([&] { return tlsStatus(id) == "failed"; }, std::chrono::seconds(90)))
        << manager_->get("/api/v1/services/" + id).body;
    EXPECT_FALSE(service(id)->getObject("tls")->isNull("last_error"));
    EXPECT_NE(service(id)->getObject("tls")->getValue<std::string>("issuer").find("Pebble"),
              std::string::npos);
    const auto alerts = openAlerts("certificate");
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_NE(alerts[0]->getValue<std::string>("message").find("jardin-partage.example"), std::string::npos);
    EXPECT_EQ(visit("https", "jardin-partage.example", "/", root).status, 200);

    // Deleted: 404 at its name, its nginx file gone.
    ASSERT_EQ(manager_->del("/api/v1/services/" + id).status, 202);
    EXPECT_TRUE(eventually([&] { return !siteFileExists(id); }, std::chrono::seconds(30)));
    EXPECT_TRUE(eventually([&] { return visit("http", "jardin-partage.example", "/", "").status == 404; },
                           std::chrono::seconds(20)));
}

TEST_F(PublicAddressTest, ARefusedFileKeepsThePreviousConfigurationAndAKilledNginxComesBack) {
    start(/*acme=*/false);
    const std::string site = website("site");
    const std::string blog = website("blog");
    ASSERT_TRUE(
        eventually([&] { return siteFileExists(site) && siteFileExists(blog); }, std::chrono::seconds(20)));
    EXPECT_EQ(tlsStatus(site), "self_signed");
    ASSERT_TRUE(eventually([&] { return visit("https", "site.jardin.asso.test", "/", "").status == 200; },
                           std::chrono::seconds(20)));

    // The certificate files of the name the site moves to are already there, and broken: a
    // certificate with another certificate's key. nginx refuses any set naming them, so the site's
    // new file is refused and its previous one keeps serving; the blog's change (suspended) still
    // goes through.
    ASSERT_TRUE(plantBrokenCertificate(d_->proxyDir(), "jardin-partage.example"));
    ASSERT_EQ(manager_->put("/api/v1/services/" + site + "/domain", R"({"domain": "jardin-partage.example"})")
                  .status,
              200);
    ASSERT_EQ(manager_->post("/api/v1/services/" + blog + "/suspend", "{}").status, 202);
    ASSERT_TRUE(eventually([&] { return visit("https", "blog.jardin.asso.test", "/", "").status == 503; },
                           std::chrono::seconds(20)));
    ASSERT_TRUE(eventually([&] { return !service(site)->isNull("proxy_error"); }, std::chrono::seconds(20)))
        << manager_->get("/api/v1/services/" + site).body;
    EXPECT_NE(service(site)->getValue<std::string>("proxy_error").find("jardin-partage.example"),
              std::string::npos);
    // The previous configuration keeps serving the site at its old name.
    EXPECT_EQ(visit("https", "site.jardin.asso.test", "/", "").status, 200);
    const auto alerts = openAlerts("proxy");
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0]->getValue<std::string>("service_id"), site);

    // nginx killed (its master and workers: the master leads their process group): the
    // reconciler starts it again and every service answers.
    const int pid = d_->nginxPid();
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::getpgid(pid), pid);
    ::kill(-pid, SIGKILL);
    ASSERT_TRUE(
        eventually([&] { return d_->nginxPid() != 0 && d_->nginxPid() != pid; }, std::chrono::seconds(30)));
    EXPECT_TRUE(eventually([&] { return visit("https", "site.jardin.asso.test", "/", "").status == 200; },
                           std::chrono::seconds(20)));
    EXPECT_EQ(visit("https", "blog.jardin.asso.test", "/", "").status, 503);

    // The master alone killed: its workers live on, holding the listening sockets. The reconciler
    // stops them (they are this prefix's: NginxProxy::stopLeftovers) and starts a new master.
    const int second = d_->nginxPid();
    ASSERT_GT(second, 0);
    ASSERT_EQ(::kill(second, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return d_->nginxPid() != 0 && d_->nginxPid() != second; },
                           std::chrono::seconds(30)));
    EXPECT_TRUE(eventually([&] { return visit("https", "site.jardin.asso.test", "/", "").status == 200; },
                           std::chrono::seconds(20)));
    EXPECT_EQ(visit("https", "blog.jardin.asso.test", "/", "").status, 503);
    EXPECT_EQ(openAlerts("proxy").size(), 1u);  // the refused file's only: nginx came back
}

TEST_F(PublicAddressTest, BadDomainsAreRefusedAndNothingReachesNginx) {
    start(/*acme=*/false);
    const std::string site = website("site");
    const std::string other = website("autre", R"(, "domain": "autre.example.org")");
    ASSERT_TRUE(
        eventually([&] { return siteFileExists(site) && siteFileExists(other); }, std::chrono::seconds(20)));
    const auto before = fs::read_symlink(d_->proxyDir() / "sites");
    std::string long254;
    while (long254.size() < 254) {
        long254 += "abcdefghi.";
    }
    long254 += "org";
    for (const std::string& bad :
         std::vector<std::string>{"localhost", "*.example.org", "a..b", "192.0.2.7", long254,
                                  "autre.jardin.asso.test", "x.asso.test", "chatiere.hebergeur.test"}) {
        const auto r = manager_->put("/api/v1/services/" + site + "/domain", R"({"domain": ")" + bad + "\"}");
        EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
        EXPECT_NE(r.body.find("invalid_domain"), std::string::npos) << bad << ": " << r.body;
    }
    const auto taken =
        manager_->put("/api/v1/services/" + site + "/domain", R"({"domain": "autre.example.org"})");
    EXPECT_EQ(taken.status, 409) << taken.body;
    EXPECT_NE(taken.body.find("domain_taken"), std::string::npos);
    EXPECT_EQ(manager_->put("/api/v1/services/" + site + "/domain", R"({"domain": 42})").status, 400);
    EXPECT_EQ(manager_->put("/api/v1/services/" + site + "/domain", "{}").status, 400);
    EXPECT_TRUE(service(site)->isNull("domain"));
    // Another association's manager: the service does not exist for them.
    d_->approvedAssociation(*admin_, "Chorale", "manager@chorale.test", "asso");
    const ApiClient stranger = d_->login("manager@chorale.test", "correct horse battery");
    EXPECT_EQ(stranger.put("/api/v1/services/" + site + "/domain", R"({"domain": "chorale.example"})").status,
              404);
    // No new set was made: the working one is the same folder.
    d_->daemon().reconcileProxyOnce();
    EXPECT_EQ(fs::read_symlink(d_->proxyDir() / "sites"), before);
}

}  // namespace
}  // namespace chatiere::testing
