// The own-mode proxy driver against Debian's real nginx (integration tier): free ports, a temp
// prefix, a tiny HTTP server of the test as the service's upstream, curl as the visitor.
#include "hosting/NginxProxy.h"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "Eventually.h"
#include "MissingPart.h"
#include "ProxyTestSupport.h"
#include "hosting/NginxConfig.h"
#include "hosting/ProxyFolder.h"
#include "hosting/SelfSignedCertificate.h"
#include "hosting/Subprocess.h"
#include "hosting/SuspendedPage.h"

using namespace chatiere::manager;
using chatiere::testing::eventually;
using namespace chatiere::testing;
namespace fs = std::filesystem;

namespace {

class NginxProxyTest : public ProxyDriverTest {
protected:
    void SetUp() override {
        if (SetUpProxy("chatiere-proxy", "127.0.0.1")) {
            proxy_ = std::make_unique<NginxProxy>(NginxProxy::Options{folder_});
        }
    }

    void TearDown() override {
        if (proxy_) {
            proxy_->stop();
        }
        if (other_) {
            other_->stop();
            fs::remove_all(other_->prefix());
        }
        TearDownProxy();
    }

    // The editor's kind of site: a WebSocket, private paths, a body size.
    ServiceSite site() {
        ServiceSite s = siteOf(*proxy_);
        s.maxBodyMib = 2;
        s.websocket = true;
        s.privatePaths = {"/api", "/admin"};
        return s;
    }

    std::vector<SiteFile> files(const ServiceSite& s) { return filesOf(*proxy_, s); }

    std::unique_ptr<NginxProxy> proxy_;
    std::unique_ptr<NginxProxy> other_;  // another installation's nginx, when a test starts one
};

TEST_F(NginxProxyTest, ServesAServiceOverHttpsWithItsSelfSignedCertificate) {
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    proxy_->ensureRunning();
    ASSERT_TRUE(proxy_->runningPid());

    const Answer page = get("https", "/p/hello?x=1");
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("upstream /p/hello?x=1 for=127.0.0.1 proto=https host=" + kName),
              std::string::npos)
        << page.body;
    // The editor's WebSocket handshake reaches the guest as one (the upgrade map of 00-http.conf).
    const Answer upgrade = get("https", "/socket.io/?transport=websocket",
                               {"-H", "Connection: Upgrade", "-H", "Upgrade: websocket"});
    EXPECT_NE(upgrade.body.find("upgrade=websocket connection=upgrade"), std::string::npos) << upgrade.body;
    EXPECT_NE(page.body.find("upgrade= connection=close"), std::string::npos) << page.body;

    // A forwarded address the client made up is replaced by the address nginx saw.
    const Answer forged =
        get("https", "/", {"-H", "X-Forwarded-For: 203.0.113.9", "-H", "X-Forwarded-Proto: http"});
    EXPECT_NE(forged.body.find("for=127.0.0.1 proto=https"), std::string::npos) << forged.body;
    for (const std::string hidden :
         {"/api/1/listAllPads", "/admin", "/ADMIN/settings", "/%61pi/1", "//api"}) {
        const Answer answer = get("https", hidden);
        EXPECT_EQ(answer.status, 404) << hidden << ": " << answer.body;
        EXPECT_EQ(answer.body.find("upstream"), std::string::npos) << hidden;
    }
    EXPECT_EQ(get("https", "/apiary").status, 200);  // only the paths themselves are private
}

TEST_F(NginxProxyTest, HttpRedirectsToHttpsExceptAcmeChallenges) {
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    proxy_->ensureRunning();
    std::ofstream(fs::path(proxy_->layout().acmeWebroot) / ".well-known/acme-challenge/tok3n")
        << "tok3n.thumbprint";

    const Answer redirect = get("http", "/page?a=b");
    EXPECT_EQ(redirect.status, 301) << redirect.body;
    EXPECT_NE(redirect.headers.find("Location: https://" + kName + ":" + std::to_string(listen_.httpsPort) +
                                    "/page?a=b"),
              std::string::npos)
        << redirect.headers;
    const Answer challenge = get("http", "/.well-known/acme-challenge/tok3n");
    EXPECT_EQ(challenge.status, 200);
    EXPECT_EQ(challenge.body, "tok3n.thumbprint");
}

