#pragma once

#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager::http {

// The peers whose X-Forwarded-For and X-Forwarded-Proto the daemon believes (http.trusted_proxies:
// the reverse proxy in front of it, which connects from an address of its own — nginx's
// `proxy_bind 127.0.0.2`), and what those headers make of a request's client. Pure: no socket.
//
// Never trusted: an address a guest can appear from. QEMU user networking makes a guest's
// connections to the host arrive from the host's loopback (127.0.0.1, ::1), and the wildcard
// addresses (0.0.0.0, ::) name no peer; a guest trusted as a proxy could claim any client address.
class TrustedProxies {
public:
    // What the daemon believes of a request's client.
    struct Client {
        std::string address;  // an IP address as text
        std::string scheme;   // "http" or "https": what the client used
    };

    TrustedProxies() = default;  // nobody: every peer is its own client
    // `addresses`: IP addresses. Throws std::invalid_argument naming the first that is not one, or
    // that refused() refuses.
    explicit TrustedProxies(const std::vector<std::string>& addresses);

    bool trusts(const std::string& peer) const;
    const std::vector<std::string>& addresses() const { return addresses_; }

    // The client of a request from `peer` over `peerScheme`. From a trusted peer: the LAST address
    // of `forwardedFor` (the proxy sets the header to the address it saw, replacing what the client
    // sent; a list "a, b" ends with what the nearest proxy saw) when it is an IP address, else the
    // peer; and `forwardedProto` when it is http or https, else `peerScheme`. From any other peer the
    // headers are ignored: the peer and `peerScheme`.
    Client clientOf(const std::string& peer, const std::string& peerScheme,
                    const std::optional<std::string>& forwardedFor,
                    const std::optional<std::string>& forwardedProto) const;

    // `text` as one IP address in canonical form (an IPv4-mapped IPv6 address as IPv4), or nullopt.
    // Strict: no "127.1", no port, no brackets, no zone, no surrounding space.
    static std::optional<std::string> canonicalAddress(const std::string& text);
    // Why `address` may not be trusted, or nullopt: not an IP address, or one a guest can appear
    // from (127.0.0.1, ::1, 0.0.0.0, ::, and their IPv4-mapped forms).
    static std::optional<std::string> refused(const std::string& address);

private:
    std::vector<std::string> addresses_;  // canonical
};

}  // namespace chatiere::manager::http
