// The public addresses in the pages (docs/public-addresses.md, docs/web.md): the daemon on port 0
// with its own nginx (proxy.mode = own) on free ports, ACME off (certificates stay self-signed
// unless a test plants a row). The dashboard shows each service's public address, default name,
// own domain and certificate; managers set the own domain from it (refusals by the field, nothing
// changed; a member 403, another association's manager 404); the admin overview lists the
// certificates failing or expiring within 14 days, and renews one from the page.

#include "Browser.h"
#include "Eventually.h"
#include "MissingPart.h"
#include "OwnProxy.h"
#include "PortBlock.h"
#include "TestDaemon.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace chatiere::testing {
namespace {

namespace fs = std::filesystem;
using namespace Poco::Data::Keywords;

const std::string kPlan =
    R"({"slug": "asso", "name": "Asso", "templates": ["website"], "free": true,
    "prices": [], "quotas": {"services": {"included": 4, "limit": 4}}})";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class PublicAddressPagesTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists("/usr/sbin/nginx")) {
            CHATIERE_MISSING_PART("nginx (packaging/scripts/deps.sh test installs it)");
        }
        httpsPort_ = freeLoopbackPort();
        const int httpPort = freeLoopbackPort();
        d_ = std::make_unique<TestDaemon>([&](manager::Settings& s) {
            useOwnProxy(s, httpPort, httpsPort_);
            s.portsFirst = ports_.first();
            s.portsLast = ports_.last();
            s.acme.directoryUrl = "";     // no orders: the states below are planted
            s.publicIpv4 = "192.0.2.10";  // the host's addresses, for an own domain's A and AAAA
            s.publicIpv6 = "2001:db8::10";
        });
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        association_ = d_->approvedAssociation(*admin_, "Jardin", "manager@jardin.test", "asso");
        other_ = d_->approvedAssociation(*admin_, "Chorale", "manager@chorale.test", "asso");
        manager_ = std::make_unique<ApiClient>(d_->login("manager@jardin.test", "correct horse battery"));
    }

    void TearDown() override { d_.reset(); }

    // A website created through the API, marked active as if its guest had booted (the proxy
    // publishes it, and gives its name a self-signed certificate).
    std::string website(const std::string& name) {
        const auto r = manager_->post("/api/v1/associations/" + association_ + "/services",
                                      R"({"template": "website", "name": ")" + name + "\"}");
        EXPECT_EQ(r.status, 202) << r.body;
        const std::string id = r.json()->getValue<std::string>("id");
        eventually([&] { return service(id)->getValue<std::string>("state") == "failed"; },
                   std::chrono::seconds(30));
        auto s = d_->daemon().database().session();
        std::string copy = id;
        s << "UPDATE services SET state = 'active', last_error = NULL WHERE id = ?", use(copy), now;
        return id;
    }

    Poco::JSON::Object::Ptr service(const std::string& id) {
        return manager_->get("/api/v1/services/" + id).json();
    }
    std::string domainOf(const std::string& id) {
        const auto s = service(id);
        return s->isNull("domain") ? "" : s->getValue<std::string>("domain");
    }

    // Waits for the proxy's certificate row of `name`, then sets its state as the test wants.
    void plantCertificate(const std::string& name, const std::string& status, int daysLeft,
                          const std::string& issuer, const std::string& lastError) {
        ASSERT_TRUE(eventually(
            [&] {
                auto s = d_->daemon().database().session();
                int64_t n = 0;
                std::string copy = name;
                s << "SELECT COUNT(*) FROM certificates WHERE name = ?", use(copy), into(n), now;
                return n == 1;
            },
            std::chrono::seconds(30)))
            << "the proxy gave " << name << " no certificate";
        auto s = d_->daemon().database().session();
        std::string st = status, iss = issuer, err = lastError, copy = name;
        std::string notAfter = manager::formatTime(d_->clock().now() + std::chrono::hours(24 * daysLeft));
        std::string nextAttempt = manager::formatTime(d_->clock().now() + std::chrono::hours(24 * 365));
        s << "UPDATE certificates SET status = ?, issuer = NULLIF(?, ''), not_after = ?, "
             "last_error = NULLIF(?, ''), next_attempt_at = ? WHERE name = ?",
            use(st), use(iss), use(notAfter), use(err), use(nextAttempt), use(copy), now;
    }

    std::string nextAttemptOf(const std::string& name) {
        auto s = d_->daemon().database().session();
        std::string copy = name, at;
        s << "SELECT COALESCE(next_attempt_at, '') FROM certificates WHERE name = ?", use(copy), into(at),
            now;
        return at;
    }

    Browser browser(const std::string& email) { return signedInBrowser(*d_, email); }

    std::string url(const std::string& name) {
        return "https://" + name + ":" + std::to_string(httpsPort_) + "/";
    }

    PortBlock ports_;  // before d_: the services' forwarded ports, held while the daemon runs
    int httpsPort_ = 0;
    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_;
    std::unique_ptr<ApiClient> manager_;
    std::string association_, other_;
};

