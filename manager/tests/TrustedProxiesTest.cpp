// Whose X-Forwarded-For / -Proto the daemon believes, and what they make of the client: tables of
// peers and headers. The proxy (nginx, `proxy_bind 127.0.0.2`) sets X-Forwarded-For to the address
// it saw; a guest (QEMU user networking: the host's 127.0.0.1) may never be believed.
#include "http/TrustedProxies.h"

#include <gtest/gtest.h>

#include <stdexcept>

using chatiere::manager::http::TrustedProxies;

namespace {

struct Case {
    const char* what;
    std::string peer;
    std::optional<std::string> forwardedFor;
    std::optional<std::string> forwardedProto;
    std::string address;  // the client's, as believed
    std::string scheme;
};

}  // namespace

TEST(TrustedProxies, TheClientOfARequest) {
    const TrustedProxies proxies({"127.0.0.2", "2001:db8::7"});
    const std::vector<Case> cases = {
        {"trusted, one address", "127.0.0.2", "203.0.113.7", "https", "203.0.113.7", "https"},
        {"trusted, a list: the last is the proxy's", "127.0.0.2", "198.51.100.1, 203.0.113.7", "https",
         "203.0.113.7", "https"},
        {"trusted, no spaces", "127.0.0.2", "198.51.100.1,203.0.113.7", std::nullopt, "203.0.113.7", "http"},
        {"trusted, IPv6 client", "127.0.0.2", "2001:DB8:0:0::1", "http", "2001:db8::1", "http"},
        {"trusted, IPv4-mapped client", "127.0.0.2", "::ffff:203.0.113.7", "https", "203.0.113.7", "https"},
        {"trusted IPv6 proxy", "2001:db8::7", "203.0.113.7", "https", "203.0.113.7", "https"},
        {"trusted, seen through an IPv6 socket", "::ffff:127.0.0.2", "203.0.113.7", "https", "203.0.113.7",
         "https"},
        {"trusted, no headers", "127.0.0.2", std::nullopt, std::nullopt, "127.0.0.2", "http"},
        {"trusted, empty header", "127.0.0.2", "", "", "127.0.0.2", "http"},
        {"trusted, last is empty", "127.0.0.2", "203.0.113.7,", "https", "127.0.0.2", "https"},
        {"trusted, not an address", "127.0.0.2", "unknown", "https", "127.0.0.2", "https"},
        {"trusted, a host name", "127.0.0.2", "evil.example", "https", "127.0.0.2", "https"},
        {"trusted, with a port", "127.0.0.2", "203.0.113.7:4242", "https", "127.0.0.2", "https"},
        {"trusted, IPv6 in brackets", "127.0.0.2", "[2001:db8::1]", "https", "127.0.0.2", "https"},
        {"trusted, short IPv4", "127.0.0.2", "127.1", "https", "127.0.0.2", "https"},
        {"trusted, IPv6 zone", "127.0.0.2", "fe80::1%eth0", "https", "127.0.0.2", "https"},
        {"trusted, Proto in capitals", "127.0.0.2", "203.0.113.7", " HTTPS ", "203.0.113.7", "https"},
        {"trusted, Proto unknown", "127.0.0.2", "203.0.113.7", "wss", "203.0.113.7", "http"},
        {"trusted, Proto a list", "127.0.0.2", "203.0.113.7", "https, http", "203.0.113.7", "http"},
        {"untrusted loopback: forged headers ignored", "127.0.0.1", "203.0.113.7", "https", "127.0.0.1",
         "http"},
        {"untrusted elsewhere", "192.0.2.10", "203.0.113.7", "https", "192.0.2.10", "http"},
        {"untrusted, no headers", "192.0.2.10", std::nullopt, std::nullopt, "192.0.2.10", "http"},
        {"untrusted IPv6 loopback", "::1", "203.0.113.7", "https", "::1", "http"},
    };
    for (const auto& c : cases) {
        const auto client = proxies.clientOf(c.peer, "http", c.forwardedFor, c.forwardedProto);
        EXPECT_EQ(client.address, c.address) << c.what;
        EXPECT_EQ(client.scheme, c.scheme) << c.what;
    }
}

TEST(TrustedProxies, NobodyIsTrustedByDefault) {
    const TrustedProxies nobody;
    for (const std::string peer : {"127.0.0.2", "127.0.0.1", "192.0.2.10", "::1"}) {
        EXPECT_FALSE(nobody.trusts(peer)) << peer;
        const auto client = nobody.clientOf(peer, "http", "203.0.113.7", "https");
        EXPECT_EQ(client.address, peer);
        EXPECT_EQ(client.scheme, "http");
    }
    // A peer's own scheme stays when nothing overrides it.
    EXPECT_EQ(nobody.clientOf("192.0.2.10", "https", std::nullopt, "http").scheme, "https");
}

TEST(TrustedProxies, AddressesAGuestCanAppearFromAreRefused) {
    for (const std::string address :
         {"127.0.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "::ffff:0.0.0.0", "0:0:0:0:0:0:0:1"}) {
        const auto why = TrustedProxies::refused(address);
        ASSERT_TRUE(why) << address;
        EXPECT_NE(why->find("'" + address + "'"), std::string::npos) << *why;
        EXPECT_THROW(TrustedProxies({"127.0.0.2", address}), std::invalid_argument) << address;
    }
    for (const std::string address :
         {"localhost", "proxy.example", "127.0.0.0/8", "", " 127.0.0.2", "127.2", "127.0.0.2:80", "[::2]"}) {
        const auto why = TrustedProxies::refused(address);
        ASSERT_TRUE(why) << address;
        EXPECT_NE(why->find("is not an IP address"), std::string::npos) << *why;
    }
    for (const std::string address : {"127.0.0.2", "10.0.0.5", "2001:db8::7", "::2"}) {
        EXPECT_EQ(TrustedProxies::refused(address), std::nullopt) << address;
    }
    try {
        TrustedProxies({"127.0.0.1"});
        FAIL() << "127.0.0.1 was trusted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("'127.0.0.1'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("QEMU"), std::string::npos) << e.what();
    }
}

TEST(TrustedProxies, AddressesAreComparedInCanonicalForm) {
    const TrustedProxies proxies({"2001:DB8:0:0::7", "::ffff:127.0.0.2"});
    EXPECT_EQ(proxies.addresses(), (std::vector<std::string>{"2001:db8::7", "127.0.0.2"}));
    EXPECT_TRUE(proxies.trusts("2001:db8::7"));
    EXPECT_TRUE(proxies.trusts("127.0.0.2"));
    EXPECT_TRUE(proxies.trusts("::ffff:127.0.0.2"));
    EXPECT_FALSE(proxies.trusts("127.0.0.3"));
    EXPECT_FALSE(proxies.trusts("not an address"));
}
