// A real guest is fenced off the host. It boots on the local libvirtd with the website's kernel, its
// domain.xml and the network Chatière renders for every template (templates::renderDomainXml), and a
// probe initramfs (fence-probe/init) that tries, from inside the guest, Chatière's HTTP port, its
// /metrics and the SMTP relay: all must fail. Controls show the probe would see them: the same
// probes answer from the host, and from the guest its own loopback and the one host service its
// manifest declares (a guestfwd) answer.

#include "Eventually.h"
#include "SystemGuests.h"
#include "TestDaemon.h"

#include "chatiere/provisioning/TarWriter.h"
#include "chatiere/templates/Catalogue.h"
#include "chatiere/templates/ImageCache.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

using namespace chatiere::testing;
namespace templates = chatiere::templates;
namespace provisioning = chatiere::provisioning;

namespace {

const std::filesystem::path kSource = CHATIERE_SOURCE_DIR;

// A loopback TCP server that answers each line with "echo: LINE": the host service the probe's
// manifest declares. QEMU opens the connection when the guest starts (a guestfwd's stream), and
// carries over it what the guest sends to 10.0.2.100.
class EchoServer {
public:
    EchoServer() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
        thread_ = std::thread([this] { run(); });
    }
    ~EchoServer() {
        stop_ = true;
        thread_.join();
    }
    int port() const { return socket_.address().port(); }
    std::string received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    void run() {
        const Poco::Timespan tick(0, 100000);
        std::vector<Poco::Net::StreamSocket> peers;
        std::vector<std::string> pending;
        while (!stop_) {  // the listening socket's poll paces the loop
            if (socket_.poll(tick, Poco::Net::Socket::SELECT_READ)) {
                peers.push_back(socket_.acceptConnection());
                pending.emplace_back();
            }
            for (std::size_t i = 0; i < peers.size(); ++i) {
                if (!peers[i].poll(Poco::Timespan(0, 0), Poco::Net::Socket::SELECT_READ)) {
                    continue;
                }
                char buffer[512];
                const int n = peers[i].receiveBytes(buffer, sizeof buffer);
                if (n <= 0) {
                    continue;
                }
                pending[i].append(buffer, static_cast<std::size_t>(n));
                std::size_t end;
                while ((end = pending[i].find('\n')) != std::string::npos) {
                    const std::string line = pending[i].substr(0, end);
                    pending[i].erase(0, end + 1);
                    {
                        std::lock_guard lock(mutex_);
                        received_ += line + "\n";
                    }
                    const std::string reply = "echo: " + line + "\n";
                    peers[i].sendBytes(reply.data(), static_cast<int>(reply.size()));
                }
            }
        }
    }

    Poco::Net::ServerSocket socket_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::string received_;
};

// What the host's own client gets from 127.0.0.1:port after sending `request` (empty when nothing answers).
std::string exchange(int port, const std::string& request) {
    try {
        Poco::Net::StreamSocket s;
        s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)),
                  Poco::Timespan(2, 0));
        s.setReceiveTimeout(Poco::Timespan(2, 0));
        s.sendBytes(request.data(), static_cast<int>(request.size()));
        char buffer[256];
        const int n = s.receiveBytes(buffer, sizeof buffer);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    } catch (const Poco::Exception&) {
        return "";
    }
}

