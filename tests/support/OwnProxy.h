#pragma once

#include "Pebble.h"
#include "chatiere/manager/Settings.h"

#include <filesystem>
#include <string>

namespace chatiere::testing {

// A daemon behind its own nginx (proxy.mode = own) on the free ports `httpPort` and `httpsPort`,
// as the public addresses' tests run it: public.url's host and public.domain are test names, the
// proxy makes a pass every second, and the reconciler is quiet (the services the tests plant
// active have no guest). ACME stays as the caller sets it.
inline void useOwnProxy(manager::Settings& s, int httpPort, int httpsPort) {
    s.reconcileIntervalSeconds = 3600;
    s.publicUrl = "https://chatiere.hebergeur.test:" + std::to_string(httpsPort);
    s.publicDomain = "asso.test";
    s.proxy.mode = manager::ProxySettings::Mode::Own;
    s.proxy.address = "127.0.0.1";
    s.proxy.httpPort = httpPort;
    s.proxy.httpsPort = httpsPort;
    s.proxy.publicHttpsPort = httpsPort;
    s.proxy.intervalSeconds = 1;
}

// Broken certificate files for `name` in the proxy's folder (a certificate with another
// certificate's key): nginx refuses any configuration that names them, so a service moved to
// `name` gets its file refused (proxy_error) while its previous one keeps serving.
inline bool plantBrokenCertificate(const std::filesystem::path& proxyDir, const std::string& name) {
    const auto dir = proxyDir / "certs" / name;
    std::filesystem::create_directories(dir);
    const auto made = [](const std::string& cn, const std::filesystem::path& key,
                         const std::filesystem::path& cert) {
        return runTool("/usr/bin/openssl",
                       {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-days", "30", "-subj", "/CN=" + cn, "-keyout", key.string(), "-out", cert.string()})
                   .first == 0;
    };
    return made(name, dir / "unused.pem", dir / "fullchain.pem") &&
           made("other.example", dir / "privkey.pem", dir / "other.pem");
}

}  // namespace chatiere::testing
