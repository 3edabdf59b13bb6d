#pragma once

// An in-process daemon for integration tests: a temp directory with its SQLite file and
// properties file, the real HTTP server on port 0, a real loopback SMTP server, libvirt's
// test:///default driver, and a manual clock that starts at the real time and moves only when told.
// The appliance image cache is pre-filled, so that no image recipe runs (guests of the test
// driver boot nothing); real images and guests are the system tests' business.

#include "ApiClient.h"
#include "Eventually.h"
#include "FakeImages.h"
#include "SmtpSink.h"
#include "chatiere/base/Clock.h"
#include "chatiere/manager/Daemon.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/manager/SmtpMailer.h"
#include "chatiere/manager/Totp.h"
#include "chatiere/manager/Validation.h"
#include "chatiere/provisioning/HealthProbe.h"
#include "chatiere/provisioning/LibvirtHypervisor.h"

#include <Poco/Logger.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace chatiere::testing {

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/chatiere-it-XXXXXX";
        if (!mkdtemp(tmpl)) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
        // Traversable by others (not listable): the workers of a proxy's nginx started as root run
        // as nobody and read the proxy's folder inside (its webroot, its static pages).
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all |
                                                std::filesystem::perms::group_exec |
                                                std::filesystem::perms::others_exec);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

struct CommandResult {
    int exitCode;
    std::string out;
    std::string err;
};

// Runs the real `chatiere` binary with arguments and standard input.
inline CommandResult runChatiere(const std::vector<std::string>& args, const std::string& input = "",
                                 const Poco::Process::Env& env = {}) {
    Poco::Pipe in, out, err;
    Poco::ProcessHandle handle = Poco::Process::launch(CHATIERE_BINARY, args, &in, &out, &err, env);
    Poco::PipeOutputStream toChild(in);
    toChild << input;
    toChild.close();
    Poco::PipeInputStream fromOut(out), fromErr(err);
    std::string o, e;
    Poco::StreamCopier::copyToString(fromOut, o);
    Poco::StreamCopier::copyToString(fromErr, e);
    return {handle.wait(), o, e};
}

class TestDaemon {
public:
    using Tweak = std::function<void(manager::Settings&)>;

