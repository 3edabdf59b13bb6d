#include "hosting/NginxConfig.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "Golden.h"
#include "core/PublicName.h"
#include "hosting/SuspendedPage.h"

using namespace chatiere::manager;
using chatiere::testing::expectGolden;

namespace {

const std::string kGolden = std::string(CHATIERE_SOURCE_DIR) + "/manager/tests/golden/nginx/";

ProxyLayout layout() {
    return {"/var/lib/chatiere/proxy/acme", "/var/lib/chatiere/proxy/html",
            "/var/lib/chatiere/proxy/logs/transfer.log"};
}

ServiceSite website() {
    ServiceSite site;
    site.serviceId = "svc_k5v3q2m7x4a9c6b1";
    site.names = {"site.amap-breal.asso-hebergees.example", "www.amap-breal.example"};
    site.upstreamPort = 41234;
    site.maxBodyMib = 1;
    site.tls = {"/var/lib/chatiere/proxy/certs/site.amap-breal.asso-hebergees.example/fullchain.pem",
                "/var/lib/chatiere/proxy/certs/site.amap-breal.asso-hebergees.example/privkey.pem"};
    return site;
}

ServiceSite editor() {
    ServiceSite site = website();
    site.serviceId = "svc_editor0000000001";
    site.names = {"pads.amap-breal.asso-hebergees.example"};
    site.upstreamPort = 41300;
    site.maxBodyMib = 50;
    site.websocket = true;
    site.privatePaths = {"/api", "/admin"};
    return site;
}

}  // namespace

TEST(NginxConfig, WebsiteSite) {
    expectGolden(renderServiceSite(website(), layout(), ProxyListen{}), kGolden + "website.conf");
}

TEST(NginxConfig, EditorSiteUpgradesWebSocketsAndHidesPrivatePaths) {
    const std::string conf = renderServiceSite(editor(), layout(), ProxyListen{});
    EXPECT_NE(conf.find("proxy_set_header Upgrade $http_upgrade;"), std::string::npos);
    EXPECT_NE(conf.find("location ~* ^/(api|admin)(/|$)"), std::string::npos);
    EXPECT_NE(conf.find("client_max_body_size 50m;"), std::string::npos);
    expectGolden(conf, kGolden + "editor.conf");
}

TEST(NginxConfig, SuspendedSiteNeverReachesTheGuest) {
    ServiceSite site = editor();
    site.suspended = true;
    const std::string conf = renderServiceSite(site, layout(), ProxyListen{});
    EXPECT_EQ(conf.find("proxy_pass"), std::string::npos);
    EXPECT_NE(conf.find("return 503;"), std::string::npos);
    EXPECT_NE(conf.find("add_header Retry-After 3600 always;"), std::string::npos);
    expectGolden(conf, kGolden + "suspended.conf");
}

TEST(NginxConfig, OwnInstanceOnOtherPortsRedirectsToItsHttpsPort) {
    const ProxyListen listen{"127.0.0.1", 8080, 8443, 8443};
    const std::string conf = renderServiceSite(website(), layout(), listen);
    EXPECT_NE(conf.find("listen 127.0.0.1:8080;"), std::string::npos);
    EXPECT_NE(conf.find("listen 127.0.0.1:8443 ssl;"), std::string::npos);
    EXPECT_NE(conf.find("return 301 https://$host:8443$request_uri;"), std::string::npos);
}

TEST(NginxConfig, EveryAddressMeansIpv4AndIpv6AndAnIpv6AddressIsBracketed) {
    // No address (the system nginx, or proxy.address = *): each port on IPv4's and IPv6's wildcard.
    const std::string all = renderServiceSite(website(), layout(), ProxyListen{});
    EXPECT_NE(all.find("    listen 80;\n    listen [::]:80;\n"), std::string::npos) << all;
    EXPECT_NE(all.find("    listen 443 ssl;\n    listen [::]:443 ssl;\n"), std::string::npos) << all;
    const std::string context = renderHttpContext(layout(), ProxyListen{});
    EXPECT_NE(context.find("    listen 80 default_server;\n    listen [::]:80 default_server;\n"),
              std::string::npos)
        << context;
    EXPECT_NE(context.find("    listen 443 ssl default_server;\n    listen [::]:443 ssl default_server;\n"),
              std::string::npos)
        << context;
    // One address: that one only.
    const std::string v6 = renderServiceSite(website(), layout(), ProxyListen{"::1", 8080, 8443, 8443});
    EXPECT_NE(v6.find("    listen [::1]:8080;\n    server_name"), std::string::npos) << v6;
    EXPECT_NE(v6.find("    listen [::1]:8443 ssl;\n    server_name"), std::string::npos) << v6;
    const std::string v4 = renderServiceSite(website(), layout(), ProxyListen{"127.0.0.1", 8080, 8443, 8443});
    EXPECT_EQ(v4.find("[::]"), std::string::npos) << v4;
}