TEST_F(NginxProxyTest, ARefusedSetKeepsTheWorkingOneServing) {
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    proxy_->ensureRunning();
    ASSERT_EQ(get("https", "/").status, 200);
    const auto link = fs::read_symlink(folder_ / "sites");

    std::vector<SiteFile> broken = files(site());
    broken.push_back(
        {"service-svc_broken.conf", "server { listen 127.0.0.1:1 ssl; no_such_directive on; }\n"});
    const std::optional<std::string> error = proxy_->apply(broken);
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("no_such_directive"), std::string::npos) << *error;

    EXPECT_EQ(fs::read_symlink(folder_ / "sites"), link);
    EXPECT_FALSE(fs::exists(folder_ / "sites.2"));
    proxy_->reload();  // even a reload re-reads only the working set
    EXPECT_TRUE(eventually([&] { return get("https", "/").status == 200; }, std::chrono::seconds(10)));

    // The next good set is taken, and the old one removed.
    ServiceSite suspended = site();
    suspended.suspended = true;
    proxy_->installPage(kSuspendedPageFile, renderSuspendedPage("La Fabrique", "contact@lap.test"));
    ASSERT_EQ(proxy_->apply(files(suspended)), std::nullopt);
    EXPECT_TRUE(eventually([&] { return get("https", "/").status == 503; }, std::chrono::seconds(10)));
    EXPECT_FALSE(fs::exists(folder_ / link));
}

TEST_F(NginxProxyTest, ASuspendedServiceAnswersTheBilingual503Page) {
    ServiceSite s = site();
    s.suspended = true;
    proxy_->installPage(kSuspendedPageFile, renderSuspendedPage("La Fabrique", "contact@lap.test"));
    ASSERT_EQ(proxy_->apply(files(s)), std::nullopt);
    proxy_->ensureRunning();
    const Answer answer = get("https", "/any/page");
    EXPECT_EQ(answer.status, 503);
    EXPECT_NE(answer.headers.find("Retry-After: 3600"), std::string::npos) << answer.headers;
    EXPECT_NE(answer.headers.find("text/html; charset=utf-8"), std::string::npos) << answer.headers;
    EXPECT_NE(answer.body.find("Service suspendu"), std::string::npos);
    EXPECT_NE(answer.body.find("Service suspended"), std::string::npos);
    EXPECT_EQ(answer.body.find("upstream"), std::string::npos);
}

TEST_F(NginxProxyTest, AKilledNginxIsStartedAgain) {
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    proxy_->ensureRunning();
    const int pid = *proxy_->runningPid();
    // The master and its workers (nginx's master leads their process group).
    ASSERT_EQ(::kill(-pid, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return !proxy_->runningPid(); }, std::chrono::seconds(10)));
    EXPECT_NE(get("https", "/").status, 200);

    proxy_->ensureRunning();
    ASSERT_TRUE(proxy_->runningPid());
    EXPECT_NE(*proxy_->runningPid(), pid);
    EXPECT_EQ(get("https", "/").status, 200);
}

