// The daemon behind the proxy, on the real HTTP server: a client that connects from 127.0.0.2 (the
// address nginx binds with `proxy_bind`, configured in http.trusted_proxies) is believed when it
// forwards the client's address (X-Forwarded-For) and protocol (X-Forwarded-Proto); login
// throttling, the audit log and /metrics' allowed addresses see that address, and cookies are
// Secure when the client used HTTPS. From 127.0.0.1 (where a guest's connections arrive through
// QEMU user networking) the same headers are ignored, and 127.0.0.1 cannot be trusted at all.

#include "TestDaemon.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace chatiere::testing;
using namespace chatiere::manager;

namespace {

const std::string kProxy = "127.0.0.2";       // nginx's proxy_bind
const std::string kAttacker = "203.0.113.7";  // TEST-NET-3
const std::string kMember = "198.51.100.9";   // TEST-NET-2
const std::string kPassword = "correct horse battery";

class TrustedProxy : public ::testing::Test {
protected:
    TrustedProxy()
        : d_([](Settings& s) {
              s.trustedProxies = std::vector<std::string>{kProxy};
              s.metricsAllowed = {"127.0.0.1", kMember};
          }) {}

    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        d_.signup("Chorale", "dominique@chorale.test");
    }

    // What the proxy sends for a client at `address` who used `proto`.
    ApiResponse viaProxy(const std::string& address, const std::string& method, const std::string& path,
                         const std::string& body = "", const std::string& proto = "https") {
        ApiClient c = d_.client();
        c.setSourceAddress(kProxy);
        return c.request(method, path, body, "application/json",
                         {{"X-Forwarded-For", address}, {"X-Forwarded-Proto", proto}});
    }
    // The same headers, forged by a peer that is not trusted (127.0.0.1).
    ApiResponse forged(const std::string& address, const std::string& method, const std::string& path,
                       const std::string& body = "", const std::string& proto = "https") {
        return d_.client().request(method, path, body, "application/json",
                                   {{"X-Forwarded-For", address}, {"X-Forwarded-Proto", proto}});
    }

    static std::string loginBody(const std::string& email, const std::string& password) {
        return R"({"email": ")" + email + R"(", "password": ")" + password + "\"}";
    }

    // The client addresses of the audit log's entries of `action`, newest first.
    std::vector<std::string> auditAddresses(const std::string& action) {
        const auto r = admin_->get("/api/v1/audit?action=" + action);
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::string> out;
        const auto entries = r.json()->getArray("entries");
        for (std::size_t i = 0; i < entries->size(); ++i) {
            const auto e = entries->getObject(static_cast<unsigned>(i));
            if (e->getValue<std::string>("action") == action) {
                out.push_back(e->getValue<std::string>("client_address"));
            }
        }
        return out;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
};

}  // namespace

// The acceptance's "Client address": an attacker behind the proxy locks its own address, not
// everybody's (without the forwarded address, every client would be the proxy, 127.0.0.2).
TEST_F(TrustedProxy, ThrottlingLocksTheAttackingAddressOnly) {
    const int max = d_.settings().loginMaxFailures;
    // Wrong passwords for several accounts (so that no one account is locked): the address counts.
    for (int i = 0; i < max; ++i) {
        const auto r =
            viaProxy(kAttacker, "POST", "/api/v1/sessions",
                     loginBody("guess" + std::to_string(i) + "@chorale.test", "wrong password here"));
        EXPECT_EQ(r.status, 401) << "attempt " << i + 1 << ": " << r.body;
    }
    const auto locked =
        viaProxy(kAttacker, "POST", "/api/v1/sessions", loginBody("dominique@chorale.test", kPassword));
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_EQ(locked.errorCode(), "too_many_attempts");

    // Another client behind the same proxy signs in.
    const auto member =
        viaProxy(kMember, "POST", "/api/v1/sessions", loginBody("dominique@chorale.test", kPassword));
    EXPECT_EQ(member.status, 201) << member.body;
    // So does a client that is not behind the proxy.
    EXPECT_EQ(d_.client().post("/api/v1/sessions", loginBody("dominique@chorale.test", kPassword)).status,
              201);
    // The attacker is still locked.
    EXPECT_EQ(viaProxy(kAttacker, "POST", "/api/v1/sessions", loginBody("dominique@chorale.test", kPassword))
                  .status,
              429);

    // The audit log says who tried, and who signed in.
    const auto failed = auditAddresses("user.login_failed");
    ASSERT_EQ(failed.size(), static_cast<std::size_t>(max));
    for (const auto& address : failed) {
        EXPECT_EQ(address, kAttacker);
    }
    const auto logins = auditAddresses("user.login");
    ASSERT_GE(logins.size(), 2u);
    EXPECT_EQ(logins[0], "127.0.0.1");
    EXPECT_EQ(logins[1], kMember);
}

// A forged X-Forwarded-For from a peer that is not trusted is ignored: the peer is the client, for
// throttling (its own failures lock 127.0.0.1, whatever address each request claims) and audit.
TEST_F(TrustedProxy, AForgedForwardedAddressFromAnUntrustedPeerIsIgnored) {
    const int max = d_.settings().loginMaxFailures;
    for (int i = 0; i < max; ++i) {
        const std::string claimed = "192.0.2." + std::to_string(i + 1);
        const auto r =
            forged(claimed, "POST", "/api/v1/sessions",
                   loginBody("guess" + std::to_string(i) + "@chorale.test", "wrong password here"));
        EXPECT_EQ(r.status, 401) << r.body;
    }
    const auto locked =
        forged("192.0.2.200", "POST", "/api/v1/sessions", loginBody("dominique@chorale.test", kPassword));
    EXPECT_EQ(locked.status, 429) << locked.body;
    for (const auto& address : auditAddresses("user.login_failed")) {
        EXPECT_EQ(address, "127.0.0.1");
    }
    // Behind the proxy, a client is not locked by what 127.0.0.1 did.
    EXPECT_EQ(
        viaProxy(kMember, "POST", "/api/v1/sessions", loginBody("dominique@chorale.test", kPassword)).status,
        201);
}

