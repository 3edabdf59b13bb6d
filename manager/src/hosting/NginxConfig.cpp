#include "hosting/NginxConfig.h"

#include <sstream>
#include <stdexcept>
#include <string_view>

#include "core/PublicName.h"

namespace chatiere::manager {
namespace {

bool allOf(std::string_view value, std::string_view extra) {
    for (char c : value) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && extra.find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

[[noreturn]] void refuse(const std::string& what, std::string_view value) {
    throw std::invalid_argument("nginx configuration: unsafe " + what + " '" +
                                std::string(value.substr(0, 80)) + "'");
}

// An absolute path of safe characters (no quote, space, ';', '{', '}', '$', '\\', '#').
const std::string& path(const std::string& value, const std::string& what) {
    if (value.empty() || value.front() != '/' || !allOf(value, "/._-+") ||
        value.find("..") != std::string::npos) {
        refuse(what, value);
    }
    return value;
}

const std::string& token(const std::string& value, const std::string& what) {
    if (value.empty() || !allOf(value, "_-")) {
        refuse(what, value);
    }
    return value;
}

// A host for the pages' site or an address to listen on: a canonical name, or letters, digits,
// '.', ':' and brackets (localhost, IPv4, [IPv6]).
const std::string& host(const std::string& value, const std::string& what) {
    if (value.empty() || !allOf(value, ".:[]-") || value.front() == '-') {
        refuse(what, value);
    }
    return value;
}

int port(int value, const std::string& what) {
    if (value < 1 || value > 65535) {
        refuse(what, std::to_string(value));
    }
    return value;
}

int mib(int value) {
    if (value < 0 || value > 1 << 20) {
        refuse("body size", std::to_string(value));
    }
    return value;
}

// The `listen` lines of one port (`flags`: " ssl", " default_server"...). No address: every
// address, IPv4 and IPv6 — `listen PORT` is IPv4's wildcard only, so `[::]:PORT` beside it (nginx
// makes it IPv6-only by default: the two never clash). An IPv6 address goes in brackets.
std::string listenLines(const ProxyListen& listen, int portNumber, const std::string& flags) {
    const std::string p = std::to_string(port(portNumber, "port"));
    if (listen.address.empty()) {
        return "    listen " + p + flags + ";\n    listen [::]:" + p + flags + ";\n";
    }
    const std::string& address = host(listen.address, "listen address");
    const bool bare6 = address.find(':') != std::string::npos && address.front() != '[';
    return "    listen " + (bare6 ? "[" + address + "]" : address) + ":" + p + flags + ";\n";
}

std::string names(const std::vector<std::string>& list) {
    if (list.empty()) {
        refuse("server name list", "");
    }
    std::string out;
    for (const auto& name : list) {
        if (!isCanonicalDomainName(name)) {
            refuse("server name", name);
        }
        out += (out.empty() ? "" : " ") + name;
    }
    return out;
}

std::string redirectTarget(const ProxyListen& listen) {
    const int p = port(listen.publicHttpsPort, "public HTTPS port");
    return p == 443 ? "https://$host$request_uri" : "https://$host:" + std::to_string(p) + "$request_uri";
}

// The port-80 server: ACME's HTTP-01 tokens, everything else redirected to HTTPS.
void httpServer(std::ostream& out, const std::string& serverNames, const std::string& serviceId,
                const ProxyLayout& layout, const ProxyListen& listen) {
    out << "server {\n"
        << listenLines(listen, listen.httpPort, "") << "    server_name " << serverNames << ";\n"
        << "    set $chatiere_service " << token(serviceId, "service id") << ";\n"
        << "    access_log " << path(layout.transferLog, "transfer log") << " chatiere_transfer;\n"
        << "    location ^~ /.well-known/acme-challenge/ {\n"
        << "        root " << path(layout.acmeWebroot, "ACME webroot") << ";\n"
        << "        default_type text/plain;\n"
        << "    }\n"
        << "    location / {\n"
        << "        return 301 " << redirectTarget(listen) << ";\n"
        << "    }\n"
        << "}\n";
}

void tlsHead(std::ostream& out, const std::string& serverNames, const std::string& serviceId,
             const SiteCertificate& tls, const ProxyLayout& layout, const ProxyListen& listen,
             int maxBodyMib) {
    out << "server {\n"
        << listenLines(listen, listen.httpsPort, " ssl") << "    server_name " << serverNames << ";\n"
        << "    ssl_certificate " << path(tls.certificate, "certificate") << ";\n"
        << "    ssl_certificate_key " << path(tls.key, "certificate key") << ";\n"
        << "    set $chatiere_service " << token(serviceId, "service id") << ";\n"
        << "    access_log " << path(layout.transferLog, "transfer log") << " chatiere_transfer;\n"
        << "    client_max_body_size " << mib(maxBodyMib) << "m;\n";
}

void proxyTo(std::ostream& out, const std::string& upstream, bool websocket, const std::string& bind) {
    out << "    location / {\n"
        << "        proxy_pass http://" << upstream << ";\n";
    if (!bind.empty()) {
        out << "        proxy_bind " << host(bind, "proxy_bind address") << ";\n";
    }
    out << "        proxy_http_version 1.1;\n"
        << "        proxy_set_header Host $host;\n"
        << "        proxy_set_header X-Forwarded-For $remote_addr;\n"
        << "        proxy_set_header X-Forwarded-Proto https;\n"
        << "        proxy_set_header X-Forwarded-Host $host;\n";
    if (websocket) {
        out << "        proxy_set_header Upgrade $http_upgrade;\n"
            << "        proxy_set_header Connection $chatiere_connection_upgrade;\n"
            << "        proxy_read_timeout 1h;\n";
    } else {
        out << "        proxy_set_header Connection \"\";\n";
    }
    out << "    }\n";
}

}  // namespace

std::string serviceSiteFile(const std::string& serviceId) {
    return "service-" + token(serviceId, "service id") + ".conf";
}

std::string renderHttpContext(const ProxyLayout& layout, const ProxyListen& listen) {
    std::ostringstream out;
    out << "# Generated by Chatière (docs/public-addresses.md): do not edit.\n"
        << "log_format chatiere_transfer '$msec $chatiere_service $bytes_sent';\n"
        << "map $http_upgrade $chatiere_connection_upgrade {\n"
        << "    default upgrade;\n"
        << "    '' close;\n"
        << "}\n"
        << "server {\n"
        << listenLines(listen, listen.httpPort, " default_server")
        << listenLines(listen, listen.httpsPort, " ssl default_server") << "    ssl_reject_handshake on;\n"
        << "    set $chatiere_service -;\n"
        << "    location ^~ /.well-known/acme-challenge/ {\n"
        << "        root " << path(layout.acmeWebroot, "ACME webroot") << ";\n"
        << "        default_type text/plain;\n"
        << "    }\n"
        << "    location / {\n"
        << "        return 404;\n"
        << "    }\n"
        << "}\n";
    return out.str();
}

std::string renderServiceSite(const ServiceSite& site, const ProxyLayout& layout, const ProxyListen& listen) {
    const std::string serverNames = names(site.names);
    std::ostringstream out;
    out << "# Generated by Chatière for service " << token(site.serviceId, "service id")
        << ": do not edit.\n";
    httpServer(out, serverNames, site.serviceId, layout, listen);
    tlsHead(out, serverNames, site.serviceId, site.tls, layout, listen, site.maxBodyMib);
    if (site.suspended) {
        out << "    location / {\n"
            << "        return 503;\n"
            << "    }\n"
            << "    error_page 503 /suspended.html;\n"
            << "    location = /suspended.html {\n"
            << "        internal;\n"
            << "        root " << path(layout.htmlDir, "page folder") << ";\n"
            << "        default_type text/html;\n"
            << "        charset utf-8;\n"
            << "        add_header Retry-After 3600 always;\n"
            << "        add_header Cache-Control no-store always;\n"
            << "    }\n";
    } else {
        if (!site.privatePaths.empty()) {
            std::string alternatives;
            for (const auto& p : site.privatePaths) {
                if (p.size() < 2 || p.front() != '/' || p.back() == '/' || !allOf(p.substr(1), "_-/")) {
                    refuse("private path", p);
                }
                alternatives += (alternatives.empty() ? "" : "|") + p.substr(1);
            }
            // Case-insensitive, on the decoded and merged URI: /API, /%61pi and //api are caught too.
            out << "    location ~* ^/(" << alternatives << ")(/|$) {\n"
                << "        return 404;\n"
                << "    }\n";
        }
        proxyTo(out, "127.0.0.1:" + std::to_string(port(site.upstreamPort, "upstream port")), site.websocket,
                "");
    }
    out << "}\n";
    return out.str();
}

std::string renderPagesSite(const PagesSite& site, const ProxyLayout& layout, const ProxyListen& listen) {
    const std::string& name = host(site.host, "pages host");
    std::ostringstream out;
    out << "# Generated by Chatière for its own pages: do not edit.\n";
    httpServer(out, name, "chatiere", layout, listen);
    tlsHead(out, name, "chatiere", site.tls, layout, listen, site.maxBodyMib);
    proxyTo(out,
            host(site.upstreamAddress, "upstream address") + ":" +
                std::to_string(port(site.upstreamPort, "upstream port")),
            false, site.proxyBind);
    out << "}\n";
    return out.str();
}

std::string renderOwnMainConfig(const std::string& prefix, const std::string& sitesDir) {
    const std::string& p = path(prefix, "prefix");
    std::ostringstream out;
    out << "# Generated by Chatière: its own nginx instance (proxy.mode = own). Do not edit.\n"
        << "worker_processes 1;\n"
        << "pid " << p << "/run/nginx.pid;\n"
        << "error_log " << p << "/logs/error.log warn;\n"
        << "events {\n"
        << "    worker_connections 512;\n"
        << "}\n"
        << "http {\n"
        << "    default_type application/octet-stream;\n"
        << "    server_tokens off;\n"
        << "    sendfile on;\n"
        << "    access_log off;\n"
        << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        << "    ssl_session_cache shared:chatiere_tls:1m;\n"
        << "    client_body_temp_path " << p << "/tmp/body;\n"
        << "    proxy_temp_path " << p << "/tmp/proxy;\n"
        << "    fastcgi_temp_path " << p << "/tmp/fastcgi;\n"
        << "    uwsgi_temp_path " << p << "/tmp/uwsgi;\n"
        << "    scgi_temp_path " << p << "/tmp/scgi;\n"
        << "    include " << path(sitesDir, "sites folder") << "/*.conf;\n"
        << "}\n";
    return out.str();
}

}  // namespace chatiere::manager