TEST_F(NginxProxyTest, AMasterKilledAloneLeavesWorkersThatAreStoppedBeforeTheNextStart) {
    // Another installation's nginx on the same machine, whose prefix begins with this one's.
    const fs::path otherPrefix = folder_.string() + "-other";
    other_ = std::make_unique<NginxProxy>(NginxProxy::Options{otherPrefix});
    NginxProxy& other = *other_;
    ProxyListen otherListen{"127.0.0.1", freePort(), freePort(), 0};
    otherListen.publicHttpsPort = otherListen.httpsPort;
    ServiceSite otherSite = site();
    otherSite.tls = other.installCertificate(kName, certificate_);
    ASSERT_EQ(other.apply({{kHttpContextFile, renderHttpContext(other.layout(), otherListen)},
                           {serviceSiteFile(otherSite.serviceId),
                            renderServiceSite(otherSite, other.layout(), otherListen)}}),
              std::nullopt);
    other.ensureRunning();
    const int otherPid = *other.runningPid();
    const std::vector<int> otherProcesses = findInstanceProcesses("/proc", otherPrefix);
    ASSERT_GE(otherProcesses.size(), 2u);  // its master and a worker at least

    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    proxy_->ensureRunning();
    const int pid = *proxy_->runningPid();
    const std::vector<int> before = findInstanceProcesses("/proc", folder_);
    ASSERT_GE(before.size(), 2u);
    // The master alone: its workers live on, holding the listening sockets, and keep serving.
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return !proxy_->runningPid(); }, std::chrono::seconds(10)));
    const std::vector<int> orphans = findInstanceProcesses("/proc", folder_);
    ASSERT_FALSE(orphans.empty());
    for (const int orphan : orphans) {
        EXPECT_NE(orphan, pid);
    }

    proxy_->ensureRunning();  // the orphans stopped, a new master bound the ports
    ASSERT_TRUE(proxy_->runningPid());
    EXPECT_NE(*proxy_->runningPid(), pid);
    for (const int now : findInstanceProcesses("/proc", folder_)) {
        EXPECT_EQ(std::find(orphans.begin(), orphans.end(), now), orphans.end()) << now;
    }
    EXPECT_EQ(get("https", "/").status, 200);

    // The other installation was left alone: the same processes, still serving.
    EXPECT_EQ(other.runningPid(), otherPid);
    EXPECT_EQ(findInstanceProcesses("/proc", otherPrefix), otherProcesses);
    EXPECT_EQ(
        visit("https", kName, otherListen.httpsPort, "/", folder_ / "ca.pem", folder_ / "other.txt").status,
        200);
    other.stop();
    EXPECT_TRUE(findInstanceProcesses("/proc", otherPrefix).empty());
}

TEST_F(NginxProxyTest, ChatieresOwnPagesSeeTheProxyFromItsOwnAddress) {
    // nginx reaches the daemon from 127.0.0.2 (proxy_bind), an address no guest's connection can
    // come from (QEMU's user networking arrives from 127.0.0.1): what http.trusted_proxies believes.
    PagesSite pages;
    pages.host = kName;
    pages.upstreamPort = upstream_->port();
    pages.tls = proxy_->installCertificate(kName, certificate_);
    ASSERT_EQ(proxy_->apply({{kHttpContextFile, renderHttpContext(proxy_->layout(), listen_)},
                             {kPagesSiteFile, renderPagesSite(pages, proxy_->layout(), listen_)}}),
              std::nullopt);
    proxy_->ensureRunning();
    const Answer answer = get("https", "/login", {"-H", "X-Forwarded-For: 203.0.113.9"});
    EXPECT_EQ(answer.status, 200) << answer.body;
    EXPECT_NE(answer.body.find("for=127.0.0.1 proto=https host=" + kName + " peer=127.0.0.2"),
              std::string::npos)
        << answer.body;
}

TEST_F(NginxProxyTest, StartsWithNoSetAndRefusesUnsafeFileNames) {
    proxy_->ensureRunning();  // an empty set applied first
    EXPECT_TRUE(proxy_->runningPid());
    EXPECT_THROW(proxy_->apply({{"../evil.conf", ""}}), std::invalid_argument);
    EXPECT_THROW(proxy_->apply({{"x.txt", ""}}), std::invalid_argument);
    EXPECT_THROW(proxy_->installCertificate("../etc", certificate_), std::invalid_argument);
    EXPECT_THROW(proxy_->installPage("../nginx.conf", ""), std::invalid_argument);
}

}  // namespace
