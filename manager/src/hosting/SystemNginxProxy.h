#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hosting/FolderProxyDriver.h"
#include "hosting/NginxConfig.h"

namespace chatiere::manager {

// The system's nginx (proxy.mode = system; docs/public-addresses.md, "Reload in system mode"):
// Debian's nginx.service, a root master bound to 80/443, includes `<folder>/sites/*.conf` through
// the packaged /etc/nginx/conf.d/chatiere.conf. The daemon, unprivileged, writes and checks its set
// (`nginx -t` on a test main configuration of its own, the listens moved to unix sockets in its
// folder: nginx -t binds them, and 80/443 are not the daemon's to bind); then it writes a request
// file that a path unit watches: the root helper (/usr/lib/chatiere/proxy-reload) checks the whole
// system configuration, reloads nginx and writes the result file, which the daemon waits for.
class SystemNginxProxy : public FolderProxyDriver {
public:
    struct Options {
        std::filesystem::path folder = "/var/lib/chatiere-proxy";  // absolute; the daemon's own
        std::string nginx = "/usr/sbin/nginx";
        // What the daemon writes ("<action> <id>\n") and what the helper answers ("<id> ok\n" or
        // "<id> error\n<nginx's words>"): the path unit watches the request.
        std::filesystem::path requestFile = "/var/lib/chatiere-proxy/reload-request";
        std::filesystem::path resultFile = "/run/chatiere-proxy/reload-result";
        std::filesystem::path transferLog = "/var/log/chatiere/proxy-transfer.log";
        std::filesystem::path pidFile = "/run/nginx.pid";             // the system nginx's master
        std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // for each answer of the helper
    };

    explicit SystemNginxProxy(Options options);

    ProxyLayout layout() const override;
    // Written into `sites.<n+1>/` and checked alone (nothing changed when refused); then swapped in
    // and a reload requested. When the root helper refuses it (a clash with the host's own files)
    // or does not answer in time, the previous set is swapped back, a reload of it requested, and
    // the helper's words returned.
    std::optional<std::string> apply(const std::vector<SiteFile>& files) override;
    // The system nginx's master pid when it runs.
    std::optional<int> runningPid() const;
    // Requests a start of nginx.service from the helper when its master is not running; throws
    // std::runtime_error with the helper's words when it still does not run.
    void ensureRunning() override;
    // Nothing: logrotate renames the transfer log and signals nginx (packaging/chatiere.logrotate).
    void reopenLogs() override {}

private:
    struct Answer {
        bool ok = false;
        bool answered = false;  // false: no answer before the deadline
        std::string words;      // nginx's (or systemctl's) words when not ok
    };
    // Writes the request "<action> <id>" and waits for the helper's answer to that id.
    Answer request(const std::string& action);
    void prepareTransferLog() const;

    Options options_;
    std::mutex mutex_;  // one apply or request at a time: the helper answers one request at a time
};

// The copy of a generated file that `nginx -t` checks as an unprivileged user: each `listen
// [ADDRESS:]PORT ...;` becomes `listen unix:<socketFolder>/listen-<ADDRESS>-<PORT>.sock ...;` (one
// socket per address and port, so that duplicates and default servers clash as they would).
std::string checkableCopy(const std::string& text, const std::filesystem::path& socketFolder);

}  // namespace chatiere::manager
