#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "hosting/AcmeClient.h"
#include "hosting/ProxyDriver.h"

#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

// Certificates from ACME for the proxy's names (docs/public-addresses.md, "Certificates"). Each
// pass takes the names that are due — self-signed ones, issued ones within acme.renew_days of
// expiry, failed ones whose backoff has passed — and orders them one at a time (one order per name
// at a time: the CA's rate limits). An issued certificate is installed through the proxy driver,
// read for its issuer and expiry, and the reconciler is told to reload; a failure keeps the served
// certificate, waits acme.retry_seconds doubled at each failure up to acme.retry_max_seconds, and
// opens an alert (`certificate:<name>`) that the next success closes.
class CertificateTask {
public:
    CertificateTask(Database& db, base::Clock& clock, const Settings& settings, AcmeClient& acme,
                    ProxyDriver& driver, std::function<void()> certificatesChanged, Poco::Logger& logger);

    // Orders every due name; returns how many were issued. Nothing while acme.directory_url is empty.
    int runOnce();
    // Makes a name due now (the admin's "renew now"); false when no certificate has that name.
    bool renewNow(const std::string& name);

    // The wait after the `failures`-th failure in a row (pure).
    static std::chrono::seconds backoff(int failures, std::chrono::seconds first, std::chrono::seconds cap);
    // Whether ACME can issue for `name` at all (not an IP address, not localhost).
    static bool orderable(const std::string& name);

private:
    void order(const std::string& name, int failuresBefore);

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    AcmeClient& acme_;
    ProxyDriver& driver_;
    std::function<void()> certificatesChanged_;
    Poco::Logger& log_;
    std::mutex running_;  // one pass at a time
    bool resetDone_ = false;
};

}  // namespace chatiere::manager
