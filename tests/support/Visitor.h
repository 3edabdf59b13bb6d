#pragma once

// A visitor of the public addresses (docs/public-addresses.md): curl asking https://NAME:PORT/PATH
// (or http://) with NAME resolved to 127.0.0.1 (--resolve), so that nginx picks the server block
// and the certificate of that name as it would for a visitor from outside. `ca`: the only CA curl
// trusts (pebble's root), so that an answer proves which certificate was served; empty: it trusts
// nothing and does not check (-k), for a self-signed name.

#include <cstdlib>
#include <string>
#include <vector>

#include "Pebble.h"

namespace chatiere::testing {

struct Visit {
    int status = 0;  // 0: curl failed (no TLS handshake, a certificate it does not trust…)
    std::string headers;
    std::string body;
    std::string error;
};

class Visitor {
public:
    Visitor(int httpPort, int httpsPort) : httpPort_(httpPort), httpsPort_(httpsPort) {}

    Visit operator()(const std::string& scheme, const std::string& name, const std::string& path,
                     const std::string& ca) const {
        const int port = scheme == "https" ? httpsPort_ : httpPort_;
        std::vector<std::string> args = {"-s",         "-S",
                                         "--max-time", "15",
                                         "--resolve",  name + ":" + std::to_string(port) + ":127.0.0.1",
                                         "-D",         "-",
                                         "-w",         "\n%{http_code}"};
        if (ca.empty()) {
            args.push_back("-k");
        } else {
            args.insert(args.end(), {"--cacert", ca});
        }
        args.push_back(scheme + "://" + name + ":" + std::to_string(port) + path);
        const auto [code, output] = runTool("/usr/bin/curl", args);
        Visit v;
        const auto last = output.rfind('\n');
        if (code != 0 || last == std::string::npos) {
            v.error = "curl " + std::to_string(code) + ": " + output;
            return v;
        }
        v.status = std::atoi(output.substr(last + 1).c_str());
        const std::string answer = output.substr(0, last);
        const auto end = answer.find("\r\n\r\n");
        v.headers = answer.substr(0, end);
        v.body = end == std::string::npos ? "" : answer.substr(end + 4);
        return v;
    }

    int httpPort() const { return httpPort_; }
    int httpsPort() const { return httpsPort_; }

private:
    int httpPort_;
    int httpsPort_;
};

}  // namespace chatiere::testing
