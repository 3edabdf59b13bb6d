#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hosting/FolderProxyDriver.h"
#include "hosting/NginxConfig.h"
#include "hosting/SelfSignedCertificate.h"

namespace chatiere::manager {

// Chatière's own nginx instance (proxy.mode = own; docs/public-addresses.md): everything under its
// prefix, run as the daemon's user. The prefix holds nginx.conf, `sites` (a symlink to the working
// set `sites.<n>`), certs/<name>/, acme/ (the HTTP-01 webroot), html/, logs/, run/nginx.pid, tmp/.
class NginxProxy : public FolderProxyDriver {
public:
    struct Options {
        std::filesystem::path prefix;  // absolute
        std::string nginx = "/usr/sbin/nginx";
        std::chrono::seconds startTimeout{10};
        std::filesystem::path proc = "/proc";  // where findInstanceProcesses looks
    };

    explicit NginxProxy(Options options);

    const std::filesystem::path& prefix() const { return options_.prefix; }
    ProxyLayout layout() const override;

    // Makes `files` the working set: written into a new folder, checked with `nginx -t`, then
    // swapped in and a running nginx reloaded. nullopt when applied; nginx's error otherwise, and
    // then nothing changed: the working set keeps serving.
    std::optional<std::string> apply(const std::vector<SiteFile>& files) override;

    // The master's pid when the nginx of this prefix runs (its pid file names a live nginx master
    // started with this prefix's nginx.conf; a zombie is dead).
    std::optional<int> runningPid() const;
    // Starts nginx unless it runs (after a crash or a kill: the reconciler's schedule calls it),
    // after stopLeftovers(). Applies an empty set first when none was ever applied. Throws std::runtime_error
    // with nginx's words when it cannot start (a port taken).
    void ensureRunning() override;
    // Asks a running nginx to re-read its files (SIGHUP): new workers, no connection dropped.
    void reload();
    // Asks a running nginx to reopen its log files (SIGUSR1): after a rename, the new writes go to a
    // new file of the old name.
    void reopenLogs() override;
    // Rotates the transfer log (docs/public-addresses.md, "Transfer log") when it holds at least
    // `maxBytes`: renamed to transfer.log.1 (replacing the previous one) and nginx asked to reopen.
    // The transfer reader must have finished transfer.log.1 first (it reads, then rotates: its next
    // reading finishes the rotated file). True when rotated.
    bool rotateTransferLog(uint64_t maxBytes);
    // Graceful stop (SIGQUIT), waited for; SIGTERM after the timeout. No master: stopLeftovers().
    void stop();

    // Stops what is left of this prefix's nginx when its master is gone (killed alone: its workers
    // live on, holding the listening sockets, and a new master could not bind them): SIGTERM to
    // each of this instance's processes (findInstanceProcesses: never another instance's or the
    // system's nginx), then SIGKILL after the timeout. The number of processes stopped.
    int stopLeftovers();

private:
    std::filesystem::path mainConfig() const;

    Options options_;
};

}  // namespace chatiere::manager
