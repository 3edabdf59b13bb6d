// The system-mode proxy driver against Debian's real nginx (integration tier). The test plays
// systemd: a thread watches the request file like chatiere-proxy-reload.path and runs the packaged
// helper (packaging/proxy/proxy-reload) as the test's user, pointed at an nginx of the test (its
// main configuration includes a conf.d/ holding the packaged chatiere.conf, like Debian's) and at a
// systemctl of the test that starts it or sends it SIGHUP. Free ports, a temp folder.
#include "hosting/SystemNginxProxy.h"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "Eventually.h"
#include "MissingPart.h"
#include "ProxyTestSupport.h"
#include "hosting/NginxConfig.h"
#include "hosting/SelfSignedCertificate.h"
#include "hosting/Subprocess.h"
#include "hosting/SuspendedPage.h"

using namespace chatiere::manager;
using namespace chatiere::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kPackaging = fs::path(CHATIERE_SOURCE_DIR) / "packaging" / "proxy";

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void writeScript(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

class SystemNginxProxyTest : public ProxyDriverTest {
protected:
    void SetUp() override {
        // Every address, IPv4 and IPv6, as in system mode.
        if (!SetUpProxy("chatiere-sysproxy", "")) {
            return;
        }
        for (const char* sub : {"bin", "conf.d", "run", "log", "system/tmp", "system/run", "system/logs"}) {
            fs::create_directories(folder_ / sub);
        }
        fs::permissions(folder_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
        const std::string system = (folder_ / "system").string();
        // The host's nginx: like Debian's nginx.conf, an http {} including conf.d/*.conf.
        std::ofstream(folder_ / "system" / "nginx.conf")
            << renderOwnMainConfig(system, (folder_ / "conf.d").string());
        // The packaged include, pointed at this test's folder.
        std::ofstream(folder_ / "conf.d" / "chatiere.conf")
            << std::regex_replace(readFile(kPackaging / "chatiere.conf"),
                                  std::regex("/var/lib/chatiere-proxy"), (folder_ / "proxy").string());
        writeScript(folder_ / "bin" / "nginx", "#!/bin/sh\nexec /usr/sbin/nginx -e " + system +
                                                   "/logs/error.log -p " + system + "/ -c " + system +
                                                   "/nginx.conf \"$@\"\n");
        writeScript(folder_ / "bin" / "systemctl",
                    "#!/bin/sh\n"
                    "[ \"$2\" = nginx.service ] || exit 2\n"
                    "case $1 in\n"
                    "start) exec " +
                        (folder_ / "bin" / "nginx").string() +
                        " ;;\n"
                        "try-reload-or-restart)\n"
                        "  pid=$(cat " +
                        system +
                        "/run/nginx.pid 2>/dev/null) || exit 0\n"
                        "  kill -HUP \"$pid\" 2>/dev/null || true; exit 0 ;;\n"
                        "esac\n"
                        "exit 2\n");

        proxy_ = std::make_unique<SystemNginxProxy>(options(std::chrono::seconds(30)));
        watcher_ = std::thread([this] { watch(); });
    }

    void TearDown() override {
        stopWatching();
        if (const auto pid = findNginxMaster(folder_ / "system" / "run" / "nginx.pid", "")) {
            ::kill(*pid, SIGQUIT);
            eventually([&] { return !findNginxMaster(folder_ / "system" / "run" / "nginx.pid", ""); },
                       std::chrono::seconds(10));
        }
        TearDownProxy();
    }

    SystemNginxProxy::Options options(std::chrono::milliseconds timeout) {
        SystemNginxProxy::Options o;
        o.folder = folder_ / "proxy";
        o.requestFile = folder_ / "proxy" / "reload-request";
        o.resultFile = folder_ / "run" / "reload-result";
        o.transferLog = folder_ / "log" / "proxy-transfer.log";
        o.pidFile = folder_ / "system" / "run" / "nginx.pid";
        o.timeout = timeout;
        return o;
    }

    // What chatiere-proxy-reload.path and .service do: the helper runs when the request changes.
    void watch() {
        std::string seen;
        std::string request;
        const auto changed = [&] {
            request = readFile(folder_ / "proxy" / "reload-request");
            return !request.empty() && request != seen && !paused_;
        };
        while (!stop_) {
            // Wakes when the request changes (PathChanged=) or when the test ends.
            eventually([&] { return stop_ || changed(); }, std::chrono::seconds(60),
                       std::chrono::milliseconds(10));
            if (!stop_ && changed()) {
                seen = request;
                runHelper();
            }
        }
    }

    void stopWatching() {
        stop_ = true;
        if (watcher_.joinable()) {
            watcher_.join();
        }
    }

    ProcessResult runHelper() {
        return runProcess("/usr/bin/env",
                          {"CHATIERE_PROXY_REQUEST=" + (folder_ / "proxy" / "reload-request").string(),
                           "CHATIERE_PROXY_RESULT=" + (folder_ / "run" / "reload-result").string(),
                           "CHATIERE_PROXY_NGINX=" + (folder_ / "bin" / "nginx").string(),
                           "CHATIERE_PROXY_SYSTEMCTL=" + (folder_ / "bin" / "systemctl").string(), "/bin/sh",
                           (kPackaging / "proxy-reload").string()});
    }

    ServiceSite site() {
        proxy_->installPage(kSuspendedPageFile, renderSuspendedPage("La Fabrique", "contact@lap.test"));
        return siteOf(*proxy_);
    }

    std::vector<SiteFile> files(const ServiceSite& s) { return filesOf(*proxy_, s); }

    fs::path sitesLink() { return fs::read_symlink(folder_ / "proxy" / "sites"); }

    std::unique_ptr<SystemNginxProxy> proxy_;
    std::thread watcher_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> paused_{false};
};

TEST_F(SystemNginxProxyTest, StartsTheSystemNginxAndServesTheAppliedSetThroughTheHelper) {
    EXPECT_FALSE(proxy_->runningPid());
    proxy_->ensureRunning();  // nginx is down: a start is requested
    ASSERT_TRUE(proxy_->runningPid());
    EXPECT_TRUE(readFile(folder_ / "proxy" / "reload-request").starts_with("start "));

    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    EXPECT_EQ(sitesLink(), "sites.1");
    const std::string request = readFile(folder_ / "proxy" / "reload-request");
    EXPECT_TRUE(request.starts_with("reload ")) << request;
    EXPECT_EQ(readFile(folder_ / "run" / "reload-result"), request.substr(7, request.size() - 8) + " ok\n");
    EXPECT_TRUE(eventually([&] { return get("https", "/hello").status == 200; }, std::chrono::seconds(10)));
    const Answer page = get("https", "/hello");
    EXPECT_NE(page.body.find("upstream /hello for=127.0.0.1 proto=https host=" + kName), std::string::npos)
        << page.body;
    // IPv6 visitors too: the set listens on [::] beside IPv4's wildcard.
    const Answer six = get("https", "/hello", {}, "[::1]");
    EXPECT_EQ(six.status, 200) << six.body;
    EXPECT_NE(six.body.find("upstream /hello for=::1 proto=https host=" + kName), std::string::npos)
        << six.body;

    // The next set replaces it; the old set is removed once nginx took the new one.
    ServiceSite suspended = site();
    suspended.suspended = true;
    ASSERT_EQ(proxy_->apply(files(suspended)), std::nullopt);
    EXPECT_EQ(sitesLink(), "sites.2");
    EXPECT_FALSE(fs::exists(folder_ / "proxy" / "sites.1"));
    EXPECT_TRUE(eventually([&] { return get("https", "/").status == 503; }, std::chrono::seconds(10)));
    const std::string last = readFile(folder_ / "proxy" / "reload-request");
    proxy_->ensureRunning();  // running: nothing requested
    EXPECT_EQ(readFile(folder_ / "proxy" / "reload-request"), last);
    // The transfer log exists before nginx opens it, writable by the daemon's group.
    EXPECT_EQ(
        fs::status(folder_ / "log" / "proxy-transfer.log").permissions(),
        fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::group_write);
}

TEST_F(SystemNginxProxyTest, ASetNginxRefusesAloneNeverReachesTheHelper) {
    proxy_->ensureRunning();
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    const std::string last = readFile(folder_ / "proxy" / "reload-request");

    std::vector<SiteFile> broken = files(site());
    broken.push_back(
        {"service-svc_broken.conf", "server { listen 127.0.0.1:1 ssl; no_such_directive on; }\n"});
    const std::optional<std::string> error = proxy_->apply(broken);
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("no_such_directive"), std::string::npos) << *error;
    EXPECT_EQ(readFile(folder_ / "proxy" / "reload-request"), last);  // no request
    EXPECT_EQ(sitesLink(), "sites.1");
    EXPECT_FALSE(fs::exists(folder_ / "proxy" / "sites.2"));
    EXPECT_FALSE(fs::exists(folder_ / "proxy" / "check"));
    EXPECT_EQ(get("https", "/").status, 200);
}

TEST_F(SystemNginxProxyTest, AClashWithTheHostsFilesIsRefusedByTheRootCheckAndTheWorkingSetStays) {
    // The host's own default server on a port: alone the daemon's set is fine, in the whole
    // configuration nginx refuses a second default server there.
    const int hostPort = freePort();
    std::ofstream(folder_ / "conf.d" / "host.conf")
        << "server { listen 127.0.0.1:" << hostPort << " default_server; return 404; }\n";
    proxy_->ensureRunning();
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    ASSERT_TRUE(eventually([&] { return get("https", "/").status == 200; }, std::chrono::seconds(10)));

    ServiceSite suspended = site();
    suspended.suspended = true;
    std::vector<SiteFile> clashing = files(suspended);
    clashing.push_back({"service-svc_clash.conf", "server { listen 127.0.0.1:" + std::to_string(hostPort) +
                                                      " default_server; return 200; }\n"});
    const std::optional<std::string> error = proxy_->apply(clashing);
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("duplicate default server"), std::string::npos) << *error;
    // The working set was swapped back and its reload requested again (and answered ok: the last
    // request's id).
    const std::string request = readFile(folder_ / "proxy" / "reload-request");
    EXPECT_EQ(readFile(folder_ / "run" / "reload-result"), request.substr(7, request.size() - 8) + " ok\n");
    EXPECT_EQ(sitesLink(), "sites.1");
    EXPECT_FALSE(fs::exists(folder_ / "proxy" / "sites.2"));
    EXPECT_EQ(get("https", "/").status, 200);  // not the suspended page: nginx kept the working set

    // Without the clash the same set goes through.
    clashing.pop_back();
    ASSERT_EQ(proxy_->apply(clashing), std::nullopt);
    EXPECT_TRUE(eventually([&] { return get("https", "/").status == 503; }, std::chrono::seconds(10)));
}

