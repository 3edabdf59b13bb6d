#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hosting/NginxConfig.h"
#include "hosting/SelfSignedCertificate.h"

namespace chatiere::manager {

// One generated file of a set: a name of letters, digits, '_', '-' and '.' ending in ".conf".
struct SiteFile {
    std::string name;
    std::string text;
};

// What the proxy reconciler drives, whoever runs nginx (docs/public-addresses.md, "The proxy
// modes"): Chatière's own instance (`own`: NginxProxy) or the system's nginx (`system`).
class ProxyDriver {
public:
    virtual ~ProxyDriver() = default;

    // Where the shared parts are (the HTTP-01 webroot, the static pages, the transfer log).
    virtual ProxyLayout layout() const = 0;

    // Makes `files` the working set: checked with `nginx -t` before it replaces the working one,
    // then nginx reloaded. nullopt when applied; nginx's error otherwise, and then nothing
    // changed: the working set keeps serving.
    virtual std::optional<std::string> apply(const std::vector<SiteFile>& files) = 0;

    // Writes a name's certificate and key (0600) atomically and returns their paths (what a
    // ServiceSite's tls takes).
    virtual SiteCertificate installCertificate(const std::string& name, const CertificatePair& pair) = 0;
    virtual std::optional<SiteCertificate> findCertificate(const std::string& name) const = 0;
    // Writes a static page (the suspended page: kSuspendedPageFile) atomically.
    virtual void installPage(const std::string& fileName, const std::string& html) = 0;

    // Starts nginx again when it is not running (`own`); checks that it runs (`system`). Throws
    // std::runtime_error with nginx's words when it cannot.
    virtual void ensureRunning() = 0;
    // Asks nginx to open its log files again after they were renamed (rotation of the transfer
    // log).
    virtual void reopenLogs() = 0;
};

}  // namespace chatiere::manager
