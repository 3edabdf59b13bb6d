#include "hosting/ProxyFolder.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/PublicName.h"
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

std::optional<int> findNginxMaster(const fs::path& pidFile, const std::string& commandPart) {
    const std::string text = readFile(pidFile);
    int pid = 0;
    try {
        pid = std::stoi(text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (pid <= 1 || ::kill(pid, 0) != 0) {
        // EPERM: alive but another user's (the system nginx's root master, seen by the daemon).
        if (pid <= 1 || errno != EPERM) {
            return std::nullopt;
        }
    }
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::string stat = readFile(proc + "/stat");
    if (const auto close = stat.rfind(')'); close == std::string::npos || stat.substr(close + 2, 1) == "Z") {
        return std::nullopt;  // a zombie, not yet reaped
    }
    // The master's title: "nginx: master process /usr/sbin/nginx ... -c <prefix>/nginx.conf".
    const std::string cmdline = readFile(proc + "/cmdline");
    if (!cmdline.starts_with("nginx: master process") || cmdline.find(commandPart) == std::string::npos) {
        return std::nullopt;
    }
    return pid;
}

std::vector<int> findInstanceProcesses(const fs::path& proc, const fs::path& prefix) {
    const std::string logs = (prefix.lexically_normal() / "logs").string() + "/";
    std::vector<int> pids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(proc, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos || name.size() > 9) {
            continue;
        }
        if (!readFile(entry.path() / "cmdline").starts_with("nginx: ")) {
            continue;
        }
        const std::string stat = readFile(entry.path() / "stat");
        if (const auto close = stat.rfind(')');
            close == std::string::npos || stat.size() < close + 3 || stat[close + 2] == 'Z') {
            continue;  // a zombie holds nothing open any more
        }
        std::error_code fdError;
        for (const auto& fd : fs::directory_iterator(entry.path() / "fd", fdError)) {
            std::error_code linkError;
            const std::string target = fs::read_symlink(fd.path(), linkError).string();
            if (!linkError && target.starts_with(logs)) {
                pids.push_back(std::stoi(name));
                break;
            }
        }
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

ProxyFolder::ProxyFolder(fs::path root) : root_(std::move(root)) {
    if (!root_.is_absolute()) {
        throw std::invalid_argument("the proxy's folder must be an absolute path");
    }
}

void ProxyFolder::prepare() const {
    // Traversable by all: when the daemon runs as root (a test in a container) or in system mode,
    // nginx's workers run as another user and must read html/ and acme/; the keys stay 0600, read by
    // the master only.
    const auto open = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec;
    fs::create_directories(root_);
    fs::permissions(root_, open);
    for (const char* sub : {"logs", "run", "tmp", "certs", "html", "acme", "acme/.well-known",
                            "acme/.well-known/acme-challenge"}) {
        fs::create_directories(root_ / sub);
        fs::permissions(root_ / sub, open);
    }
}

std::optional<int> ProxyFolder::currentGeneration() const {
    std::error_code ec;
    const fs::path target = fs::read_symlink(root_ / "sites", ec);
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

fs::path ProxyFolder::setFolder(int generation) const {
    return root_ / (kSetPrefix + std::to_string(generation));
}

fs::path ProxyFolder::stage(const std::vector<SiteFile>& files) const {
    for (const auto& file : files) {
        if (!safeFileName(file.name)) {
            throw std::invalid_argument("unsafe nginx file name '" + file.name + "'");
        }
    }
    const fs::path set = setFolder(currentGeneration().value_or(0) + 1);
    fs::remove_all(set);  // a set left by a crash between its writing and its swap
    fs::create_directories(set);
    for (const auto& file : files) {
        writeFileAtomically(set / file.name, file.text);
    }
    return set;
}

std::optional<std::string> ProxyFolder::check(const std::string& nginx, const fs::path& sitesFolder) const {
    const fs::path testConfig = root_ / "nginx.test.conf";
    writeFileAtomically(testConfig, renderOwnMainConfig(root_.string(), sitesFolder.string()));
    const ProcessResult test = runProcess(nginx, {"-t", "-q", "-e", (root_ / "logs" / "error.log").string(),
                                                  "-p", root_.string() + "/", "-c", testConfig.string()});
    fs::remove(testConfig);
    if (test.exitCode != 0) {
        return test.output.empty() ? "nginx -t failed (exit " + std::to_string(test.exitCode) + ")"
                                   : test.output;
    }
    return std::nullopt;
}

void ProxyFolder::activate(const std::optional<fs::path>& set) const {
    if (!set) {
        fs::remove(root_ / "sites");
        return;
    }
    const fs::path link = root_ / "sites.link.tmp";
    fs::remove(link);
    fs::create_directory_symlink(set->filename(), link);
    fs::rename(link, root_ / "sites");  // atomic: nginx reads the old set or the new one
}

SiteCertificate ProxyFolder::installCertificate(const std::string& name, const CertificatePair& pair) const {
    if (!safeCertificateName(name)) {
        throw std::invalid_argument("unsafe certificate name '" + name.substr(0, 80) + "'");
    }
    const fs::path dir = root_ / "certs" / name;
    fs::create_directories(dir);
    writeFileAtomically(dir / "privkey.pem", pair.keyPem, fs::perms::owner_read | fs::perms::owner_write);
    writeFileAtomically(dir / "fullchain.pem", pair.certificatePem);
    return {(dir / "fullchain.pem").string(), (dir / "privkey.pem").string()};
}

std::optional<SiteCertificate> ProxyFolder::findCertificate(const std::string& name) const {
    if (!safeCertificateName(name)) {
        return std::nullopt;
    }
    const fs::path dir = root_ / "certs" / name;
    if (!fs::exists(dir / "fullchain.pem") || !fs::exists(dir / "privkey.pem")) {
        return std::nullopt;
    }
    return SiteCertificate{(dir / "fullchain.pem").string(), (dir / "privkey.pem").string()};
}

void ProxyFolder::installPage(const std::string& fileName, const std::string& html) const {
    if (fileName.empty() || fileName.front() == '.' ||
        fileName.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") != std::string::npos) {
        throw std::invalid_argument("unsafe page name '" + fileName + "'");
    }
    prepare();
    writeFileAtomically(root_ / "html" / fileName, html);
}

}  // namespace chatiere::manager