TEST_F(SystemNginxProxyTest, NoAnswerFromTheHelperSwapsTheWorkingSetBack) {
    proxy_->ensureRunning();
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    paused_ = true;  // the path unit is not enabled
    SystemNginxProxy impatient(options(std::chrono::milliseconds(300)));
    ServiceSite suspended = site();
    suspended.suspended = true;
    const std::optional<std::string> error = impatient.apply(files(suspended));
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("no answer to 'reload' from chatiere-proxy-reload"), std::string::npos) << *error;
    EXPECT_EQ(sitesLink(), "sites.1");
    EXPECT_FALSE(fs::exists(folder_ / "proxy" / "sites.2"));
    EXPECT_EQ(get("https", "/").status, 200);
}

TEST_F(SystemNginxProxyTest, AKilledNginxIsStartedAgainThroughTheHelper) {
    proxy_->ensureRunning();
    ASSERT_EQ(proxy_->apply(files(site())), std::nullopt);
    const int pid = *proxy_->runningPid();
    ASSERT_EQ(::kill(-pid, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return !proxy_->runningPid(); }, std::chrono::seconds(10)));

    proxy_->ensureRunning();
    ASSERT_TRUE(proxy_->runningPid());
    EXPECT_NE(*proxy_->runningPid(), pid);
    EXPECT_EQ(get("https", "/").status, 200);
}

