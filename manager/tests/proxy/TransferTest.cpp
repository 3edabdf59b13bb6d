// The transfer log end to end (integration tier, docs/public-addresses.md "Transfer log"): Debian's
// real nginx in own mode serving a service whose upstream is a small HTTP server of the test that
// answers a body of known size, curl as the visitor, the reader on a real SQLite file. What curl
// received over HTTP (headers + body: nginx's $bytes_sent) is what the service's transfer grows
// by — exactly, once, across a rotation (rename + reopen) and a restart of the reader.
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "Eventually.h"
#include "MissingPart.h"
#include "chatiere/base/Clock.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Time.h"
#include "hosting/NginxConfig.h"
#include "hosting/NginxProxy.h"
#include "hosting/SelfSignedCertificate.h"
#include "hosting/Subprocess.h"
#include "monitoring/TransferLog.h"
#include "monitoring/UsageRollup.h"
#include "store/Services.h"
#include "store/Transfer.h"
#include "store/Usage.h"

using namespace chatiere::manager;
using chatiere::testing::eventually;
namespace fs = std::filesystem;

namespace {

const std::string kName = "site.jardin.asso.test";
const std::string kService = "svc_site";

// Answers /bytes/<n> with a body of n bytes (a Content-Length, no chunks).
class BodyHandler : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        const std::string uri = request.getURI();
        const std::size_t n = uri.rfind("/bytes/", 0) == 0 ? std::stoul(uri.substr(7)) : 0;
        const std::string body(n, 'x');
        response.setContentType("application/octet-stream");
        response.setContentLength(static_cast<std::streamsize>(body.size()));
        response.send() << body;
    }
};

class BodyFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new BodyHandler;
    }
};

int freePort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

class TransferTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists("/usr/sbin/nginx") || !fs::exists("/usr/bin/curl")) {
            CHATIERE_MISSING_PART("nginx or curl (packaging/scripts/deps.sh test installs them)");
        }
        std::string pattern = (fs::temp_directory_path() / "chatiere-transfer-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        // Traversable: run as root, nginx's workers (nobody) reopen the logs under it.
        fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        db_ = std::make_unique<Database>((dir_ / "chatiere.db").string());
        db_->migrate();
        {
            auto s = db_->session();
            s.execute(
                "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES "
                "('asso1', 'Jardin', 'association', 'j@jardin.test', 'active', '2026-01-01T00:00:00Z', "
                "'2026-01-01T00:00:00Z')");
            Service service;
            service.id = kService;
            service.associationId = "asso1";
            service.name = "site";
            service.templateName = "website";
            service.state = ServiceState::Active;
            service.createdAt = service.updatedAt = "2026-01-01T00:00:00Z";
            ServiceRepository(s).insert(service);
        }
        upstream_ = std::make_unique<Poco::Net::HTTPServer>(
            new BodyFactory, Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
            new Poco::Net::HTTPServerParams);
        upstream_->start();
        listen_ = {"127.0.0.1", freePort(), freePort(), 0};
        listen_.publicHttpsPort = listen_.httpsPort;
        proxy_ = std::make_unique<NginxProxy>(NginxProxy::Options{dir_ / "proxy"});
        const CertificatePair certificate =
            makeSelfSignedCertificate(kName, std::chrono::system_clock::now());
        std::ofstream(dir_ / "ca.pem") << certificate.certificatePem;
        ServiceSite site;
        site.serviceId = kService;
        site.names = {kName};
        site.upstreamPort = upstream_->port();
        site.tls = proxy_->installCertificate(kName, certificate);
        ASSERT_EQ(
            proxy_->apply({{kHttpContextFile, renderHttpContext(proxy_->layout(), listen_)},
                           {serviceSiteFile(kService), renderServiceSite(site, proxy_->layout(), listen_)}}),
            std::nullopt);
        proxy_->ensureRunning();
        log_ = proxy_->layout().transferLog;
    }

    void TearDown() override {
        if (proxy_) {
            proxy_->stop();
        }
        if (upstream_) {
            upstream_->stop();
        }
        db_.reset();
        if (!dir_.empty()) {
            fs::remove_all(dir_);
        }
    }

    // One visit over HTTPS; the bytes curl received over HTTP (headers + body), what nginx counts
    // as $bytes_sent.
    int64_t visit(int bodyBytes) {
        const std::string port = std::to_string(listen_.httpsPort);
        const ProcessResult r = runProcess(
            "/usr/bin/curl",
            {"-s", "-o", "/dev/null", "--max-time", "10", "--resolve", kName + ":" + port + ":127.0.0.1",
             "--cacert", (dir_ / "ca.pem").string(), "-w", "%{http_code} %{size_header} %{size_download}",
             "https://" + kName + ":" + port + "/bytes/" + std::to_string(bodyBytes)});
        EXPECT_EQ(r.exitCode, 0) << r.output;
        std::istringstream in(r.output);
        int status = 0;
        int64_t header = 0;
        int64_t body = 0;
        in >> status >> header >> body;
        EXPECT_EQ(status, 200) << r.output;
        EXPECT_EQ(body, bodyBytes);
        ++visits_;
        return header + body;
    }

    static int64_t lines(const fs::path& file) {
        std::ifstream in(file);
        int64_t n = 0;
        for (std::string line; std::getline(in, line);) {
            ++n;
        }
        return n;
    }
    // nginx writes a request's line once it has finished it: wait until every visit's line is in.
    void waitForTheLog() {
        ASSERT_TRUE(
            eventually([&] { return replaced_ + lines(log_) + lines(log_.string() + ".1") >= visits_; },
                       std::chrono::seconds(10)));
    }

    TransferLog reader() { return TransferLog(*db_, clock_, Poco::Logger::get("test.transfer"), log_, 7); }
    int64_t total() {
        auto s = db_->session();
        for (const auto& t : TransferRepository(s).totals()) {
            if (t.serviceId == kService) {
                return t.bytes;
            }
        }
        return 0;
    }

    fs::path dir_;
    std::unique_ptr<Database> db_;
    chatiere::base::ManualClock clock_{std::chrono::system_clock::now()};
    std::unique_ptr<Poco::Net::HTTPServer> upstream_;
    ProxyListen listen_;
    std::unique_ptr<NginxProxy> proxy_;
    fs::path log_;
    int64_t visits_ = 0;
    int64_t replaced_ = 0;  // lines of rotated files replaced by a later rotation (read before)
};