// Secure (and __Host- prefixed) when the client used HTTPS as the trusted proxy says; not when an
// untrusted peer says so, nor when the proxy says http (public.url is http here).
TEST_F(TrustedProxy, SecureCookiesWhenTheClientUsedHttps) {
    const std::string body = loginBody("dominique@chorale.test", kPassword);
    const auto https = viaProxy(kMember, "POST", "/api/v1/sessions", body, "https");
    ASSERT_EQ(https.status, 201) << https.body;
    ASSERT_EQ(https.cookies.size(), 1u);
    EXPECT_EQ(https.cookies.front().getName(), "__Host-chatiere_session");
    EXPECT_TRUE(https.cookies.front().getSecure());

    // The session cookie works on the next request through the proxy over HTTPS.
    ApiClient c = d_.client();
    c.setSourceAddress(kProxy);
    const std::string session = https.cookies.front().getValue();
    EXPECT_EQ(c.request("GET", "/api/v1/me", "", "",
                        {{"X-Forwarded-For", kMember},
                         {"X-Forwarded-Proto", "https"},
                         {"Cookie", "__Host-chatiere_session=" + session}})
                  .status,
              200);

    const auto http = viaProxy(kMember, "POST", "/api/v1/sessions", body, "http");
    ASSERT_EQ(http.status, 201) << http.body;
    ASSERT_EQ(http.cookies.size(), 1u);
    EXPECT_EQ(http.cookies.front().getName(), "chatiere_session");
    EXPECT_FALSE(http.cookies.front().getSecure());

    const auto untrusted = forged(kMember, "POST", "/api/v1/sessions", body, "https");
    ASSERT_EQ(untrusted.status, 201) << untrusted.body;
    ASSERT_EQ(untrusted.cookies.size(), 1u);
    EXPECT_EQ(untrusted.cookies.front().getName(), "chatiere_session");
    EXPECT_FALSE(untrusted.cookies.front().getSecure());

    // The pages' cookies follow the same rule (the pre-session CSRF cookie of /login).
    ApiClient page = d_.client();
    page.setSourceAddress(kProxy);
    const auto login = page.request("GET", "/login", "", "", {{"X-Forwarded-Proto", "https"}});
    ASSERT_EQ(login.status, 200);
    ASSERT_EQ(login.cookies.size(), 1u);
    EXPECT_EQ(login.cookies.front().getName(), "__Host-chatiere_csrf");
    EXPECT_TRUE(login.cookies.front().getSecure());
    const auto direct = d_.client().request("GET", "/login", "", "", {{"X-Forwarded-Proto", "https"}});
    ASSERT_EQ(direct.cookies.size(), 1u);
    EXPECT_EQ(direct.cookies.front().getName(), "chatiere_csrf");
    EXPECT_FALSE(direct.cookies.front().getSecure());
}

// /metrics' allowed addresses are the client's: the metrics token from behind the proxy works for an
// allowed client only, and an untrusted peer cannot borrow an allowed address.
TEST_F(TrustedProxy, MetricsAllowedAddressesSeeTheForwardedClient) {
    const std::map<std::string, std::string> token = {{"Authorization", "Bearer " + d_.metricsToken()}};
    auto through = [&](const std::string& address) {
        ApiClient c = d_.client();
        c.setSourceAddress(kProxy);
        auto headers = token;
        headers["X-Forwarded-For"] = address;
        return c.request("GET", "/metrics", "", "", headers);
    };
    EXPECT_EQ(through(kMember).status, 200);
    EXPECT_EQ(through(kAttacker).status, 403);
    // The proxy itself is not an allowed address.
    ApiClient proxy = d_.client();
    proxy.setSourceAddress(kProxy);
    EXPECT_EQ(proxy.request("GET", "/metrics", "", "", token).status, 403);
    // 127.0.0.1 is allowed; its forged header changes nothing.
    auto forgedHeaders = token;
    forgedHeaders["X-Forwarded-For"] = kAttacker;
    EXPECT_EQ(d_.client().request("GET", "/metrics", "", "", forgedHeaders).status, 200);
}

// 127.0.0.1 in http.trusted_proxies stops the start, with a message naming it: through the real
// binary (exit 78, EX_CONFIG) and in-process (a Settings built in code).
TEST(TrustedProxies, TrustingTheLoopbackStopsTheStart) {
    TempDir dir;
    const std::string config = (dir.path() / "chatiere.properties").string();
    std::ofstream(config) << "db.path = " << (dir.path() / "chatiere.db").string() << "\n"
                          << "data.dir = " << dir.path().string() << "\n"
                          << "http.port = 0\n"
                          << "http.trusted_proxies = 127.0.0.2, 127.0.0.1\n";
    const auto r = runChatiere({"serve", "--config", config});
    EXPECT_EQ(r.exitCode, 78) << r.err;
    EXPECT_NE(r.err.find("http.trusted_proxies"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'127.0.0.1'"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "chatiere.db"));

    try {
        TestDaemon d([](Settings& s) { s.trustedProxies = std::vector<std::string>{"::1"}; }, false);
        FAIL() << "a daemon trusting ::1 started";
    } catch (const SettingsError& e) {
        EXPECT_NE(std::string(e.what()).find("http.trusted_proxies"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("'::1'"), std::string::npos) << e.what();
    }
}
