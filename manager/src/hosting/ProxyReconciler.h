#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/templates/Catalogue.h"
#include "hosting/ProxyDriver.h"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace chatiere::manager {

// What one pass of the proxy reconciler did.
struct ProxyPass {
    int services = 0;                  // published (their file is in the working set)
    int refused = 0;                   // whose new file nginx (or the renderer) refused: their old one stays
    bool applied = false;              // a new set was made the working one
    std::optional<std::string> error;  // what kept nginx from running, or the shared files from applying
};

// Brings the proxy in line with the database (docs/public-addresses.md): every live service of a
// template with a `proxy` section at its public name (its own domain, else its default name, given
// here to the services that have none), suspended services on the static 503 page, Chatière's own
// pages at public.url's host; a self-signed certificate for each name until ACME issues one; the
// names of deleted services and their certificates gone. A file nginx refuses never replaces the
// one that works: the pass finds the services whose new file is at fault, keeps their previous one
// (or none), writes nginx's words on each (services.proxy_error) and opens an alert. nginx found
// dead is started again. Runs in the daemon's schedule (proxy.interval_seconds) and when woken
// (a service created, suspended, resumed, deleted, given a domain; a certificate issued).
class ProxyReconciler {
public:
    // `pagesPort`: the port Chatière's own HTTP server listens on (known once it serves).
    ProxyReconciler(Database& db, base::Clock& clock, const Settings& settings,
                    const templates::Catalogue& catalogue, ProxyDriver& driver,
                    std::function<int()> pagesPort, Poco::Logger& logger);

    ProxyPass runOnce();
    // The next pass applies the set even if no file changed (a certificate was replaced on disk).
    void certificatesChanged();

private:
    struct Desired {
        std::map<std::string, std::string> shared;        // file name → text: 00-http.conf, pages.conf
        std::map<std::string, std::string> services;      // service id → its file's text
        std::map<std::string, std::string> renderErrors;  // service id → why its file could not be made
    };

    Desired desired(Session& s, const std::string& at);
    SiteCertificate certificateFor(Session& s, const std::string& name,
                                   const std::optional<std::string>& serviceId, const std::string& at);
    std::vector<SiteFile> filesOf(const std::map<std::string, std::string>& shared,
                                  const std::map<std::string, std::string>& services) const;
    void isolateRefusals(const Desired& want, std::map<std::string, std::string>& refused, ProxyPass& pass);
    void recordOutcome(Session& s, const std::map<std::string, std::string>& refused, const std::string& at);
    bool referenced(const std::string& path) const;
    void forgetFreedNames(Session& s, const std::vector<std::string>& names);

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const templates::Catalogue& catalogue_;
    ProxyDriver& driver_;
    std::function<int()> pagesPort_;
    Poco::Logger& log_;

    std::mutex mutex_;  // one pass at a time
    bool certificatesChanged_ = true;
    bool pageInstalled_ = false;
    // The working set as last applied: what a refused change leaves serving.
    std::optional<std::map<std::string, std::string>> appliedShared_;
    std::map<std::string, std::string> appliedServices_;
    // Service id → the file nginx refused and its words (not tried again until the file changes).
    std::map<std::string, std::pair<std::string, std::string>> refusedFiles_;
};

}  // namespace chatiere::manager