TEST(NginxConfig, PagesHttpContextAndMainConfig) {
    PagesSite pages;
    pages.host = "chatiere.lap.example";
    pages.upstreamPort = 8080;
    pages.tls = {"/var/lib/chatiere/proxy/certs/chatiere.lap.example/fullchain.pem",
                 "/var/lib/chatiere/proxy/certs/chatiere.lap.example/privkey.pem"};
    expectGolden(renderPagesSite(pages, layout(), ProxyListen{}), kGolden + "pages.conf");
    expectGolden(renderHttpContext(layout(), ProxyListen{}), kGolden + "00-http.conf");
    expectGolden(renderOwnMainConfig("/var/lib/chatiere/proxy", "/var/lib/chatiere/proxy/sites"),
                 kGolden + "nginx.conf");
}

TEST(NginxConfig, SiteFileNames) {
    EXPECT_EQ(serviceSiteFile("svc_abc"), "service-svc_abc.conf");
    EXPECT_THROW(serviceSiteFile("../x"), std::invalid_argument);
    EXPECT_THROW(serviceSiteFile(""), std::invalid_argument);
}

TEST(NginxConfig, RefusesInjectionThroughEveryField) {
    const std::string directive = "x; include /etc/shadow; #";
    auto refused = [&](auto change) {
        ServiceSite site = editor();
        change(site);
        EXPECT_THROW(renderServiceSite(site, layout(), ProxyListen{}), std::invalid_argument);
    };
    refused([&](ServiceSite& s) { s.names = {"a.example.org;"}; });
    refused([&](ServiceSite& s) { s.names = {"a.example.org " + directive}; });
    refused([&](ServiceSite& s) { s.names = {"*.example.org"}; });
    refused([&](ServiceSite& s) { s.names = {"localhost"}; });
    refused([&](ServiceSite& s) { s.names = {}; });
    refused([&](ServiceSite& s) { s.serviceId = directive; });
    refused([&](ServiceSite& s) { s.serviceId = "svc$host"; });
    refused([&](ServiceSite& s) { s.tls.certificate = "/certs/a.pem;" + directive; });
    refused([&](ServiceSite& s) { s.tls.key = "relative/key.pem"; });
    refused([&](ServiceSite& s) { s.tls.key = "/certs/../../etc/shadow"; });
    refused([&](ServiceSite& s) { s.tls.key = "/certs/a b.pem"; });
    refused([&](ServiceSite& s) { s.privatePaths = {"/api) { } location / {"}; });
    refused([&](ServiceSite& s) { s.privatePaths = {"api"}; });
    refused([&](ServiceSite& s) { s.privatePaths = {"/a.*"}; });
    refused([&](ServiceSite& s) { s.upstreamPort = 0; });
    refused([&](ServiceSite& s) { s.upstreamPort = 70000; });
    refused([&](ServiceSite& s) { s.maxBodyMib = -1; });
    ProxyLayout bad = layout();
    bad.transferLog = "/logs/t.log combined; access_log /tmp/x";
    EXPECT_THROW(renderServiceSite(editor(), bad, ProxyListen{}), std::invalid_argument);
    EXPECT_THROW(renderServiceSite(editor(), layout(), ProxyListen{"1.2.3.4; x", 80, 443, 443}),
                 std::invalid_argument);
    PagesSite pages;
    pages.host = "chatiere.example;" + directive;
    pages.upstreamPort = 8080;
    pages.tls = website().tls;
    EXPECT_THROW(renderPagesSite(pages, layout(), ProxyListen{}), std::invalid_argument);
    EXPECT_THROW(renderOwnMainConfig("/srv/x y", "/srv/x"), std::invalid_argument);
}

TEST(NginxConfig, ValidatedNamesAlwaysRender) {
    // What validateDomainName lets through, the renderer takes: no name is accepted at the API
    // and then refused when its file is written.
    for (const std::string input : {"Café.Example", "a-b.c-d.example", "xn--bcher-kva.example"}) {
        ServiceSite site = website();
        site.names = {validateDomainName(input)};
        EXPECT_NO_THROW(renderServiceSite(site, layout(), ProxyListen{})) << input;
    }
}

TEST(SuspendedPage, BilingualEscapedAndSilentAboutTheReason) {
    const std::string page = renderSuspendedPage("La Fabrique", "contact@lap.example<script>");
    EXPECT_NE(page.find("Service suspendu"), std::string::npos);
    EXPECT_NE(page.find("Service suspended"), std::string::npos);
    EXPECT_NE(page.find("contact@lap.example&lt;script&gt;"), std::string::npos);
    EXPECT_EQ(page.find("<script>"), std::string::npos);
    for (const std::string word : {"impay", "unpaid", "quota", "paiement", "payment"}) {
        EXPECT_EQ(page.find(word), std::string::npos) << word;
    }
}
