// The public addresses over a migrated temp SQLite file: default names and own domains (what
// ServiceManager refuses), and the proxy reconciler against a fake driver that records the sets it
// is given and refuses the files it is told to — which files serve, which service carries nginx's
// words, which alerts open, which names are freed.

#include "MonitoringFixture.h"
#include "chatiere/manager/Error.h"
#include "hosting/ProxyReconciler.h"
#include "hosting/ServiceManager.h"
#include "hosting/SuspendedPage.h"
#include "store/Alerts.h"
#include "store/Certificates.h"

#include <Poco/Logger.h>

namespace chatiere::testing {
namespace {

using manager::Actor;
using manager::ErrorKind;

// Keeps the working set in memory; refuses a set holding a file that contains `refuseMarker`.
class FakeProxyDriver : public manager::ProxyDriver {
public:
    manager::ProxyLayout layout() const override {
        return {"/proxy/acme", "/proxy/html", "/proxy/logs/transfer.log"};
    }
    std::optional<std::string> apply(const std::vector<manager::SiteFile>& files) override {
        ++applies;
        for (const auto& f : files) {
            if (!refuseMarker.empty() && f.text.find(refuseMarker) != std::string::npos) {
                return "nginx: [emerg] refused " + f.name;
            }
        }
        working.clear();
        for (const auto& f : files) {
            working[f.name] = f.text;
        }
        return std::nullopt;
    }
    manager::SiteCertificate installCertificate(const std::string& name,
                                                const manager::CertificatePair& pair) override {
        certificates[name] = pair;
        return {"/proxy/certs/" + name + "/fullchain.pem", "/proxy/certs/" + name + "/privkey.pem"};
    }
    std::optional<manager::SiteCertificate> findCertificate(const std::string& name) const override {
        if (!certificates.count(name)) {
            return std::nullopt;
        }
        return manager::SiteCertificate{"/proxy/certs/" + name + "/fullchain.pem",
                                        "/proxy/certs/" + name + "/privkey.pem"};
    }
    void installPage(const std::string& fileName, const std::string& html) override {
        pages[fileName] = html;
    }
    void ensureRunning() override {
        ++ensureCalls;
        if (!startError.empty()) {
            throw std::runtime_error(startError);
        }
    }
    void reopenLogs() override {}

    std::map<std::string, std::string> working;
    std::map<std::string, manager::CertificatePair> certificates;
    std::map<std::string, std::string> pages;
    std::string refuseMarker;
    std::string startError;
    int applies = 0;
    int ensureCalls = 0;
};

class ProxyReconcilerTest : public MonitoringFixture {
protected:
    ProxyReconcilerTest()
        : services_(db_, clock_, proxySettings(), catalogue_, associations_, [this] { ++wakes_; }),
          reconciler_(
              db_, clock_, settings_, catalogue_, driver_, [] { return 8470; },
              Poco::Logger::get("test.proxy")) {
        manager::Plan plan;
        plan.slug = "petite";
        plan.name = {"Formule", "Plan"};
        plan.templates = {"website"};
        plan.free = true;
        auto s = db_.session();
        manager::PlanRepository(s).create(plan, "2026-01-01T00:00:00Z");
        s.execute("UPDATE associations SET plan_slug = 'petite' WHERE id = 'asso1'");
    }

    manager::Settings& proxySettings() {
        settings_.publicUrl = "https://chatiere.hebergeur.test";
        settings_.publicDomain = "asso-hebergees.test";
        settings_.proxy.mode = manager::ProxySettings::Mode::Own;
        settings_.proxy.publicHttpsPort = 443;
        return settings_;
    }

    std::string fileOf(const std::string& serviceId) {
        const auto it = driver_.working.find(manager::serviceSiteFile(serviceId));
        return it == driver_.working.end() ? "" : it->second;
    }
    std::optional<manager::Service> service(const std::string& id) {
        auto s = db_.session();
        return manager::ServiceRepository(s).find(id);
    }
    std::vector<manager::Alert> openAlerts() {
        auto s = db_.session();
        return manager::AlertBook(s).list(false, 50);
    }

