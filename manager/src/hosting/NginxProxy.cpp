#include "hosting/NginxProxy.h"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "hosting/Subprocess.h"

namespace chatiere::manager {
namespace fs = std::filesystem;

NginxProxy::NginxProxy(Options options) : FolderProxyDriver(options.prefix), options_(std::move(options)) {}

ProxyLayout NginxProxy::layout() const {
    return {(options_.prefix / "acme").string(), (options_.prefix / "html").string(),
            (options_.prefix / "logs" / "transfer.log").string()};
}

fs::path NginxProxy::mainConfig() const {
    return options_.prefix / "nginx.conf";
}

std::optional<std::string> NginxProxy::apply(const std::vector<SiteFile>& files) {
    folder_.prepare();
    const fs::path set = folder_.stage(files);
    if (auto refused = folder_.check(options_.nginx, set)) {
        fs::remove_all(set);
        return refused;
    }
    const std::optional<int> previous = folder_.currentGeneration();
    writeFileAtomically(mainConfig(),
                        renderOwnMainConfig(options_.prefix.string(), (options_.prefix / "sites").string()));
    folder_.activate(set);
    if (runningPid()) {
        reload();
    }
    if (previous && folder_.setFolder(*previous) != set) {
        fs::remove_all(folder_.setFolder(*previous));
    }
    return std::nullopt;
}

std::optional<int> NginxProxy::runningPid() const {
    // A pid reused by another process, or another instance's master, is not ours.
    return findNginxMaster(options_.prefix / "run" / "nginx.pid", mainConfig().string());
}

void NginxProxy::ensureRunning() {
    if (runningPid()) {
        return;
    }
    if (!folder_.currentGeneration() || !fs::exists(mainConfig())) {
        if (auto error = apply({})) {
            throw std::runtime_error("the proxy's empty configuration is refused: " + *error);
        }
    }
    folder_.prepare();
    stopLeftovers();
    fs::remove(options_.prefix / "run" / "nginx.pid");
    const ProcessResult start =
        runProcess(options_.nginx, {"-e", (options_.prefix / "logs" / "error.log").string(), "-p",
                                    options_.prefix.string() + "/", "-c", mainConfig().string()});
    if (start.exitCode != 0) {
        throw std::runtime_error("nginx did not start: " + start.output);
    }
    // The launcher exits once the master has forked; the master writes its pid just after.
    const auto deadline = std::chrono::steady_clock::now() + options_.startTimeout;
    while (!runningPid()) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("nginx started but its master did not appear: " + start.output);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int NginxProxy::stopLeftovers() {
    // Which processes are this instance's: not the pid file (it names the dead master only), not
    // the command line (nginx gives its workers a bare title, "nginx: worker process"), nor the
    // process group (a SIGKILLed master's group id could in principle name a later process once
    // its workers are gone): the files they hold open. Every process of an nginx instance keeps its
    // error log (-e, under <prefix>/logs/) open as stderr; another prefix's instance holds its own,
    // and the system nginx's workers (www-data) cannot even be read by the daemon's user.
    std::error_code ec;
    fs::path prefix = fs::weakly_canonical(options_.prefix, ec);
    if (ec) {
        prefix = options_.prefix;
    }
    std::vector<int> left = findInstanceProcesses(options_.proc, prefix);
    const int count = static_cast<int>(left.size());
    for (const int pid : left) {
        ::kill(pid, SIGTERM);  // nginx's fast shutdown: the listening sockets close at once
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.startTimeout;
    while (!left.empty()) {
        if (std::chrono::steady_clock::now() > deadline) {
            for (const int pid : left) {
                ::kill(pid, SIGKILL);
            }
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        left = findInstanceProcesses(options_.proc, prefix);
    }
    return count;
}

void NginxProxy::reload() {
    if (const auto pid = runningPid()) {
        ::kill(*pid, SIGHUP);
    }
}

void NginxProxy::reopenLogs() {
    if (const auto pid = runningPid()) {
        ::kill(*pid, SIGUSR1);
    }
}

bool NginxProxy::rotateTransferLog(uint64_t maxBytes) {
    const fs::path log = layout().transferLog;
    std::error_code error;
    const auto size = fs::file_size(log, error);
    if (error || size < maxBytes) {
        return false;
    }
    fs::rename(log, log.string() + ".1");
    reopenLogs();
    return true;
}

void NginxProxy::stop() {
    const auto pid = runningPid();
    if (!pid) {
        stopLeftovers();  // workers of a master killed alone
        return;
    }
    ::kill(*pid, SIGQUIT);
    const auto deadline = std::chrono::steady_clock::now() + options_.startTimeout;
    while (runningPid()) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(*pid, SIGTERM);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace chatiere::manager
