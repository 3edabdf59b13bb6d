#pragma once

#include <string>
#include <vector>

namespace chatiere::manager {

// The nginx configuration Chatière generates (docs/public-addresses.md): pure functions from what
// the database says to the text of each file. Every value is checked before it is written — names
// must be canonical (hosting/PublicName), paths and tokens hold only safe characters — and a bad
// one throws std::invalid_argument rather than produce a file that could carry a directive.

// Where the proxy's shared parts are: absolute paths, the same in every generated file.
struct ProxyLayout {
    std::string acmeWebroot;  // HTTP-01 tokens under <acmeWebroot>/.well-known/acme-challenge/
    std::string htmlDir;      // suspended.html
    std::string transferLog;  // the bytes sent per service (log format chatiere_transfer)
};

// What nginx listens on. `address` empty: all addresses, IPv4 and IPv6 (system mode; own mode's *).
// `publicHttpsPort`: the port the redirects name (443: none named; the demo's 8443 otherwise).
struct ProxyListen {
    std::string address;
    int httpPort = 80;
    int httpsPort = 443;
    int publicHttpsPort = 443;
};

struct SiteCertificate {
    std::string certificate;  // the full chain (PEM)
    std::string key;
};

// One hosted service's public site.
struct ServiceSite {
    std::string serviceId;
    std::vector<std::string> names;         // canonical (validateDomainName); the first is the default
    int upstreamPort = 0;                   // the service's HTTP endpoint forwarded on 127.0.0.1
    int maxBodyMib = 1;                     // client_max_body_size, from the template
    bool websocket = false;                 // the editor's pads
    std::vector<std::string> privatePaths;  // never proxied: 404 (Etherpad's /api, /admin)
    bool suspended = false;                 // the static 503 page instead of the guest
    SiteCertificate tls;
};

// Chatière's own pages and API at public.url's host.
struct PagesSite {
    std::string host;  // a name, "localhost" or an IP address (the demo)
    std::string upstreamAddress = "127.0.0.1";
    int upstreamPort = 0;
    std::string proxyBind = "127.0.0.2";  // the source address http.trusted_proxies believes
    int maxBodyMib = 64;
    SiteCertificate tls;
};

// The http-level parts every set carries (file 00-http.conf): the transfer log format, the
// WebSocket upgrade map, the default server (404 on HTTP, TLS handshakes to unknown names refused).
std::string renderHttpContext(const ProxyLayout& layout, const ProxyListen& listen);
std::string renderServiceSite(const ServiceSite& site, const ProxyLayout& layout, const ProxyListen& listen);
std::string renderPagesSite(const PagesSite& site, const ProxyLayout& layout, const ProxyListen& listen);
// The main nginx.conf of Chatière's own instance (proxy.mode = own): everything under `prefix`
// (pid, error log, temp folders), the sites of `sitesDir` included.
std::string renderOwnMainConfig(const std::string& prefix, const std::string& sitesDir);

// File names in a set: "service-<id>.conf", "pages.conf", "00-http.conf".
std::string serviceSiteFile(const std::string& serviceId);
inline constexpr const char* kPagesSiteFile = "pages.conf";
inline constexpr const char* kHttpContextFile = "00-http.conf";

}  // namespace chatiere::manager
