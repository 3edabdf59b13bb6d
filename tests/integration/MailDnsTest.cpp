// GET /api/v1/services/{id}/dns: the records a mail domain needs, each with its published state read
// through a real resolver — Debian's dnsmasq serving the domain on a loopback port
// (mailhost.dns_resolver = 127.0.0.1:PORT), restarted with more of the records published.

#include "ApiClient.h"
#include "Eventually.h"
#include "MissingPart.h"
#include "Pebble.h"
#include "PortBlock.h"
#include "TestDaemon.h"

#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace chatiere::testing {
namespace {

const std::string kPlan =
    R"({"slug": "asso", "name": "Asso", "templates": ["mail"], "free": true, "prices": []})";

// dnsmasq answering only from its command line on 127.0.0.1:port (no upstream, no /etc/hosts).
class Dnsmasq {
public:
    Dnsmasq(int port, const std::vector<std::string>& records) {
        std::vector<std::string> args = {"--keep-in-foreground", "--no-resolv", "--no-hosts",
                                         "--conf-file=/dev/null", "--pid-file=", "--bind-interfaces",
                                         "--listen-address=127.0.0.1", "--port=" + std::to_string(port),
                                         "--log-facility=/dev/null",
                                         // Authoritative for the test's names: NXDOMAIN, not REFUSED.
                                         "--local=/asso-test.example/", "--local=/chatons.test/"};
        args.insert(args.end(), records.begin(), records.end());
        handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(kBinary, args));
        // Answering once `dig`-free: a TCP connect to its port (dnsmasq serves TCP too).
        eventually(
            [port] {
                try {
                    Poco::Net::StreamSocket s(
                        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
                    return true;
                } catch (const Poco::Exception&) {
                    return false;
                }
            },
            std::chrono::seconds(10));
    }
    ~Dnsmasq() {
        Poco::Process::kill(*handle_);
        handle_->wait();
    }
    static bool installed() { return std::filesystem::exists(kBinary); }
    static constexpr const char* kBinary = "/usr/sbin/dnsmasq";

private:
    std::unique_ptr<Poco::ProcessHandle> handle_;
};

std::map<std::string, std::string> states(const ApiResponse& r) {
    std::map<std::string, std::string> out;
    const auto records = r.json()->getArray("records");
    for (std::size_t i = 0; i < records->size(); ++i) {
        const auto o = records->getObject(static_cast<unsigned>(i));
        out[o->getValue<std::string>("purpose")] = o->getValue<std::string>("status");
    }
    return out;
}

std::string valueOf(const ApiResponse& r, const std::string& purpose) {
    const auto records = r.json()->getArray("records");
    for (std::size_t i = 0; i < records->size(); ++i) {
        const auto o = records->getObject(static_cast<unsigned>(i));
        if (o->getValue<std::string>("purpose") == purpose) {
            return o->getValue<std::string>("value");
        }
    }
    return "";
}

TEST(MailDns, TheRecordsAndWhatTheResolverSaysOfThem) {
    if (!Dnsmasq::installed()) {
        CHATIERE_MISSING_PART("dnsmasq (Debian's dnsmasq-base; packaging/scripts/deps.sh installs it)");
    }
    const int dnsPort = freeLoopbackPort();
    PortBlock ports;
    TestDaemon d([&](manager::Settings& s) {
        s.reconcileIntervalSeconds = 3600;
        s.portsFirst = ports.first();
        s.portsLast = ports.last();
        s.mailhostHostname = "mail.chatons.test";
        s.mailhostDnsResolver = "127.0.0.1:" + std::to_string(dnsPort);
    });
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);
    const std::string a = d.approvedAssociation(admin, "Jardin", "manager@a.test", "asso");
    const std::string b = d.approvedAssociation(admin, "Chorale", "manager@b.test", "asso");
    ApiClient manager = d.login("manager@a.test", "correct horse battery");
    ApiClient stranger = d.login("manager@b.test", "correct horse battery");
    const auto created =
        manager.post("/api/v1/associations/" + a + "/services",
                     R"({"template": "mail", "name": "courrier", "mail_domain": "asso-test.example"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string path = "/api/v1/services/" + created.json()->getValue<std::string>("id") + "/dns";

    ApiResponse r;
    {
        // Nothing published yet: the domain exists (an unrelated record) but none of ours.
        Dnsmasq dns(dnsPort, {"--txt-record=asso-test.example,google-site-verification=abc"});
        r = manager.get(path);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto s = states(r);
        EXPECT_EQ(s.at("mx"), "missing");
        EXPECT_EQ(s.at("spf"), "missing");
        EXPECT_EQ(s.at("dkim"), "missing");
        EXPECT_EQ(s.at("dmarc"), "missing");
        EXPECT_EQ(s.at("autoconfig"), "missing");
        EXPECT_EQ(valueOf(r, "mx"), "10 mail.chatons.test.");
        EXPECT_EQ(valueOf(r, "dkim").rfind("v=DKIM1; k=rsa; p=MIIBIjAN", 0), 0u);
    }
    const std::string dkim = valueOf(r, "dkim");
    // The DKIM value as a TXT record of several strings (each at most 255 octets), as DNS carries it.
    std::string dkimRecord = "--txt-record=chatiere._domainkey.asso-test.example";
    for (std::size_t at = 0; at < dkim.size(); at += 200) {
        dkimRecord += "," + dkim.substr(at, 200);
    }
    {
        Dnsmasq dns(dnsPort, {"--mx-host=asso-test.example,mail.chatons.test,10",
                              "--txt-record=asso-test.example,v=spf1 include:ailleurs.example -all",
                              dkimRecord, "--txt-record=_dmarc.asso-test.example,v=DMARC1; p=none",
                              "--host-record=mail.chatons.test,127.0.0.1",
                              "--cname=autoconfig.asso-test.example,mail.chatons.test"});
        r = manager.get(path);
        ASSERT_EQ(r.status, 200) << r.body;
        const auto s = states(r);
        EXPECT_EQ(s.at("mx"), "ok");
        EXPECT_EQ(s.at("spf"), "wrong");  // another SPF record: the association must merge them
        EXPECT_EQ(s.at("dkim"), "ok");
        EXPECT_EQ(s.at("dmarc"), "ok");
        EXPECT_EQ(s.at("autoconfig"), "ok");
        EXPECT_EQ(s.at("autodiscover"), "missing");
    }
    // The resolver gone: unknown, never an error.
    r = manager.get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& [purpose, status] : states(r)) {
        EXPECT_EQ(status, "unknown") << purpose;
    }
    EXPECT_EQ(stranger.get(path).status, 404);
    (void)b;
}

}  // namespace
}  // namespace chatiere::testing
