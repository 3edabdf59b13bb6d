#include "hosting/NginxProxy.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "hosting/PublicName.h"
#include "hosting/Subprocess.h"

namespace chatiere::manager {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSetPrefix = "sites.";

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

bool safeFileName(const std::string& name) {
    if (name.size() < 6 || !name.ends_with(".conf") || name.front() == '.') {
        return false;
    }
    return name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
           std::string::npos;
}

bool safeCertificateName(const std::string& name) {
    return isCanonicalDomainName(name) || name == "localhost" ||
           (!name.empty() && name.find_first_not_of("0123456789.:abcdef") == std::string::npos &&
            name.find("..") == std::string::npos && name.front() != '.');
}

}  // namespace

void writeFileAtomically(const fs::path& path, const std::string& content, fs::perms permissions) {
    const fs::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp");
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        fs::permissions(temp, permissions);
        out << content;
        out.flush();
        if (!out) {
            throw std::runtime_error("cannot write " + temp.string());
        }
    }
    fs::rename(temp, path);
}

NginxProxy::NginxProxy(Options options) : options_(std::move(options)) {
    if (!options_.prefix.is_absolute()) {
        throw std::invalid_argument("the proxy's prefix must be an absolute path");
    }
}

ProxyLayout NginxProxy::layout() const {
    return {(options_.prefix / "acme").string(), (options_.prefix / "html").string(),
            (options_.prefix / "logs" / "transfer.log").string()};
}

fs::path NginxProxy::mainConfig() const {
    return options_.prefix / "nginx.conf";
}

void NginxProxy::prepareFolders() const {
    // Traversable by all: when the daemon runs as root (a test in a container), nginx's workers run
    // as nobody and must read html/ and acme/; the keys stay 0600, read by the master only.
    const auto open = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec;
    fs::create_directories(options_.prefix);
    fs::permissions(options_.prefix, open);
    for (const char* sub : {"logs", "run", "tmp", "certs", "html", "acme", "acme/.well-known",
                            "acme/.well-known/acme-challenge"}) {
        fs::create_directories(options_.prefix / sub);
        fs::permissions(options_.prefix / sub, open);
    }
}

std::optional<int> NginxProxy::currentGeneration() const {
    std::error_code ec;
    const fs::path target = fs::read_symlink(options_.prefix / "sites", ec);
    if (ec) {
        return std::nullopt;
    }
    const std::string name = target.filename().string();
    if (!name.starts_with(kSetPrefix)) {
        return std::nullopt;
    }
    const std::string number = name.substr(std::string(kSetPrefix).size());
    if (number.empty() || number.size() > 9 || number.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;  // not a set this driver made
    }
    return std::stoi(number);
}

std::optional<std::string> NginxProxy::apply(const std::vector<SiteFile>& files) {
    prepareFolders();
    const fs::path& prefix = options_.prefix;
    const int generation = currentGeneration().value_or(0) + 1;
    const fs::path set = prefix / (kSetPrefix + std::to_string(generation));
    fs::remove_all(set);  // a set left by a crash between its writing and its swap
    fs::create_directories(set);
    for (const auto& file : files) {
        if (!safeFileName(file.name)) {
            fs::remove_all(set);
            throw std::invalid_argument("unsafe nginx file name '" + file.name + "'");
        }
        writeFileAtomically(set / file.name, file.text);
    }

    const fs::path testConfig = prefix / "nginx.test.conf";
    writeFileAtomically(testConfig, renderOwnMainConfig(prefix.string(), set.string()));
    const ProcessResult test =
        runProcess(options_.nginx, {"-t", "-q", "-e", (prefix / "logs" / "error.log").string(), "-p",
                                    prefix.string() + "/", "-c", testConfig.string()});
    fs::remove(testConfig);
    if (test.exitCode != 0) {
        fs::remove_all(set);
        return test.output.empty() ? "nginx -t failed (exit " + std::to_string(test.exitCode) + ")"
                                   : test.output;
    }

    const std::optional<int> previous = currentGeneration();
    writeFileAtomically(mainConfig(), renderOwnMainConfig(prefix.string(), (prefix / "sites").string()));
    const fs::path link = prefix / "sites.link.tmp";
    fs::remove(link);
    fs::create_directory_symlink(set.filename(), link);
    fs::rename(link, prefix / "sites");  // atomic: nginx reads the old set or the new one
    if (runningPid()) {
        reload();
    }
    if (previous && *previous != generation) {
        fs::remove_all(prefix / (kSetPrefix + std::to_string(*previous)));
    }
    return std::nullopt;
}

SiteCertificate NginxProxy::installCertificate(const std::string& name, const CertificatePair& pair) {
    if (!safeCertificateName(name)) {
        throw std::invalid_argument("unsafe certificate name '" + name.substr(0, 80) + "'");
    }
    const fs::path dir = options_.prefix / "certs" / name;
    fs::create_directories(dir);
    writeFileAtomically(dir / "privkey.pem", pair.keyPem, fs::perms::owner_read | fs::perms::owner_write);
    writeFileAtomically(dir / "fullchain.pem", pair.certificatePem);
    return {(dir / "fullchain.pem").string(), (dir / "privkey.pem").string()};
}

void NginxProxy::installPage(const std::string& fileName, const std::string& html) {
    if (fileName.empty() || fileName.front() == '.' ||
        fileName.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") != std::string::npos) {
        throw std::invalid_argument("unsafe page name '" + fileName + "'");
    }
    prepareFolders();
    writeFileAtomically(options_.prefix / "html" / fileName, html);
}

std::optional<SiteCertificate> NginxProxy::findCertificate(const std::string& name) const {
    if (!safeCertificateName(name)) {
        return std::nullopt;
    }
    const fs::path dir = options_.prefix / "certs" / name;
    if (!fs::exists(dir / "fullchain.pem") || !fs::exists(dir / "privkey.pem")) {
        return std::nullopt;
    }
    return SiteCertificate{(dir / "fullchain.pem").string(), (dir / "privkey.pem").string()};
}

std::optional<int> NginxProxy::runningPid() const {
    const std::string text = readFile(options_.prefix / "run" / "nginx.pid");
    int pid = 0;
    try {
        pid = std::stoi(text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (pid <= 1 || ::kill(pid, 0) != 0) {
        return std::nullopt;
    }
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::string stat = readFile(proc + "/stat");
    if (const auto close = stat.rfind(')'); close == std::string::npos || stat.substr(close + 2, 1) == "Z") {
        return std::nullopt;  // a zombie, not yet reaped
    }
    // The master's title: "nginx: master process /usr/sbin/nginx ... -c <prefix>/nginx.conf"; a pid
    // reused by another process is not ours.
    const std::string cmdline = readFile(proc + "/cmdline");
    if (!cmdline.starts_with("nginx: master process") ||
        cmdline.find(mainConfig().string()) == std::string::npos) {
        return std::nullopt;
    }
    return pid;
}

void NginxProxy::ensureRunning() {
    if (runningPid()) {
        return;
    }
    if (!currentGeneration() || !fs::exists(mainConfig())) {
        if (auto error = apply({})) {
            throw std::runtime_error("the proxy's empty configuration is refused: " + *error);
        }
    }
    prepareFolders();
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

void NginxProxy::reload() {
    if (const auto pid = runningPid()) {
        ::kill(*pid, SIGHUP);
    }
}

bool NginxProxy::reopenLogs() {
    const auto pid = runningPid();
    return pid && ::kill(*pid, SIGUSR1) == 0;
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