TEST_F(PublicAddressPagesTest, TheDashboardShowsTheAddressAndTheCertificate) {
    const std::string id = website("site");
    const std::string name = "site.jardin.asso.test";
    ASSERT_EQ(service(id)->getValue<std::string>("public_url"), url(name));

    Browser manager = browser("manager@jardin.test");
    auto r = manager.get("/associations/" + association_);
    ASSERT_EQ(r.status, 200) << r.body;
    std::string page = pageText(r);
    EXPECT_TRUE(contains(page, "Adresses publiques")) << page;
    EXPECT_TRUE(contains(page, "<a href=\"" + url(name) + "\">" + url(name) + "</a>")) << page;
    EXPECT_TRUE(contains(page, "<dt>Nom par défaut</dt><dd>" + name + "</dd>")) << page;
    EXPECT_TRUE(contains(page, "provisoire (auto-signé)")) << page;
    // The record to create for an own domain: a CNAME to the default name.
    EXPECT_TRUE(contains(page, "<td>CNAME</td><td>votre-domaine.fr</td><td>" + name + "</td>")) << page;
    EXPECT_TRUE(contains(page, "action=\"/services/" + id + "/domain\"")) << page;

    // Issued: its issuer and expiry date, in each language.
    plantCertificate(name, "issued", 60, "Pebble Intermediate CA 2a3b", "");
    const std::string expiry =
        manager::formatTime(d_->clock().now() + std::chrono::hours(24 * 60)).substr(0, 10);
    r = manager.get("/associations/" + association_);
    page = pageText(r);
    EXPECT_TRUE(contains(page, "valide — délivré par Pebble Intermediate CA 2a3b — expire le ")) << page;
    EXPECT_TRUE(contains(page, expiry.substr(0, 4))) << page;
    r = manager.get("/associations/" + association_ + "?lang=en");
    page = pageText(r);
    EXPECT_TRUE(contains(page, "valid — issued by Pebble Intermediate CA 2a3b — expires on ")) << page;
    EXPECT_TRUE(contains(page, "Public addresses")) << page;

    // Failed: the state and its last error.
    plantCertificate(name, "failed", 60, "Pebble Intermediate CA 2a3b",
                     "urn:ietf:params:acme:error:connection");
    page = pageText(manager.get("/associations/" + association_ + "?lang=fr"));
    EXPECT_TRUE(contains(page, "<strong>échec de la demande</strong>")) << page;
    EXPECT_TRUE(contains(page, "Dernière erreur : urn:ietf:params:acme:error:connection")) << page;
}

// nginx's refusal of a service's file, on the dashboard: the name the site moves to has broken
// certificate files (a certificate with another's key), as in PublicAddressTest.
TEST_F(PublicAddressPagesTest, TheProxysRefusalShowsOnTheDashboard) {
    const std::string id = website("site");
    ASSERT_TRUE(plantBrokenCertificate(d_->proxyDir(), "jardin-refuse.example"));
    ASSERT_EQ(
        manager_->put("/api/v1/services/" + id + "/domain", R"({"domain": "jardin-refuse.example"})").status,
        200);
    ASSERT_TRUE(eventually([&] { return !service(id)->isNull("proxy_error"); }, std::chrono::seconds(30)))
        << manager_->get("/api/v1/services/" + id).body;
    const std::string error = service(id)->getValue<std::string>("proxy_error");

    Browser manager = browser("manager@jardin.test");
    const std::string page = pageText(manager.get("/associations/" + association_));
    EXPECT_TRUE(contains(page, "<dt>Refusé par le proxy</dt><dd class=\"proxy-error\">")) << page;
    EXPECT_TRUE(contains(page, "jardin-refuse.example")) << page;
    // nginx's words, as the page escapes them.
    const std::string firstWords = error.substr(0, error.find_first_of("\"'<>&/="));
    EXPECT_FALSE(firstWords.empty()) << error;
    EXPECT_TRUE(contains(page, firstWords)) << firstWords << page;
}