TEST_F(TransferTest, GrowsByWhatNginxSentOnceAcrossARotationAndARestart) {
    int64_t expected = 0;
    for (int i = 0; i < 5; ++i) {
        expected += visit(10000 + i);
    }
    waitForTheLog();
    TransferReport r = reader().readOnce();
    EXPECT_EQ(r.lines, 5);
    EXPECT_EQ(r.bytes, expected);
    EXPECT_EQ(total(), expected);
    EXPECT_EQ(reader().readOnce().bytes, 0);  // nothing new: nothing counted twice

    // Visits not read yet, then a rotation (rename + reopen), then more visits: a new reader (the
    // daemon restarted) finishes the rotated file from its cursor, then reads the new one.
    for (int i = 0; i < 3; ++i) {
        expected += visit(70000);
    }
    waitForTheLog();
    fs::rename(log_, log_.string() + ".1");
    ASSERT_TRUE(proxy_->runningPid());
    proxy_->reopenLogs();
    ASSERT_TRUE(eventually([&] { return fs::exists(log_); }, std::chrono::seconds(10)));
    for (int i = 0; i < 4; ++i) {
        expected += visit(123);
    }
    waitForTheLog();
    r = reader().readOnce();
    EXPECT_TRUE(r.rotated);
    EXPECT_FALSE(r.lost);
    EXPECT_EQ(r.lines, 7);
    EXPECT_EQ(total(), expected);
    EXPECT_EQ(reader().readOnce().bytes, 0);
    EXPECT_EQ(total(), expected);

    // The driver's own rotation: past the size, the log is renamed and nginx reopens it.
    replaced_ = lines(log_.string() + ".1");
    ASSERT_TRUE(proxy_->rotateTransferLog(0));  // (the visits may all be in .1: a worker reopens late)
    ASSERT_TRUE(eventually([&] { return fs::exists(log_); }, std::chrono::seconds(10)));
    expected += visit(1);
    waitForTheLog();
    reader().readOnce();
    EXPECT_EQ(total(), expected);
    EXPECT_FALSE(proxy_->rotateTransferLog(1U << 30));  // under the size: left alone

    // In the usage data: the association's transfer over the day, once rolled up.
    const Calendar calendar;
    clock_.advance(std::chrono::hours(1));
    UsageRollup(*db_, calendar, 90).run(clock_.now());
    auto s = db_->session();
    const std::string from = calendar.dateOf(clock_.now() - std::chrono::hours(2));
    const StoredFigures figures = storedOver(s, "asso1", from, Calendar::addDays(from, 2));
    EXPECT_EQ(figures.transferBytes, expected);
}

}  // namespace