    const Actor manager_{std::string("usr1"), "manager@jardin.test", std::nullopt, ""};
    int wakes_ = 0;
    FakeProxyDriver driver_;
    manager::ServiceManager services_;
    manager::ProxyReconciler reconciler_;
};

TEST_F(ProxyReconcilerTest, AServiceGetsItsDefaultNameAndTheAssociationItsSlug) {
    const auto site = services_.create(manager_, "asso1", {"website", "site", std::nullopt});
    EXPECT_EQ(site.defaultName, "site.jardin.asso-hebergees.test");
    EXPECT_EQ(site.publicName(), "site.jardin.asso-hebergees.test");
    EXPECT_EQ(services_.addressOf(site).publicUrl, "https://site.jardin.asso-hebergees.test/");
    const auto blog = services_.create(manager_, "asso1", {"website", "blog", std::nullopt});
    EXPECT_EQ(blog.defaultName, "blog.jardin.asso-hebergees.test");
}

TEST_F(ProxyReconcilerTest, PublishesEachServiceWithASelfSignedCertificateAndThePages) {
    const auto site = services_.create(manager_, "asso1", {"website", "site", std::nullopt});
    const auto pass = reconciler_.runOnce();
    EXPECT_TRUE(pass.applied);
    EXPECT_EQ(pass.services, 1);
    EXPECT_FALSE(pass.error);
    EXPECT_NE(fileOf(site.id).find("server_name site.jardin.asso-hebergees.test"), std::string::npos);
    EXPECT_NE(fileOf(site.id).find("127.0.0.1:" + std::to_string(*site.hostPort)), std::string::npos);
    EXPECT_TRUE(driver_.working.count(manager::kPagesSiteFile));
    EXPECT_TRUE(driver_.working.count(manager::kHttpContextFile));
    EXPECT_TRUE(driver_.pages.count(manager::kSuspendedPageFile));
    EXPECT_TRUE(driver_.certificates.count("site.jardin.asso-hebergees.test"));
    EXPECT_TRUE(driver_.certificates.count("chatiere.hebergeur.test"));
    const auto tls = services_.addressOf(site).tls;
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->status, manager::TlsStatus::SelfSigned);
    EXPECT_FALSE(tls->issuer);
    EXPECT_TRUE(tls->notAfter);

    // Nothing changed: no new set.
    const int applies = driver_.applies;
    reconciler_.runOnce();
    EXPECT_EQ(driver_.applies, applies);
    EXPECT_GE(driver_.ensureCalls, 2);
}

TEST_F(ProxyReconcilerTest, ASuspendedServiceServesTheStaticPageAndADeletedOneIsFreed) {
    const auto site = services_.create(manager_, "asso1", {"website", "site", std::nullopt});
    reconciler_.runOnce();
    services_.suspend(manager_, site.id);
    reconciler_.runOnce();
    EXPECT_NE(fileOf(site.id).find("return 503"), std::string::npos);
    EXPECT_EQ(fileOf(site.id).find("proxy_pass"), std::string::npos);
    services_.resume(manager_, site.id);
    reconciler_.runOnce();
    EXPECT_NE(fileOf(site.id).find("proxy_pass"), std::string::npos);

    services_.remove(manager_, site.id);
    reconciler_.runOnce();
    EXPECT_EQ(fileOf(site.id), "");
    auto s = db_.session();
    EXPECT_FALSE(manager::CertificateRepository(s).find("site.jardin.asso-hebergees.test"));
    EXPECT_TRUE(manager::CertificateRepository(s).find("chatiere.hebergeur.test"));
}

TEST_F(ProxyReconcilerTest, AnOwnDomainReplacesTheDefaultNameWhichIsFreed) {
    const auto site = services_.create(manager_, "asso1", {"website", "site", std::nullopt});
    reconciler_.runOnce();
    const auto moved = services_.setDomain(manager_, site.id, std::string("Jardin-Partage.example.org"));
    EXPECT_EQ(moved.domain, "jardin-partage.example.org");
    EXPECT_GT(wakes_, 1);
    reconciler_.runOnce();
    EXPECT_NE(fileOf(site.id).find("server_name jardin-partage.example.org"), std::string::npos);
    EXPECT_EQ(fileOf(site.id).find("asso-hebergees.test"), std::string::npos);
    auto s = db_.session();
    EXPECT_TRUE(manager::CertificateRepository(s).find("jardin-partage.example.org"));
    EXPECT_FALSE(manager::CertificateRepository(s).find("site.jardin.asso-hebergees.test"));

    // Back to the default name: by null, or by naming it.
    EXPECT_FALSE(
        services_.setDomain(manager_, site.id, std::string("site.jardin.asso-hebergees.test")).domain);
    EXPECT_FALSE(services_.setDomain(manager_, site.id, std::nullopt).domain);
}

TEST_F(ProxyReconcilerTest, BadDomainsAreRefusedAndNothingIsWritten) {
    const auto site = services_.create(manager_, "asso1", {"website", "site", std::nullopt});
    const auto other =
        services_.create(manager_, "asso1", {"website", "other", std::string("autre.example.org")});
    EXPECT_EQ(other.domain, "autre.example.org");
    reconciler_.runOnce();
    const int applies = driver_.applies;
    for (const std::string& bad :
         std::vector<std::string>{"localhost", "*.example.org", "a..b", "192.0.2.1", std::string(254, 'a'),
                                  "blog.jardin.asso-hebergees.test", "asso-hebergees.test",
                                  "chatiere.hebergeur.test", "x.hebergeur.test"}) {
        try {
            services_.setDomain(manager_, site.id, bad);
            ADD_FAILURE() << bad << " accepted";
        } catch (const manager::Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Validation) << bad << ": " << e.what();
            EXPECT_EQ(e.code(), "invalid_domain") << bad;
        }
    }
    try {
        services_.setDomain(manager_, site.id, std::string("autre.example.org"));
        ADD_FAILURE() << "another service's domain accepted";
    } catch (const manager::Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Conflict);
        EXPECT_EQ(e.code(), "domain_taken");
    }
    EXPECT_FALSE(service(site.id)->domain);
    reconciler_.runOnce();
    EXPECT_EQ(driver_.applies, applies);
}

