#pragma once

// Debian's pebble (an ACME test server) and pebble-challtestsrv (its DNS, every name → 127.0.0.1)
// on free loopback ports, for the ACME tests (flags: docs/public-addresses.md). Public parts only:
// pebble's own TLS certificate is made with the openssl command, its answers read with curl.

#include <Poco/Net/ServerSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "Eventually.h"

namespace chatiere::testing {

inline int freeLoopbackPort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

// Runs a program (no shell), returns its exit code and what it wrote on stdout and stderr.
inline std::pair<int, std::string> runTool(const std::string& program, const std::vector<std::string>& args) {
    Poco::Pipe out;
    Poco::ProcessHandle handle = Poco::Process::launch(program, args, nullptr, &out, &out);
    Poco::PipeInputStream stream(out);
    std::string output((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    return {handle.wait(), output};
}

class Pebble {
public:
    static bool installed() {
        return std::filesystem::exists("/usr/bin/pebble") &&
               std::filesystem::exists("/usr/bin/pebble-challtestsrv") &&
               std::filesystem::exists("/usr/bin/openssl");
    }

    // `httpPort`: where pebble's validator fetches HTTP-01 tokens (the proxy's HTTP port).
    Pebble(const std::filesystem::path& dir, int httpPort) : dir_(dir) {
        namespace fs = std::filesystem;
        fs::create_directories(dir_);
        runTool("/usr/bin/openssl",
                {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-days", "30", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                 (dir_ / "pebble.key").string(), "-out", (dir_ / "pebble.pem").string()});
        port_ = freeLoopbackPort();
        managementPort_ = freeLoopbackPort();
        dnsPort_ = freeLoopbackPort();
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
                   std::to_string(dnsPort_) + " -http01 '' -https01 '' -tlsalpn01 '' -management 127.0.0.1:" +
                   std::to_string(challManagement) + " >challtestsrv.log 2>&1");
        start();
    }

    ~Pebble() {
        stop();
        if (challtestsrv_) {
            Poco::Process::kill(*challtestsrv_);
            challtestsrv_->wait();
        }
    }

    // Starts pebble (again, after stop(): a new CA, since pebble keeps it in memory).
    void start() {
        pebble_ = launch(
            "export PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0; exec pebble -config pebble.json "
            "-dnsserver 127.0.0.1:" +
            std::to_string(dnsPort_) + " >>pebble.log 2>&1");
        answers_ = eventually([&] { return !fetch(directoryUrl()).empty(); }, std::chrono::seconds(30),
                              std::chrono::milliseconds(100));
    }
    // Stops pebble: orders fail until start().
    void stop() {
        if (pebble_) {
            Poco::Process::kill(*pebble_);
            pebble_->wait();
            pebble_.reset();
        }
        answers_ = false;
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
    std::string log() const {
        std::ifstream in(dir_ / "pebble.log");
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

private:
    std::unique_ptr<Poco::ProcessHandle> launch(const std::string& script) {
        Poco::Process::Args args = {"-c", "cd '" + dir_.string() + "' && " + script};
        return std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", args));
    }

    std::string fetch(const std::string& url) const {
        const auto [code, output] =
            runTool("/usr/bin/curl", {"-sf", "--max-time", "5", "--cacert", caFile(), url});
        return code == 0 ? output : "";
    }

    std::filesystem::path dir_;
    int port_ = 0;
    int managementPort_ = 0;
    int dnsPort_ = 0;
    bool answers_ = false;
    std::unique_ptr<Poco::ProcessHandle> challtestsrv_;
    std::unique_ptr<Poco::ProcessHandle> pebble_;
};

}  // namespace chatiere::testing