    // realClock: the daemon runs on the system clock (system tests, where guests really boot);
    // otherwise on the manual clock, which tests move by hand.
    explicit TestDaemon(Tweak tweak = {}, bool startSink = true, bool realClock = false)
        : realClock_(realClock),
          clock_(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())) {
        if (startSink) {
            sink_ = std::make_unique<SmtpSink>(dir_.path() / "mail");
        }
        settings_.httpPort = 0;
        settings_.dbPath = (dir_.path() / "chatiere.db").string();
        settings_.dataDir = dir_.path().string();
        settings_.webDir = std::string(CHATIERE_SOURCE_DIR) + "/web-admin";
        settings_.smtp.port = sink_ ? sink_->port() : 1;
        settings_.smtp.tls = manager::SmtpSettings::Tls::Never;
        settings_.smtp.timeoutSeconds = 5;
        settings_.publicUrl = "http://chatons.test";
        settings_.httpThreads = 8;
        settings_.outboxIntervalSeconds = 1;
        settings_.templatesDir = std::string(CHATIERE_SOURCE_DIR) + "/templates";
        settings_.libvirtUri = "test:///default";
        settings_.libvirtDomainType = "qemu";
        settings_.portsFirst = 21000;
        settings_.portsLast = 21099;
        settings_.mailhostDnsResolver = "off";  // tests reach no resolver (MailDnsTest brings its own)
        // A fake image of every template (the guests of libvirt's test driver never boot); a test
        // that brings its own catalogue gets fake images of it too (real guests: useRealGuests()
        // points images/ at the real cache instead).
        plantImages(settings_.templatesDir);
        if (tweak) {
            const std::string catalogue = settings_.templatesDir;
            tweak(settings_);
            if (settings_.templatesDir != catalogue) {
                plantImages(settings_.templatesDir);
            }
        }
        writeConfig();
        mailer_ = std::make_unique<manager::SmtpMailer>(settings_.smtp);
        hypervisor_ = std::make_unique<provisioning::LibvirtHypervisor>(settings_.libvirtUri);
        start();
    }

    // The daemon stops, and so does the nginx of its proxy (proxy.mode = own), which outlives a
    // daemon on purpose: its pid file is in the test's folder, about to go.
    ~TestDaemon() {
        daemon_.reset();
        stopOwnNginx();
    }
    TestDaemon(const TestDaemon&) = delete;
    TestDaemon& operator=(const TestDaemon&) = delete;

    std::filesystem::path proxyDir() const {
        return settings_.proxy.dir.empty() ? dir_.path() / "proxy"
                                           : std::filesystem::path(settings_.proxy.dir);
    }
    // The pid of the proxy's nginx master, 0 when none runs.
    int nginxPid() const {
        std::ifstream in(proxyDir() / "run" / "nginx.pid");
        int pid = 0;
        in >> pid;
        return pid > 0 && ::kill(pid, 0) == 0 ? pid : 0;
    }
    void stopOwnNginx() const {
        const int pid = nginxPid();
        if (pid == 0) {
            return;
        }
        ::kill(pid, SIGQUIT);
        if (!eventually([pid] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(10))) {
            ::kill(-pid, SIGKILL);  // the master leads its workers' process group: none is left behind
        }
    }

    void plantImages(const std::filesystem::path& templatesDir) {
        for (const auto& entry : std::filesystem::directory_iterator(templatesDir)) {
            if (std::filesystem::exists(entry.path() / "template.json")) {
                plantImage(dir_.path() / "images", entry.path().filename().string());
            }
        }
    }
    void start() {
        daemon_ = std::make_unique<manager::Daemon>(settings_, externals());
        daemon_->start();
    }
    void stop() { daemon_.reset(); }
    void restart() {
        stop();
        start();
    }

    ApiClient client() const { return ApiClient(daemon_->port()); }
    manager::Daemon& daemon() { return *daemon_; }
    base::ManualClock& clock() { return clock_; }
    provisioning::Hypervisor& hypervisor() { return *hypervisor_; }
    manager::Externals externals() {
        base::Clock& clock = realClock_ ? static_cast<base::Clock&>(systemClock_) : clock_;
        return {clock, *mailer_, *hypervisor_, probe_, Poco::Logger::get("test")};
    }
    SmtpSink& sink() { return *sink_; }
    const manager::Settings& settings() const { return settings_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    // The token Prometheus presents on GET /metrics (the file the daemon made at its start).
    std::string metricsToken() const {
        std::ifstream in(std::filesystem::path(settings_.dataDir) / "metrics.token");
        std::string token;
        std::getline(in, token);
        return token;
    }
    std::string configPath() const { return (dir_.path() / "chatiere.properties").string(); }

    // A staff account made with the real CLI (`chatiere admin create`, password on stdin), signed
    // in, with its second factor enrolled through the API (staff need one: auth.require_totp_for_staff);
    // the secret is remembered, and login() adds the code.
    ApiClient staffClient(const std::string& email, const std::string& role = "admin",
                          const std::string& password = "correct horse battery") {
        const auto created = runChatiere(
            {"admin", "create", "--email", email, "--role", role, "--config", configPath()}, password + "\n");
        if (created.exitCode != 0) {
            throw std::runtime_error("admin create failed: " + created.err);
        }
        ApiClient c = login(email, password);
        enrolTotp(c, email);
        return c;
    }

    // Signs in through the API; an account whose TOTP secret this fixture knows sends its next code.
    ApiClient login(const std::string& email, const std::string& password) {
        ApiClient c = client();
        std::string body = R"({"email": ")" + email + R"(", "password": ")" + password + "\"";
        if (const std::string code = nextTotpCode(email); !code.empty()) {
            body += R"(, "totp": ")" + code + "\"";
        }
        const auto r = c.post("/api/v1/sessions", body + "}");
        if (r.status != 201) {
            throw std::runtime_error("login of " + email + " failed: " + r.body);
        }
        c.setToken(r.json()->getValue<std::string>("token"));
        return c;
    }

    // Enrols the account of `c` in TOTP through the API (POST /me/totp, then confirm with the code
    // at the daemon's clock) and remembers its secret; returns the recovery codes.
    std::vector<std::string> enrolTotp(const ApiClient& c, const std::string& email) {
        const auto begun = c.post("/api/v1/me/totp", "{}");
        if (begun.status != 201) {
            throw std::runtime_error("TOTP enrolment of " + email + " failed: " + begun.body);
        }
        const std::string secret = begun.json()->getValue<std::string>("secret");
        // The code of the step before now (accepted: one step of skew), so that the next two logins
        // need no move of the clock.
        const std::int64_t step = nowTotpStep() - 1;
        const auto confirmed = c.post("/api/v1/me/totp/confirm",
                                      R"({"code": ")" + *manager::totpCodeAtStep(secret, step) + "\"}");
        if (confirmed.status != 200) {
            throw std::runtime_error("TOTP confirmation of " + email + " failed: " + confirmed.body);
        }
        totp_[manager::emailKey(email)] = {secret, step};
        std::vector<std::string> codes;
        const auto array = confirmed.json()->getArray("recovery_codes");
        for (std::size_t i = 0; i < array->size(); ++i) {
            codes.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
        }
        return codes;
    }

    // The TOTP secret of an account enrolled by this fixture; nullopt otherwise.
    std::optional<std::string> totpSecret(const std::string& email) const {
        const auto it = totp_.find(manager::emailKey(email));
        return it == totp_.end() ? std::nullopt : std::optional<std::string>(it->second.secret);
    }
    // Forgets an account's secret (after its removal or reset).
    void forgetTotp(const std::string& email) { totp_.erase(manager::emailKey(email)); }

    // The next code the daemon accepts from an account enrolled by this fixture ("" for any other):
    // the code of a step after the last one used, at most one step ahead of the daemon's clock (the
    // manual clock moves on 30 s when it must; on the real clock, it waits for the next step).
    std::string nextTotpCode(const std::string& email) {
        const auto it = totp_.find(manager::emailKey(email));
        if (it == totp_.end()) {
            return "";
        }
        std::int64_t step = std::max(nowTotpStep(), it->second.lastStep + 1);
        while (step > nowTotpStep() + 1) {
            if (realClock_) {
                std::this_thread::sleep_for(
                    std::chrono::milliseconds(200));  // the wall clock: nothing to poll
            } else {
                clock_.advance(std::chrono::seconds(manager::kTotpStepSeconds));
            }
        }
        it->second.lastStep = step;
        return *manager::totpCodeAtStep(it->second.secret, step);
    }
    // The TOTP step of the daemon's clock.
    std::int64_t nowTotpStep() const {
        const auto now = realClock_ ? systemClock_.now() : clock_.now();
        return manager::totpStep(
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    }

    // Signs an association up through the API; returns {association id, manager user id}.
    std::pair<std::string, std::string> signup(const std::string& name, const std::string& managerEmail,
                                               const std::string& password = "correct horse battery") {
        const auto r = client().post("/api/v1/signup",
                                     R"({"association": {"name": ")" + name +
                                         R"(", "kind": "association", "email": "contact@)" +
                                         managerEmail.substr(managerEmail.find('@') + 1) +
                                         R"("}, "manager": {"name": "Camille", "email": ")" + managerEmail +
                                         R"(", "password": ")" + password + R"("}, "accept_terms": true})");
        if (r.status != 201) {
            throw std::runtime_error("signup failed: " + r.body);
        }
        return {r.json()->getObject("association")->getValue<std::string>("id"),
                r.json()->getObject("user")->getValue<std::string>("id")};
    }

    // Signs an association up on `plan` (its manager `managerEmail`, password "correct horse
    // battery") and has `admin` approve it; returns the association's id.
    std::string approvedAssociation(const ApiClient& admin, const std::string& name,
                                    const std::string& managerEmail, const std::string& plan) {
        const auto r =
            client().post("/api/v1/signup",
                          R"({"association": {"name": ")" + name + R"(", "kind": "association", "email": ")" +
                              managerEmail + R"("}, "manager": {"name": "Camille", "email": ")" +
                              managerEmail + R"(", "password": "correct horse battery"}, "plan": ")" + plan +
                              R"(", "accept_terms": true})");
        if (r.status != 201) {
            throw std::runtime_error("signup failed: " + r.body);
        }
        const std::string id = r.json()->getObject("association")->getValue<std::string>("id");
        const auto approved = admin.post("/api/v1/associations/" + id + "/approve", "{}");
        if (approved.status != 200) {
            throw std::runtime_error("approval failed: " + approved.body);
        }
        return id;
    }

private:
    void writeConfig() const {
        std::ofstream out(configPath());
        out << "db.path = " << settings_.dbPath << "\n"
            << "web.dir = " << settings_.webDir << "\n"
            << "templates.dir = " << settings_.templatesDir << "\n"
            << "libvirt.uri = test:///default\n"
            << "http.port = 0\n";
    }

    TempDir dir_;
    bool realClock_;
    base::SystemClock systemClock_;
    base::ManualClock clock_;
    std::unique_ptr<SmtpSink> sink_;
    manager::Settings settings_;
    std::unique_ptr<manager::SmtpMailer> mailer_;
    std::unique_ptr<provisioning::Hypervisor> hypervisor_;
    provisioning::NetworkHealthProbe probe_;
    std::unique_ptr<manager::Daemon> daemon_;
    struct TotpAccount {
        std::string secret;
        std::int64_t lastStep = 0;  // the last step whose code was used
    };
    std::map<std::string, TotpAccount> totp_;  // by e-mail key
};

}  // namespace chatiere::testing
