// Certificates from a real ACME server: Debian's pebble (and challtestsrv) on loopback, dehydrated
// as the client, HTTP-01 answered by Chatière's own nginx instance (integration tier).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "MissingPart.h"
#include "Pebble.h"
#include "hosting/DehydratedClient.h"
#include "hosting/NginxConfig.h"
#include "hosting/NginxProxy.h"
#include "hosting/SelfSignedCertificate.h"
#include "hosting/Subprocess.h"

using namespace chatiere::manager;
using chatiere::testing::freeLoopbackPort;
using chatiere::testing::Pebble;
namespace fs = std::filesystem;

namespace {

const std::string kName = "site.amap-breal.asso.test";

class AcmeTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!Pebble::installed() || !fs::exists("/usr/bin/dehydrated") || !fs::exists("/usr/sbin/nginx")) {
            CHATIERE_MISSING_PART("pebble, pebble-challtestsrv, dehydrated or nginx (Debian packages)");
        }
        std::string pattern = (fs::temp_directory_path() / "chatiere-acme-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        // Traversable: as root (CI), nginx's workers run as nobody and read the ACME webroot below.
        fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        listen_ = {"127.0.0.1", freeLoopbackPort(), freeLoopbackPort(), 0};
        listen_.publicHttpsPort = listen_.httpsPort;
        proxy_ = std::make_unique<NginxProxy>(NginxProxy::Options{dir_ / "proxy"});
        pebble_ = std::make_unique<Pebble>(dir_ / "pebble", listen_.httpPort);
        ASSERT_TRUE(pebble_->answers()) << "pebble did not answer (see " << (dir_ / "pebble") << ")";
        client_ = std::make_unique<DehydratedClient>(DehydratedClient::Options{
            "/usr/bin/dehydrated", dir_ / "acme",
            fs::path(proxy_->layout().acmeWebroot) / ".well-known/acme-challenge",
            AcmeSettings{pebble_->directoryUrl(), "admin@lap.test", pebble_->caFile()}});
    }

    void TearDown() override {
        if (proxy_) {
            proxy_->stop();
        }
        pebble_.reset();
        if (!dir_.empty()) {
            fs::remove_all(dir_);
        }
    }

    // The proxy serving a static site for kName (an upstream is not needed: a suspended page).
    std::optional<std::string> serve(const SiteCertificate& tls) {
        ServiceSite site;
        site.serviceId = "svc_acme";
        site.names = {kName};
        site.upstreamPort = freeLoopbackPort();
        site.suspended = true;
        site.tls = tls;
        proxy_->installPage("suspended.html", "suspended\n");
        return proxy_->apply(
            {{kHttpContextFile, renderHttpContext(proxy_->layout(), listen_)},
             {serviceSiteFile(site.serviceId), renderServiceSite(site, proxy_->layout(), listen_)}});
    }

    fs::path dir_;
    ProxyListen listen_;
    std::unique_ptr<NginxProxy> proxy_;
    std::unique_ptr<Pebble> pebble_;
    std::unique_ptr<DehydratedClient> client_;
};

TEST_F(AcmeTest, PebbleIssuesACertificateThatNginxServes) {
    const SiteCertificate tls =
        proxy_->installCertificate(kName, makeSelfSignedCertificate(kName, std::chrono::system_clock::now()));
    ASSERT_EQ(serve(tls), std::nullopt);
    proxy_->ensureRunning();

    const AcmeOutcome outcome = client_->issue(kName);
    ASSERT_TRUE(outcome.issued) << outcome.error;
    const CertificateInfo info = readCertificate(outcome.certificate.certificatePem);
    EXPECT_EQ(info.dnsNames, std::vector<std::string>{kName});
    EXPECT_FALSE(info.selfSigned);
    EXPECT_NE(info.issuer.find("Pebble"), std::string::npos) << info.issuer;

    EXPECT_EQ(proxy_->installCertificate(kName, outcome.certificate).certificate, tls.certificate);
    ASSERT_EQ(serve(tls), std::nullopt);  // the same paths: a reload serves the new files
    const std::string root = pebble_->rootFile();
    const std::string port = std::to_string(listen_.httpsPort);
    const bool verified = chatiere::testing::eventually(
        [&] {
            return runProcess("/usr/bin/curl", {"-s", "-o", "/dev/null", "--max-time", "5", "--resolve",
                                                kName + ":" + port + ":127.0.0.1", "--cacert", root,
                                                "https://" + kName + ":" + port + "/"})
                       .exitCode == 0;
        },
        std::chrono::seconds(10));
    EXPECT_TRUE(verified) << "the served chain does not verify against pebble's root";
}

TEST_F(AcmeTest, AFailedOrderSaysWhyAndChangesNothing) {
    // No proxy answers on pebble's HTTP-01 port: the challenge cannot be fetched.
    const AcmeOutcome outcome = client_->issue("never-validated.asso.test");
    EXPECT_FALSE(outcome.issued);
    EXPECT_NE(outcome.error.find("connection"), std::string::npos) << outcome.error;
    EXPECT_FALSE(proxy_->findCertificate("never-validated.asso.test"));

    EXPECT_FALSE(client_->issue("a.org; rm -rf /").issued);
}

TEST(DehydratedClient, RefusesSettingsBashWouldInterpret) {
    const fs::path base = fs::temp_directory_path() / ("chatiere-dehydrated-" + std::to_string(::getpid()));
    for (const AcmeSettings& bad : {AcmeSettings{"https://ca.example/dir\"; rm -rf / #", "", ""},
                                    AcmeSettings{"https://ca.example/dir", "$(reboot)@x.example", ""},
                                    AcmeSettings{"https://ca.example/dir", "a@x.example", "/ca file.pem"},
                                    AcmeSettings{"https://ca.example/dir`x`", "", ""}}) {
        EXPECT_THROW(DehydratedClient({"/usr/bin/dehydrated", base, base / "wk", bad}),
                     std::invalid_argument);
    }
    fs::remove_all(base);
}

}  // namespace
