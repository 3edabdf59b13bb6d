#include "hosting/SystemNginxProxy.h"

#include <cctype>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace chatiere::manager {
namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string requestId() {
    std::random_device random;
    std::ostringstream out;
    out << std::hex << random() << random();
    return out.str();
}

}  // namespace

std::string checkableCopy(const std::string& text, const fs::path& socketFolder) {
    std::istringstream in(text);
    std::ostringstream out;
    std::string line;
    while (std::getline(in, line)) {
        const auto start = line.find_first_not_of(" \t");
        if (start != std::string::npos && line.compare(start, 7, "listen ") == 0) {
            const auto addressStart = line.find_first_not_of(" \t", start + 7);
            const auto addressEnd = line.find_first_of(" \t;", addressStart);
            if (addressStart != std::string::npos && addressEnd != std::string::npos) {
                std::string name = line.substr(addressStart, addressEnd - addressStart);
                for (char& c : name) {
                    if (!std::isalnum(static_cast<unsigned char>(c))) {
                        c = '_';
                    }
                }
                line = line.substr(0, start) +
                       "listen unix:" + (socketFolder / ("listen-" + name + ".sock")).string() +
                       line.substr(addressEnd);
            }
        }
        out << line << '\n';
    }
    return out.str();
}

SystemNginxProxy::SystemNginxProxy(Options options)
    : FolderProxyDriver(options.folder), options_(std::move(options)) {}

ProxyLayout SystemNginxProxy::layout() const {
    return {(options_.folder / "acme").string(), (options_.folder / "html").string(),
            options_.transferLog.string()};
}

void SystemNginxProxy::prepareTransferLog() const {
    // `nginx -t` run by the daemon opens the transfer log for writing, and so do nginx's workers
    // after a rotation (the root master hands the reopened file to its workers' user, keeping the
    // group): the daemon makes it, 0660, so that both can.
    std::error_code ec;
    fs::create_directories(options_.transferLog.parent_path(), ec);
    if (!fs::exists(options_.transferLog, ec)) {
        std::ofstream(options_.transferLog, std::ios::app);
    }
    fs::permissions(
        options_.transferLog,
        fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::group_write,
        ec);  // not ours (already handed to nginx's user): its mode stays
}

std::optional<std::string> SystemNginxProxy::apply(const std::vector<SiteFile>& files) {
    std::lock_guard lock(mutex_);
    folder_.prepare();
    prepareTransferLog();
    const fs::path set = folder_.stage(files);
    const fs::path check = options_.folder / "check";
    fs::remove_all(check);
    fs::create_directories(check);
    for (const auto& file : files) {
        writeFileAtomically(check / file.name, checkableCopy(file.text, options_.folder / "run"));
    }
    const std::optional<std::string> refused = folder_.check(options_.nginx, check);
    fs::remove_all(check);
    if (refused) {
        fs::remove_all(set);
        return refused;
    }

    const std::optional<int> previous = folder_.currentGeneration();
    const std::optional<fs::path> previousSet =
        previous ? std::optional<fs::path>(folder_.setFolder(*previous)) : std::nullopt;
    folder_.activate(set);
    const Answer answer = request("reload");
    if (!answer.ok) {
        // The working set comes back, so that nothing but it is ever loaded (a reload or a restart
        // of nginx by someone else, the next boot); nginx is asked to reload it, which also checks
        // that the host's configuration is whole again.
        folder_.activate(previousSet);
        fs::remove_all(set);
        std::string error = answer.words;
        if (answer.answered) {
            if (const Answer again = request("reload"); !again.ok) {
                error += "\n(the working set's reload failed too: " + again.words + ")";
            }
        }
        return error;
    }
    if (previousSet && *previousSet != set) {
        fs::remove_all(*previousSet);
    }
    return std::nullopt;
}

SystemNginxProxy::Answer SystemNginxProxy::request(const std::string& action) {
    const std::string id = requestId();
    fs::create_directories(options_.requestFile.parent_path());
    writeFileAtomically(options_.requestFile, action + " " + id + "\n");
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    const std::string head = id + " ";
    for (;;) {
        const std::string result = readFile(options_.resultFile);
        if (result.starts_with(head)) {
            const auto end = result.find('\n');
            const std::string status =
                result.substr(head.size(), end == std::string::npos ? std::string::npos : end - head.size());
            if (status == "ok") {
                return {true, true, ""};
            }
            std::string words = end == std::string::npos ? "" : result.substr(end + 1);
            while (!words.empty() && (words.back() == '\n' || words.back() == ' ')) {
                words.pop_back();
            }
            return {false, true, words.empty() ? "the proxy's reload helper answered: " + status : words};
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return {false, false,
                    "no answer to '" + action +
                        "' from chatiere-proxy-reload (is chatiere-proxy-reload.path "
                        "enabled?) within " +
                        std::to_string(
                            std::chrono::duration_cast<std::chrono::seconds>(options_.timeout).count()) +
                        " s"};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::optional<int> SystemNginxProxy::runningPid() const {
    return findNginxMaster(options_.pidFile, "");
}

void SystemNginxProxy::ensureRunning() {
    std::lock_guard lock(mutex_);
    if (runningPid()) {
        return;
    }
    const Answer answer = request("start");
    if (!answer.ok) {
        throw std::runtime_error("the system nginx is not running and could not be started: " + answer.words);
    }
    // systemctl start returns once nginx.service is up; its pid file may lag a little.
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    while (!runningPid()) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("nginx.service was started but its master does not run (pid file " +
                                     options_.pidFile.string() + ")");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace chatiere::manager