TEST_F(PublicAddressPagesTest, AManagerSetsTheOwnDomainFromTheDashboard) {
    const std::string id = website("site");
    Browser manager = browser("manager@jardin.test");
    manager.get("/associations/" + association_);
    auto r = manager.post("/services/" + id + "/domain", {{"domain", "www.jardin-partage.org"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], "/associations/" + association_ + "?done=domain");
    EXPECT_EQ(domainOf(id), "www.jardin-partage.org");
    EXPECT_EQ(service(id)->getValue<std::string>("public_url"), url("www.jardin-partage.org"));

    r = manager.get(r.headers["Location"]);
    std::string page = pageText(r);
    EXPECT_TRUE(contains(page, "Adresse enregistrée")) << page;
    EXPECT_TRUE(contains(page, "<dt>Domaine de l’association</dt><dd>www.jardin-partage.org</dd>")) << page;
    EXPECT_TRUE(contains(page, "value=\"www.jardin-partage.org\"")) << page;
    // A and AAAA to the host's addresses (public.ipv4, public.ipv6), or a CNAME to the default name.
    EXPECT_TRUE(contains(page, "<td>A</td><td>www.jardin-partage.org</td><td>192.0.2.10</td>")) << page;
    EXPECT_TRUE(contains(page, "<td>AAAA</td><td>www.jardin-partage.org</td><td>2001:db8::10</td>")) << page;
    EXPECT_TRUE(contains(page, "<td>CNAME</td><td>www.jardin-partage.org</td><td>site.jardin.asso.test</td>"))
        << page;

    // Empty: back to the default name.
    r = manager.post("/services/" + id + "/domain", {{"domain", ""}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(domainOf(id), "");
    EXPECT_EQ(service(id)->getValue<std::string>("public_url"), url("site.jardin.asso.test"));
}

TEST_F(PublicAddressPagesTest, RefusedDomainsAreShownByTheFieldAndChangeNothing) {
    const std::string site = website("site");
    const std::string blog = website("blog");
    ASSERT_EQ(manager_->put("/api/v1/services/" + site + "/domain", R"({"domain": "www.jardin.org"})").status,
              200);

    Browser manager = browser("manager@jardin.test");
    manager.get("/associations/" + association_);
    for (const auto& [typed, status, message] :
         {std::tuple{std::string("a..b"), 400, std::string("Ce nom de domaine ne peut pas être utilisé ici")},
          std::tuple{std::string("localhost"), 400,
                     std::string("Ce nom de domaine ne peut pas être utilisé ici")},
          std::tuple{std::string("other.chorale.asso.test"), 400,
                     std::string("Ce nom de domaine ne peut pas être utilisé ici")},
          std::tuple{std::string("www.jardin.org"), 409,
                     std::string("Un autre service répond déjà à ce nom.")}}) {
        const auto r = manager.post("/services/" + blog + "/domain", {{"domain", typed}});
        EXPECT_EQ(r.status, status) << typed << r.body;
        const std::string page = pageText(r);
        // By the field of that service's form, what was typed kept.
        EXPECT_TRUE(contains(page, "<input id=\"domain-" + blog +
                                       "\" name=\"domain\" type=\"text\" value=\"" + typed +
                                       "\" autocomplete=\"off\" aria-describedby=\"domain-" + blog +
                                       "-hint domain-" + blog + "-error\" aria-invalid=\"true\">"))
            << typed << page;
        EXPECT_TRUE(
            contains(page, "<p class=\"field-error\" id=\"domain-" + blog + "-error\">Erreur : " + message))
            << typed << page;
        // The other service's field is untouched.
        EXPECT_TRUE(contains(
            page, "<input id=\"domain-" + site + "\" name=\"domain\" type=\"text\" value=\"www.jardin.org\""))
            << page;
        EXPECT_EQ(domainOf(blog), "") << typed;
        EXPECT_EQ(domainOf(site), "www.jardin.org");
    }
    // Without the form's token: 403, nothing changed.
    EXPECT_EQ(manager.post("/services/" + blog + "/domain", {{"domain", "blog.jardin.org"}}, false).status,
              403);
    EXPECT_EQ(domainOf(blog), "");
}

TEST_F(PublicAddressPagesTest, AMemberGets403AndAStrangerGets404) {
    const std::string id = website("site");
    d_->signup("Perso", "membre@jardin.test");
    ASSERT_EQ(admin_
                  ->post("/api/v1/associations/" + association_ + "/members",
                         R"({"email": "membre@jardin.test", "role": "member"})")
                  .status,
              201);
    Browser member = browser("membre@jardin.test");
    auto r = member.get("/associations/" + association_);
    ASSERT_EQ(r.status, 200) << r.body;
    // A member sees the address, not the form.
    EXPECT_TRUE(contains(pageText(r), url("site.jardin.asso.test"))) << r.body;
    EXPECT_FALSE(contains(r.body, "/services/" + id + "/domain")) << r.body;
    EXPECT_EQ(member.post("/services/" + id + "/domain", {{"domain", "www.membre.org"}}).status, 403);

    Browser stranger = browser("manager@chorale.test");
    stranger.get("/associations/" + other_);
    EXPECT_EQ(stranger.post("/services/" + id + "/domain", {{"domain", "www.chorale.org"}}).status, 404);
    EXPECT_EQ(domainOf(id), "");

    // The admin may, as in the API.
    Browser admin = browser("admin@chatons.test");
    admin.get("/associations/" + association_);
    EXPECT_EQ(admin.post("/services/" + id + "/domain", {{"domain", "www.admin-jardin.org"}}).status, 303);
    EXPECT_EQ(domainOf(id), "www.admin-jardin.org");
}

TEST_F(PublicAddressPagesTest, TheAdminOverviewListsCertificatesToWatchAndRenewsOne) {
    website("failing");
    website("expiring");
    website("healthy");
    plantCertificate("failing.jardin.asso.test", "failed", 50, "Pebble Intermediate CA",
                     "connection refused");
    plantCertificate("expiring.jardin.asso.test", "issued", 5, "Pebble Intermediate CA", "");
    plantCertificate("healthy.jardin.asso.test", "issued", 60, "Pebble Intermediate CA", "");

    Browser admin = browser("admin@chatons.test");
    auto r = admin.get("/admin");
    ASSERT_EQ(r.status, 200) << r.body;
    std::string page = pageText(r);
    EXPECT_TRUE(contains(page, "Certificats à surveiller")) << page;
    EXPECT_TRUE(contains(page, "<th scope=\"row\">failing.jardin.asso.test</th>")) << page;
    EXPECT_TRUE(contains(page, "<th scope=\"row\">expiring.jardin.asso.test</th>")) << page;
    EXPECT_FALSE(contains(page, "healthy.jardin.asso.test")) << page;
    EXPECT_TRUE(contains(page, "connection refused")) << page;
    EXPECT_TRUE(contains(page, "<strong>échec de la demande</strong>")) << page;
    EXPECT_TRUE(contains(page, "failing (<a href=\"/associations/" + association_ + "\">Jardin</a>)"))
        << page;
    EXPECT_TRUE(contains(pageText(admin.get("/admin?lang=en")), "Certificates to watch"));

    // Renew now: ordered at the next pass (as POST /api/v1/certificates/{name}/renew).
    const std::string before = nextAttemptOf("failing.jardin.asso.test");
    r = admin.post("/admin/certificates/failing.jardin.asso.test/renew", {});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], "/admin?done=renewed");
    const std::string after = nextAttemptOf("failing.jardin.asso.test");
    EXPECT_LT(after, before);
    EXPECT_LE(after, manager::formatTime(d_->clock().now()));
    // (The English page above left its language in a cookie.)
    page = pageText(admin.get("/admin?done=renewed&lang=fr"));
    EXPECT_TRUE(contains(page, "<p class=\"notice\" role=\"status\">Le certificat sera demandé")) << page;
    // An unknown name: 404, a managers' post: 404 (the admin console is staff's).
    EXPECT_EQ(admin.post("/admin/certificates/unknown.asso.test/renew", {}).status, 404);
    Browser manager = browser("manager@jardin.test");
    manager.get("/associations/" + association_);
    EXPECT_EQ(manager.post("/admin/certificates/expiring.jardin.asso.test/renew", {}).status, 404);
}

}  // namespace
}  // namespace chatiere::testing
