#pragma once

// Debian's pebble (an ACME test server) and pebble-challtestsrv (its DNS, every name → 127.0.0.1)
// on free loopback ports, for the ACME tests (flags: /work/shared/notes, docs/public-addresses.md).

#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "Eventually.h"
#include "hosting/SelfSignedCertificate.h"
#include "hosting/Subprocess.h"

namespace chatiere::testing {

inline int freeLoopbackPort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

class Pebble {
public:
    static bool installed() {
        return std::filesystem::exists("/usr/bin/pebble") &&
               std::filesystem::exists("/usr/bin/pebble-challtestsrv");
    }

    // `httpPort`: where pebble's validator fetches HTTP-01 tokens (the proxy's HTTP port).
    Pebble(const std::filesystem::path& dir, int httpPort) : dir_(dir) {
        namespace fs = std::filesystem;
        fs::create_directories(dir_);
        const auto tls = manager::makeSelfSignedCertificate("127.0.0.1", std::chrono::system_clock::now());
        std::ofstream(dir_ / "pebble.pem") << tls.certificatePem;
        std::ofstream(dir_ / "pebble.key") << tls.keyPem;
        port_ = freeLoopbackPort();
        managementPort_ = freeLoopbackPort();
        const int dns = freeLoopbackPort();
        const int challManagement = freeLoopbackPort();
        std::ofstream(dir_ / "pebble.json")
            << "{\"pebble\": {\"listenAddress\": \"127.0.0.1:" << port_ << "\", \"managementListenAddress\": "
            << "\"127.0.0.1:" << managementPort_ << "\", \"certificate\": \""
            << (dir_ / "pebble.pem").string() << "\", \"privateKey\": \"" << (dir_ / "pebble.key").string()
            << "\", \"httpPort\": " << httpPort << ", \"tlsPort\": " << freeLoopbackPort()
            << ", \"ocspResponderURL\": \"\", "
            << "\"externalAccountBindingRequired\": false}}\n";
        challtestsrv_ =
            launch("exec pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 '' -dns01 127.0.0.1:" +
                   std::to_string(dns) + " -http01 '' -https01 '' -tlsalpn01 '' -management 127.0.0.1:" +
                   std::to_string(challManagement) + " >challtestsrv.log 2>&1");
        pebble_ = launch(
            "export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0; exec pebble -config pebble.json "
            "-dnsserver 127.0.0.1:" +
            std::to_string(dns) + " >pebble.log 2>&1");
        answers_ = eventually([&] { return !fetch(directoryUrl()).empty(); }, std::chrono::seconds(30),
                              std::chrono::milliseconds(100));
    }

    ~Pebble() {
        for (auto* handle : {pebble_.get(), challtestsrv_.get()}) {
            if (handle != nullptr) {
                Poco::Process::kill(*handle);
                handle->wait();
            }
        }
    }

    bool answers() const { return answers_; }
    std::string directoryUrl() const { return "https://127.0.0.1:" + std::to_string(port_) + "/dir"; }
    std::string caFile() const { return (dir_ / "pebble.pem").string(); }
    // Pebble's root CA, which changes at every start, written to a file (curl's --cacert).
    std::string rootFile() const {
        const auto path = dir_ / "root.pem";
        std::ofstream(path) << fetch("https://127.0.0.1:" + std::to_string(managementPort_) + "/roots/0");
        return path.string();
    }

private:
    std::unique_ptr<Poco::ProcessHandle> launch(const std::string& script) {
        Poco::Process::Args args = {"-c", "cd '" + dir_.string() + "' && " + script};
        return std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", args));
    }

    std::string fetch(const std::string& url) const {
        const auto r =
            manager::runProcess("/usr/bin/curl", {"-sf", "--max-time", "5", "--cacert", caFile(), url});
        return r.exitCode == 0 ? r.output : "";
    }

    std::filesystem::path dir_;
    int port_ = 0;
    int managementPort_ = 0;
    bool answers_ = false;
    std::unique_ptr<Poco::ProcessHandle> challtestsrv_;
    std::unique_ptr<Poco::ProcessHandle> pebble_;
};

}  // namespace chatiere::testing