bool portFree(int port) {
    try {
        Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

std::string readFile(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The guest, destroyed and undefined however the test ends.
struct GuestGuard {
    provisioning::Hypervisor& hypervisor;
    std::string name;
    ~GuestGuard() {
        try {
            if (hypervisor.state(name) == provisioning::GuestState::Running) {
                hypervisor.destroy(name);
            }
            if (hypervisor.state(name)) {
                hypervisor.undefine(name);
            }
        } catch (const provisioning::HypervisorError& e) {
            std::cerr << "GuestFenceTest: cleaning " << name << " up: " << e.what() << "\n";
        }
    }
};

}  // namespace

TEST(GuestFence, AGuestReachesNothingOfTheHostButWhatItsTemplateDeclares) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    // The targets: a real daemon on a loopback port, its SMTP relay (the loopback SMTP sink).
    TestDaemon d;
    const int chatiere = d.daemon().port();
    const int smtp = d.sink().port();
    // From the host they answer, so what fails from the guest fails because of the fence.
    ApiClient prometheus = d.client();
    prometheus.setToken(d.metricsToken());
    ASSERT_EQ(prometheus.get("/metrics").status, 200);
    ASSERT_EQ(d.client().get("/api/v1/status").status, 200);
    ASSERT_EQ(exchange(smtp, "QUIT\r\n").rfind("220", 0), 0u) << "the SMTP sink answers on " << smtp;
    EchoServer echo;
    ASSERT_EQ(exchange(echo.port(), "from the host\n"), "echo: from the host\n");

    // The production website: its manifest, domain.xml and appliance kernel (built once per machine).
    const templates::Catalogue catalogue = templates::Catalogue::load(kSource / "templates");
    const templates::Manifest& website = *catalogue.find("website");
    ensureTestImages();
    const templates::ImageCache images(kImageCache);

    TempDir work;
    std::filesystem::permissions(
        work.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                         std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                         std::filesystem::perms::others_exec);
    const auto initrd = work.path() / "probe-initrd.img";
    ASSERT_EQ(std::system(("bash " + (kSource / "tests/system/fence-probe/make-initrd.sh").string() + " " +
                           images.initrd(website).string() + " " + initrd.string())
                              .c_str()),
              0);
    // The same template with one declared host service: 10.0.2.100:7 in the guest, the echo server on the
    // host.
    std::filesystem::copy(kSource / "templates/website", work.path() / "website");
    {
        const auto file = work.path() / "website/template.json";
        std::string text = readFile(file);
        text.replace(text.find("\"http_endpoint\""), 0,
                     "\"host_services\": [{\"name\": \"probe_echo\", \"guest_port\": 7, \"host_port\": " +
                         std::to_string(echo.port()) + "}],\n  ");
        std::ofstream(file) << text;
    }
    const templates::Manifest probe = templates::Catalogue::loadManifest(work.path() / "website");

    // What the guest tries, from inside: "ADDRESS PORT", then the bytes it sends.
    const std::string chatiereAt = "10.0.2.2 " + std::to_string(chatiere) + "\n";
    const auto disk = work.path() / "probes.tar";
    std::ofstream(disk, std::ios::binary) << provisioning::makeTar({
        {"chatiere.probe", chatiereAt + "GET /api/v1/status HTTP/1.0\r\n\r\n"},
        {"metrics.probe", chatiereAt + "GET /metrics HTTP/1.0\r\n\r\n"},
        {"smtp.probe", "10.0.2.2 " + std::to_string(smtp) + "\nQUIT\r\n"},
        {"loopback.probe", "127.0.0.1 80\nGET / HTTP/1.0\r\n\r\n"},
        {"declared.probe", "10.0.2.100 7\nhello from the guest\n"},
    });

    int hostPort = 0;
    for (int port = 22300; port <= 22399 && hostPort == 0; ++port) {
        hostPort = portFree(port) ? port : 0;
    }
    ASSERT_NE(hostPort, 0) << "no free port in 22300-22399";
    const std::string name = "chatiere-fenceprobe-" + std::to_string(::getpid());
    std::map<std::string, std::string> values = {
        {"domain_type", "qemu"},
        {"domain_name", name},
        {"service_name", "probe"},
        {"association_name", "GuestFenceTest"},
        {"instance_id", "fenceprobe"},
        {"service_id", "probe"},
        {"memory_mib", "128"},
        {"vcpus", "1"},
        {"kernel", images.kernel(website).string()},
        {"initrd", initrd.string()},
        {"data_disk", disk.string()},
        {"host_port_http", std::to_string(hostPort)},
    };
    const std::string xml = templates::renderDomainXml(probe, values);
    // Exactly what a production website guest gets, but for the declared host service.
    std::string withoutDeclared = xml;
    const std::string guestfwd = ",guestfwd=tcp:10.0.2.100:7-tcp:127.0.0.1:" + std::to_string(echo.port());
    ASSERT_NE(withoutDeclared.find(guestfwd), std::string::npos) << xml;
    withoutDeclared.erase(withoutDeclared.find(guestfwd), guestfwd.size());
    ASSERT_EQ(withoutDeclared, templates::renderDomainXml(website, values));

    provisioning::LibvirtHypervisor hypervisor(kSystemUri);
    GuestGuard guard{hypervisor, name};
    hypervisor.define(xml);
    hypervisor.start(name);

    // Read through the guest's forwarded port on 127.0.0.1: forwarding still works behind the fence.
    std::string results;
    const bool done = eventually(
        [&] {
            results = page(hostPort, "/results.txt").value_or("");
            return results.find("done") != std::string::npos;
        },
        std::chrono::seconds(240));
    ASSERT_TRUE(done) << "the probe guest did not report (results so far: " << results
                      << "); QEMU's log: /var/log/libvirt/qemu/" << name << ".log";
    const auto out = [&](const std::string& probeName) {
        return page(hostPort, "/" + probeName + ".out").value_or("?");
    };
    SCOPED_TRACE("results.txt:\n" + results);

    EXPECT_EQ(out("chatiere"), "") << "the guest reached Chatière's port 10.0.2.2:" << chatiere;
    EXPECT_EQ(out("metrics"), "") << "the guest reached /metrics on 10.0.2.2:" << chatiere;
    EXPECT_EQ(out("smtp"), "") << "the guest reached the SMTP relay on 10.0.2.2:" << smtp;
    // Controls: the probe does see what answers.
    EXPECT_NE(out("loopback").find("200 OK"), std::string::npos) << out("loopback");
    EXPECT_EQ(out("declared"), "echo: hello from the guest\n");
    EXPECT_NE(echo.received().find("hello from the guest"), std::string::npos) << echo.received();
}