TEST_F(ProxyReconcilerTest, ARefusedFileKeepsThePreviousOneServingAndOpensAnAlert) {
    const auto site = services_.create(manager_, "asso1", {"website", "site", std::nullopt});
    const auto blog = services_.create(manager_, "asso1", {"website", "blog", std::nullopt});
    reconciler_.runOnce();
    const std::string working = fileOf(site.id);

    // The site's new file is refused; the blog's change still goes through.
    driver_.refuseMarker = "jardin-partage.example.org";
    services_.setDomain(manager_, site.id, std::string("jardin-partage.example.org"));
    services_.suspend(manager_, blog.id);
    const auto pass = reconciler_.runOnce();
    EXPECT_EQ(pass.refused, 1);
    EXPECT_EQ(fileOf(site.id), working);
    EXPECT_NE(fileOf(blog.id).find("return 503"), std::string::npos);
    ASSERT_TRUE(service(site.id)->proxyError);
    EXPECT_NE(service(site.id)->proxyError->find("refused"), std::string::npos);
    EXPECT_FALSE(service(blog.id)->proxyError);
    const auto alerts = openAlerts();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].key, "proxy:" + site.id);
    EXPECT_EQ(alerts[0].kind, "proxy");
    // The old name keeps its certificate while the working file names it.
    EXPECT_TRUE(driver_.findCertificate("site.jardin.asso-hebergees.test"));

    // Not tried again while unchanged.
    const int applies = driver_.applies;
    reconciler_.runOnce();
    EXPECT_EQ(driver_.applies, applies);
    EXPECT_TRUE(service(site.id)->proxyError);

    // Fixed: the new file serves, the error and the alert go.
    driver_.refuseMarker.clear();
    services_.setDomain(manager_, site.id, std::nullopt);
    reconciler_.runOnce();
    EXPECT_FALSE(service(site.id)->proxyError);
    EXPECT_TRUE(openAlerts().empty());
}

TEST_F(ProxyReconcilerTest, NginxThatCannotStartOpensAnAlert) {
    services_.create(manager_, "asso1", {"website", "site", std::nullopt});
    driver_.startError = "bind() to 127.0.0.1:443 failed (98: Address already in use)";
    const auto pass = reconciler_.runOnce();
    ASSERT_TRUE(pass.error);
    auto alerts = openAlerts();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].key, "proxy:nginx");
    EXPECT_NE(alerts[0].message.find("Address already in use"), std::string::npos);
    driver_.startError.clear();
    reconciler_.runOnce();
    EXPECT_TRUE(openAlerts().empty());
}

}  // namespace
}  // namespace chatiere::testing
