#pragma once

// What the proxy drivers' tests share: a tiny HTTP server as a service's upstream, free ports, curl
// as the visitor, and the fixture both drivers' tests start from (ProxyDriverTest).

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "MissingPart.h"
#include "hosting/NginxConfig.h"
#include "hosting/ProxyDriver.h"
#include "hosting/SelfSignedCertificate.h"
#include "hosting/Subprocess.h"

#include <stdlib.h>

namespace chatiere::testing {

// Answers every request with what it saw of the forwarded headers.
class EchoHandler : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        response.setContentType("text/plain");
        response.send() << "upstream " << request.getURI() << " for=" << request.get("X-Forwarded-For", "")
                        << " proto=" << request.get("X-Forwarded-Proto", "") << " host=" << request.getHost()
                        << " peer=" << request.clientAddress().host().toString()
                        << " upgrade=" << request.get("Upgrade", "")
                        << " connection=" << request.get("Connection", "");
    }
};

class EchoFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new EchoHandler;
    }
};

// The echo server, started on a free port of 127.0.0.1.
inline std::unique_ptr<Poco::Net::HTTPServer> startEchoServer() {
    auto server = std::make_unique<Poco::Net::HTTPServer>(
        new EchoFactory, Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
        new Poco::Net::HTTPServerParams);
    server->start();
    return server;
}

// A new folder under the temp directory, named <name>-XXXXXX.
inline std::filesystem::path makeTempFolder(const std::string& name) {
    std::string pattern = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp " + pattern);
    }
    return pattern;
}

inline int freePort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

struct Answer {
    int status = 0;
    std::string headers;
    std::string body;
};

// curl as a visitor of `name` at `address`:`port` (127.0.0.1, or "[::1]"), with `caFile` as its
// only CA (so the answer proves nginx served that certificate for that name); the headers go
// through `headersFile`.
inline Answer visit(const std::string& scheme, const std::string& name, int port, const std::string& path,
                    const std::filesystem::path& caFile, const std::filesystem::path& headersFile,
                    const std::vector<std::string>& extra = {}, const std::string& address = "127.0.0.1") {
    const std::string url = scheme + "://" + name + ":" + std::to_string(port) + path;
    std::vector<std::string> args = {"-s",
                                     "--max-time",
                                     "10",
                                     "--resolve",
                                     name + ":" + std::to_string(port) + ":" + address,
                                     "--cacert",
                                     caFile.string(),
                                     "-D",
                                     headersFile.string(),
                                     "-w",
                                     "\n%{http_code}",
                                     url};
    args.insert(args.end(), extra.begin(), extra.end());
    const manager::ProcessResult r = manager::runProcess("/usr/bin/curl", args);
    Answer answer;
    const auto last = r.output.rfind('\n');
    if (r.exitCode != 0 || last == std::string::npos) {
        answer.body = "curl failed (" + std::to_string(r.exitCode) + "): " + r.output;
        return answer;
    }
    answer.status = std::atoi(r.output.substr(last + 1).c_str());
    answer.body = r.output.substr(0, last);
    std::ifstream in(headersFile);
    answer.headers.assign(std::istreambuf_iterator<char>(in), {});
    return answer;
}

// The name the drivers' tests serve.
inline const std::string kName = "site.amap-breal.asso.test";

// A temp folder, the echo server as the service's upstream, free ports, kName's self-signed
// certificate (curl's only CA: an answer proves nginx served it for that name). Each driver's test
// makes its driver in SetUp after SetUpProxy(), and stops it in TearDown before TearDownProxy().
class ProxyDriverTest : public ::testing::Test {
protected:
    // False when nginx or curl is missing (the test then returns: CHATIERE_MISSING_PART has run).
    bool SetUpProxy(const std::string& folderName, const std::string& listenAddress) {
        if (!std::filesystem::exists("/usr/sbin/nginx") || !std::filesystem::exists("/usr/bin/curl")) {
            [] { CHATIERE_MISSING_PART("nginx or curl (packaging/scripts/deps.sh test installs them)"); }();
            return false;
        }
        folder_ = makeTempFolder(folderName);
        upstream_ = startEchoServer();
        listen_ = {listenAddress, freePort(), freePort(), 0};
        listen_.publicHttpsPort = listen_.httpsPort;
        certificate_ = manager::makeSelfSignedCertificate(kName, std::chrono::system_clock::now());
        std::ofstream(folder_ / "ca.pem") << certificate_.certificatePem;
        return true;
    }

    void TearDownProxy() {
        if (upstream_) {
            upstream_->stop();
        }
        if (!folder_.empty()) {
            std::filesystem::remove_all(folder_);
        }
    }

    // kName's site on the upstream, with its certificate installed by `driver`.
    manager::ServiceSite siteOf(manager::ProxyDriver& driver) {
        manager::ServiceSite s;
        s.serviceId = "svc_test";
        s.names = {kName};
        s.upstreamPort = upstream_->port();
        s.tls = driver.installCertificate(kName, certificate_);
        return s;
    }

    // The http context and the site's file, as the reconciler makes them.
    std::vector<manager::SiteFile> filesOf(const manager::ProxyDriver& driver,
                                           const manager::ServiceSite& s) {
        return {
            {manager::kHttpContextFile, manager::renderHttpContext(driver.layout(), listen_)},
            {manager::serviceSiteFile(s.serviceId), manager::renderServiceSite(s, driver.layout(), listen_)}};
    }

    // curl as a visitor of kName at `address` ("127.0.0.1" or "[::1]").
    Answer get(const std::string& scheme, const std::string& path, const std::vector<std::string>& extra = {},
               const std::string& address = "127.0.0.1") {
        const int port = scheme == "https" ? listen_.httpsPort : listen_.httpPort;
        return visit(scheme, kName, port, path, folder_ / "ca.pem", folder_ / "headers.txt", extra, address);
    }

    std::filesystem::path folder_;
    std::unique_ptr<Poco::Net::HTTPServer> upstream_;
    manager::ProxyListen listen_;
    manager::CertificatePair certificate_;
};

}  // namespace chatiere::testing