TEST_F(SystemNginxProxyTest, TheHelperReadsNothingButTwoWordsOfTheRequest) {
    stopWatching();
    const fs::path request = folder_ / "proxy" / "reload-request";
    fs::create_directories(request.parent_path());
    for (const std::string bad :
         {"reboot 1f\n", "reload ../../etc\n", "reload 1f; rm -rf /\n", "reload\n",
          "start 0123456789abcdef0123456789abcdef0\n", "reload $(id)\n", "RELOAD 1f\n"}) {
        std::ofstream(request, std::ios::trunc) << bad;
        const ProcessResult r = runHelper();
        EXPECT_EQ(r.exitCode, 1) << bad << r.output;
        EXPECT_FALSE(fs::exists(folder_ / "run" / "reload-result")) << bad;
    }
    EXPECT_FALSE(fs::exists(folder_ / "system" / "run" / "nginx.pid"));  // nothing started

    // A link is not followed, and an absent request is nothing to do.
    fs::remove(request);
    EXPECT_EQ(runHelper().exitCode, 0);
    fs::create_symlink(folder_ / "elsewhere", request);
    std::ofstream(folder_ / "elsewhere") << "start 1f\n";
    EXPECT_EQ(runHelper().exitCode, 0);
    EXPECT_FALSE(fs::exists(folder_ / "run" / "reload-result"));

    // A configuration nginx refuses: its words in the result, nothing reloaded or started.
    fs::remove(request);
    std::ofstream(folder_ / "conf.d" / "broken.conf") << "no_such_directive on;\n";
    std::ofstream(request) << "start 2e\n";
    EXPECT_EQ(runHelper().exitCode, 0);
    const std::string result = readFile(folder_ / "run" / "reload-result");
    EXPECT_TRUE(result.starts_with("2e error\n")) << result;
    EXPECT_NE(result.find("no_such_directive"), std::string::npos) << result;
    EXPECT_FALSE(fs::exists(folder_ / "system" / "run" / "nginx.pid"));
}

}  // namespace
