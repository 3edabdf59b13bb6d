#include "http/TrustedProxies.h"

#include <Poco/String.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace chatiere::manager::http {

TrustedProxies::TrustedProxies(const std::vector<std::string>& addresses) {
    for (const auto& address : addresses) {
        if (const auto why = refused(address)) {
            throw std::invalid_argument(*why);
        }
        addresses_.push_back(*canonicalAddress(address));
    }
}

std::optional<std::string> TrustedProxies::canonicalAddress(const std::string& text) {
    char buffer[INET6_ADDRSTRLEN] = {};
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        if (!inet_ntop(AF_INET, &v4, buffer, sizeof buffer)) {
            return std::nullopt;
        }
        return std::string(buffer);
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) {
        return std::nullopt;
    }
    // ::ffff:a.b.c.d is a.b.c.d seen by a socket that listens on IPv6.
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
        std::memcpy(&v4, v6.s6_addr + 12, 4);
        if (!inet_ntop(AF_INET, &v4, buffer, sizeof buffer)) {
            return std::nullopt;
        }
        return std::string(buffer);
    }
    if (!inet_ntop(AF_INET6, &v6, buffer, sizeof buffer)) {
        return std::nullopt;
    }
    return std::string(buffer);
}

std::optional<std::string> TrustedProxies::refused(const std::string& address) {
    const auto canonical = canonicalAddress(address);
    if (!canonical) {
        return "'" + address + "' is not an IP address";
    }
    if (*canonical == "127.0.0.1" || *canonical == "::1") {
        return "'" + address +
               "' may not be trusted: a guest's connections arrive from the host's loopback (QEMU user "
               "networking); have the proxy connect from another address (nginx: proxy_bind 127.0.0.2)";
    }
    if (*canonical == "0.0.0.0" || *canonical == "::") {
        return "'" + address + "' may not be trusted: it is the wildcard address, no peer's";
    }
    return std::nullopt;
}

bool TrustedProxies::trusts(const std::string& peer) const {
    if (addresses_.empty()) {
        return false;
    }
    const auto canonical = canonicalAddress(peer);
    return canonical && std::find(addresses_.begin(), addresses_.end(), *canonical) != addresses_.end();
}

TrustedProxies::Client TrustedProxies::clientOf(const std::string& peer, const std::string& peerScheme,
                                                const std::optional<std::string>& forwardedFor,
                                                const std::optional<std::string>& forwardedProto) const {
    Client client{peer, peerScheme};
    if (!trusts(peer)) {
        return client;
    }
    if (forwardedFor) {
        const auto comma = forwardedFor->rfind(',');
        const std::string last =
            Poco::trim(comma == std::string::npos ? *forwardedFor : forwardedFor->substr(comma + 1));
        if (const auto address = canonicalAddress(last)) {
            client.address = *address;
        }
    }
    if (forwardedProto) {
        const std::string proto = Poco::toLower(Poco::trim(*forwardedProto));
        if (proto == "http" || proto == "https") {
            client.scheme = proto;
        }
    }
    return client;
}

}  // namespace chatiere::manager::http
