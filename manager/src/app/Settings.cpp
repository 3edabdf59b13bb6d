#include "chatiere/manager/Settings.h"

#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Error.h"
#include "core/PublicName.h"
#include "http/TrustedProxies.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>
#include <Poco/URI.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>

namespace chatiere::manager {

namespace {

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
                 std::vector<std::string>& out) {
    Poco::Util::AbstractConfiguration::Keys keys;
    config.keys(prefix, keys);
    for (const auto& key : keys) {
        // ".x", "x." or "x..y": no setting is named so, and the empty part would list its own
        // prefix again, without end.
        if (key.empty()) {
            throw SettingsError(
                "a key of the configuration has an empty part: " +
                (prefix.empty() ? std::string("it starts with '.'") : "after '" + prefix + "'"));
        }
        const std::string full = prefix.empty() ? key : prefix + "." + key;
        if (config.hasProperty(full)) {
            out.push_back(full);
        }
        Poco::Util::AbstractConfiguration::Keys children;
        config.keys(full, children);
        if (!children.empty()) {
            collectKeys(config, full, out);
        }
    }
}

int parseInt(const std::string& key, const std::string& value, int min, int max) {
    int parsed = 0;
    if (!Poco::NumberParser::tryParse(value, parsed) || parsed < min || parsed > max) {
        throw SettingsError("setting " + key + " = '" + value + "': expected a whole number from " +
                            std::to_string(min) + " to " + std::to_string(max));
    }
    return parsed;
}

std::vector<int> parseIntList(const std::string& key, const std::string& value, int min, int max) {
    std::vector<int> out;
    Poco::StringTokenizer parts(value, ",",
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& part : parts) {
        out.push_back(parseInt(key, part, min, max));
    }
    return out;
}

std::vector<std::string> parseAddresses(const std::string& key, const std::string& value) {
    std::vector<std::string> out;
    Poco::StringTokenizer parts(value, ",",
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& part : parts) {
        Poco::Net::IPAddress address;
        if (!Poco::Net::IPAddress::tryParse(part, address)) {
            throw SettingsError("setting " + key + ": '" + part + "' is not an IP address");
        }
        out.push_back(address.toString());
    }
    return out;
}

// Refused: anything that is not an IP address, and an address a guest can appear from.
std::vector<std::string> parseTrustedProxies(const std::string& key, const std::string& value) {
    std::vector<std::string> out;
    Poco::StringTokenizer parts(value, ",",
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& part : parts) {
        if (const auto why = http::TrustedProxies::refused(part)) {
            throw SettingsError("setting " + key + " = '" + value + "': " + *why);
        }
        out.push_back(*http::TrustedProxies::canonicalAddress(part));
    }
    return out;
}

std::vector<std::string> parseList(const std::string& value, const std::string& separator) {
    std::vector<std::string> out;
    Poco::StringTokenizer parts(value, separator,
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& part : parts) {
        out.push_back(part);
    }
    return out;
}

bool digitsOnly(const std::string& value, std::set<std::size_t> lengths) {
    return lengths.count(value.size()) && value.find_first_not_of("0123456789") == std::string::npos;
}

// "20", "5.5", "2,1" → basis points (2000, 550, 210), from 0 to 100 %.
int parsePercentBasisPoints(const std::string& key, const std::string& value) {
    std::string normalized = value;
    for (auto& c : normalized) {
        c = c == ',' ? '.' : c;
    }
    double parsed = 0;
    if (!Poco::NumberParser::tryParseFloat(normalized, parsed) || parsed < 0 || parsed > 100) {
        throw SettingsError("setting " + key + " = '" + value + "': expected a percentage from 0 to 100");
    }
    const long rounded = std::lround(parsed * 100);
    if (std::abs(parsed * 100 - static_cast<double>(rounded)) > 1e-6) {
        throw SettingsError("setting " + key + " = '" + value + "': at most two decimals");
    }
    return static_cast<int>(rounded);
}

bool parseBool(const std::string& key, const std::string& value) {
    if (value == "true" || value == "yes" || value == "on" || value == "1") {
        return true;
    }
    if (value == "false" || value == "no" || value == "off" || value == "0") {
        return false;
    }
    throw SettingsError("setting " + key + " = '" + value + "': expected true or false");
}

std::string nonEmpty(const std::string& key, const std::string& value) {
    if (value.empty()) {
        throw SettingsError("setting " + key + " must not be empty");
    }
    return value;
}

std::string httpUrl(const std::string& key, const std::string& value) {
    try {
        Poco::URI uri(value);
        if ((uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty()) {
            std::string s = value;
            while (!s.empty() && s.back() == '/') {
                s.pop_back();
            }
            return s;
        }
    } catch (const Poco::Exception&) {
    }
    throw SettingsError("setting " + key + " = '" + value + "': expected an http:// or https:// URL");
}

std::string parsePublicDomain(const std::string& key, const std::string& value) {
    if (value.empty()) {
        return value;
    }
    try {
        return validateDomainName(value, key);
    } catch (const Error& e) {
        throw SettingsError("setting " + key + " = '" + value + "': " + e.what());
    }
}

// mailhost.dns_resolver: "", "off" or an IPv4 address with an optional :PORT.
std::string parseResolver(const std::string& key, const std::string& value) {
    if (value.empty() || value == "off") {
        return value;
    }
    const auto colon = value.find(':');
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(value.substr(0, colon), address) ||
        address.family() != Poco::Net::AddressFamily::IPv4) {
        throw SettingsError(
            "setting " + key + " = '" + value +
            "': expected empty (the system's resolver), off, or an IPv4 address with an optional "
            ":PORT");
    }
    if (colon != std::string::npos) {
        parseInt(key, value.substr(colon + 1), 1, 65535);
    }
    return value;
}

// An address of one family (`v6`: IPv6, else IPv4), or empty.
std::string parseHostAddress(const std::string& key, const std::string& value, bool v6) {
    if (value.empty()) {
        return value;
    }
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(value, address) ||
        address.family() != (v6 ? Poco::Net::IPAddress::IPv6 : Poco::Net::IPAddress::IPv4)) {
        throw SettingsError("setting " + key + " = '" + value + "': expected an " + (v6 ? "IPv6" : "IPv4") +
                            " address, or nothing");
    }
    return address.toString();
}

// Hosted sites must never be same-site with Chatière's pages: their cookies and SameOriginGuard
// would then trust a page an association wrote.
void checkPublicDomain(const std::string& domain, const std::string& pagesHost) {
    const auto pagesSite = registrableDomain(pagesHost);
    const auto domainSite = registrableDomain(domain);
    if (pagesSite && domainSite && *pagesSite == *domainSite) {
        throw SettingsError(
            "setting public.domain = '" + domain + "' shares its registrable domain (" + *domainSite +
            ") with public.url's host '" + pagesHost +
            "': hosted sites would be same-site with Chatière's pages; pick a domain of its own");
    }
    if (pagesHost == domain || (pagesHost.size() > domain.size() && pagesHost.ends_with("." + domain))) {
        throw SettingsError("setting public.domain = '" + domain + "': public.url's host '" + pagesHost +
                            "' is under it; pick a domain of its own");
    }
}

}  // namespace

std::string Settings::publicHost() const {
    return Poco::URI(publicUrl).getHost();
}

Settings Settings::fromConfiguration(const Poco::Util::AbstractConfiguration& config) {
    Settings s;
    using Setter = std::function<void(const std::string& key, const std::string& value)>;
    const std::map<std::string, Setter> setters = {
        {"http.address", [&](auto& k, auto& v) { s.httpAddress = nonEmpty(k, v); }},
        {"http.port", [&](auto& k, auto& v) { s.httpPort = parseInt(k, v, 0, 65535); }},
        {"http.threads", [&](auto& k, auto& v) { s.httpThreads = parseInt(k, v, 2, 1024); }},
        {"http.queue", [&](auto& k, auto& v) { s.httpQueue = parseInt(k, v, 1, 65535); }},
        {"http.keep_alive_seconds",
         [&](auto& k, auto& v) { s.httpKeepAliveSeconds = parseInt(k, v, 0, 3600); }},
        {"http.timeout_seconds", [&](auto& k, auto& v) { s.httpTimeoutSeconds = parseInt(k, v, 1, 3600); }},
        {"db.path", [&](auto& k, auto& v) { s.dbPath = nonEmpty(k, v); }},
        {"data.dir", [&](auto& k, auto& v) { s.dataDir = nonEmpty(k, v); }},
        {"web.dir", [&](auto& k, auto& v) { s.webDir = nonEmpty(k, v); }},
        {"web.dashboard_editor_wait_ms",
         [&](auto& k, auto& v) { s.dashboardEditorWaitMs = parseInt(k, v, 100, 60000); }},
        {"libvirt.uri", [&](auto& k, auto& v) { s.libvirtUri = nonEmpty(k, v); }},
        {"libvirt.domain_type",
         [&](auto& k, auto& v) {
             if (v != "kvm" && v != "qemu") {
                 throw SettingsError("setting " + k + " = '" + v + "': expected kvm or qemu");
             }
             s.libvirtDomainType = v;
         }},
        {"libvirt.pool", [&](auto& k, auto& v) { s.libvirtPool = nonEmpty(k, v); }},
        {"templates.dir", [&](auto& k, auto& v) { s.templatesDir = nonEmpty(k, v); }},
        {"ports.first", [&](auto& k, auto& v) { s.portsFirst = parseInt(k, v, 1024, 65535); }},
        {"ports.last", [&](auto& k, auto& v) { s.portsLast = parseInt(k, v, 1024, 65535); }},
        {"provisioning.boot_timeout_seconds",
         [&](auto& k, auto& v) { s.bootTimeoutSeconds = parseInt(k, v, 5, 3600); }},
        {"provisioning.max_attempts",
         [&](auto& k, auto& v) { s.provisioningMaxAttempts = parseInt(k, v, 1, 100); }},
        {"provisioning.backoff_cap_seconds",
         [&](auto& k, auto& v) { s.provisioningBackoffCapSeconds = parseInt(k, v, 1, 86400); }},
        {"provisioning.lease_seconds",
         [&](auto& k, auto& v) { s.provisioningLeaseSeconds = parseInt(k, v, 10, 86400); }},
        {"provisioning.shutdown_timeout_seconds",
         [&](auto& k, auto& v) { s.shutdownTimeoutSeconds = parseInt(k, v, 1, 3600); }},
        {"services.upload_max_mib", [&](auto& k, auto& v) { s.uploadMaxMib = parseInt(k, v, 1, 65536); }},
        {"provisioning.reconcile_interval_seconds",
         [&](auto& k, auto& v) { s.reconcileIntervalSeconds = parseInt(k, v, 1, 86400); }},
        {"provisioning.orphan_grace_seconds",
         [&](auto& k, auto& v) { s.orphanGraceSeconds = parseInt(k, v, 0, 86400 * 30); }},
        {"images.auto_rollout", [&](auto& k, auto& v) { s.imagesAutoRollout = parseBool(k, v); }},
        {"images.rollout_interval_seconds",
         [&](auto& k, auto& v) { s.imagesRolloutIntervalSeconds = parseInt(k, v, 1, 86400); }},
        {"signup.auto_approve", [&](auto& k, auto& v) { s.signupAutoApprove = parseBool(k, v); }},
        {"invitations.max_per_day",
         [&](auto& k, auto& v) { s.invitationsMaxPerDay = parseInt(k, v, 1, 10000); }},
        {"smtp.host", [&](auto& k, auto& v) { s.smtp.host = nonEmpty(k, v); }},
        {"smtp.port", [&](auto& k, auto& v) { s.smtp.port = parseInt(k, v, 1, 65535); }},
        {"smtp.username", [&](auto&, auto& v) { s.smtp.username = v; }},
        {"smtp.password", [&](auto&, auto& v) { s.smtp.password = v; }},
        {"smtp.timeout_seconds", [&](auto& k, auto& v) { s.smtp.timeoutSeconds = parseInt(k, v, 1, 600); }},
        {"smtp.tls",
         [&](auto& k, auto& v) {
             if (v == "auto") {
                 s.smtp.tls = SmtpSettings::Tls::Auto;
             } else if (v == "starttls") {
                 s.smtp.tls = SmtpSettings::Tls::Always;
             } else if (v == "none") {
                 s.smtp.tls = SmtpSettings::Tls::Never;
             } else {
                 throw SettingsError("setting " + k + " = '" + v + "': expected auto, starttls or none");
             }
         }},
        {"mail.from", [&](auto& k, auto& v) { s.mailFrom = nonEmpty(k, v); }},
        {"public.url", [&](auto& k, auto& v) { s.publicUrl = httpUrl(k, v); }},
        {"public.domain", [&](auto& k, auto& v) { s.publicDomain = parsePublicDomain(k, v); }},
        {"public.ipv4", [&](auto& k, auto& v) { s.publicIpv4 = parseHostAddress(k, v, false); }},
        {"mailhost.hostname", [&](auto& k, auto& v) { s.mailhostHostname = parsePublicDomain(k, v); }},
        {"mailhost.dns_resolver", [&](auto& k, auto& v) { s.mailhostDnsResolver = parseResolver(k, v); }},
        {"public.ipv6", [&](auto& k, auto& v) { s.publicIpv6 = parseHostAddress(k, v, true); }},
        {"proxy.mode",
         [&](auto& k, auto& v) {
             if (v == "off") {
                 s.proxy.mode = ProxySettings::Mode::Off;
             } else if (v == "own") {
                 s.proxy.mode = ProxySettings::Mode::Own;
             } else if (v == "system") {
                 s.proxy.mode = ProxySettings::Mode::System;
             } else {
                 throw SettingsError("setting " + k + " = '" + v + "': expected own, system or off");
             }
         }},
        {"proxy.address",
         [&](auto& k, auto& v) { s.proxy.address = v == "*" || v.empty() ? "" : parseAddresses(k, v).at(0); }},
        {"proxy.http_port", [&](auto& k, auto& v) { s.proxy.httpPort = parseInt(k, v, 1, 65535); }},
        {"proxy.https_port", [&](auto& k, auto& v) { s.proxy.httpsPort = parseInt(k, v, 1, 65535); }},
        {"proxy.public_https_port", [&](auto& k, auto& v) { s.proxy.publicHttpsPort = parseInt(k, v, 0, 65535); }},
        {"proxy.dir", [&](auto&, auto& v) { s.proxy.dir = v; }},
        {"proxy.nginx", [&](auto& k, auto& v) { s.proxy.nginx = nonEmpty(k, v); }},
        {"proxy.interval_seconds", [&](auto& k, auto& v) { s.proxy.intervalSeconds = parseInt(k, v, 1, 3600); }},
        {"proxy.contact", [&](auto&, auto& v) { s.proxy.contact = v; }},
        {"acme.directory_url", [&](auto& k, auto& v) { s.acme.directoryUrl = v.empty() ? v : httpUrl(k, v); }},
        {"acme.email", [&](auto&, auto& v) { s.acme.email = v; }},
        {"acme.ca_file", [&](auto&, auto& v) { s.acme.caFile = v; }},
        {"acme.client", [&](auto& k, auto& v) { s.acme.client = nonEmpty(k, v); }},
        {"acme.renew_days", [&](auto& k, auto& v) { s.acme.renewDays = parseInt(k, v, 1, 80); }},
        {"acme.retry_seconds", [&](auto& k, auto& v) { s.acme.retrySeconds = parseInt(k, v, 1, 86400); }},
        {"acme.retry_max_seconds",
         [&](auto& k, auto& v) { s.acme.retryMaxSeconds = parseInt(k, v, 1, 30 * 86400); }},
        {"acme.interval_seconds", [&](auto& k, auto& v) { s.acme.intervalSeconds = parseInt(k, v, 1, 86400); }},
        {"terms.version", [&](auto& k, auto& v) { s.termsVersion = nonEmpty(k, v); }},
        {"terms.file", [&](auto&, auto& v) { s.termsFile = v; }},
        {"auth.session_ttl_hours",
         [&](auto& k, auto& v) { s.sessionTtlHours = parseInt(k, v, 1, 24 * 365); }},
        {"auth.max_failures", [&](auto& k, auto& v) { s.loginMaxFailures = parseInt(k, v, 1, 1000); }},
        {"auth.lock_seconds", [&](auto& k, auto& v) { s.loginLockSeconds = parseInt(k, v, 1, 86400 * 7); }},
        {"auth.require_totp_for_staff", [&](auto& k, auto& v) { s.requireTotpForStaff = parseBool(k, v); }},
        {"outbox.interval_seconds",
         [&](auto& k, auto& v) { s.outboxIntervalSeconds = parseInt(k, v, 1, 3600); }},
        {"outbox.max_attempts", [&](auto& k, auto& v) { s.outboxMaxAttempts = parseInt(k, v, 1, 1000); }},
        {"monitoring.interval_seconds",
         [&](auto& k, auto& v) { s.monitoringIntervalSeconds = parseInt(k, v, 5, 3600); }},
        {"monitoring.raw_retention_days",
         [&](auto& k, auto& v) { s.rawRetentionDays = parseInt(k, v, 1, 3650); }},
        {"monitoring.volume_refresh_seconds",
         [&](auto& k, auto& v) { s.volumeRefreshSeconds = parseInt(k, v, 0, 86400); }},
        {"monitoring.hourly_retention_days",
         [&](auto& k, auto& v) { s.hourlyRetentionDays = parseInt(k, v, 1, 3650); }},
        {"monitoring.health_failures", [&](auto& k, auto& v) { s.healthFailures = parseInt(k, v, 1, 100); }},
        {"monitoring.health_interval_seconds",
         [&](auto& k, auto& v) { s.healthIntervalSeconds = parseInt(k, v, 0, 86400); }},
        {"monitoring.health_timeout_seconds",
         [&](auto& k, auto& v) { s.healthTimeoutSeconds = parseInt(k, v, 0, 300); }},
        {"monitoring.pool_free_alert_percent",
         [&](auto& k, auto& v) { s.poolFreeAlertPercent = parseInt(k, v, 0, 100); }},
        {"monitoring.memory_free_alert_percent",
         [&](auto& k, auto& v) { s.memoryFreeAlertPercent = parseInt(k, v, 0, 100); }},
        {"time_zone",
         [&](auto& k, auto& v) {
             try {
                 Calendar calendar(v);
             } catch (const std::exception& e) {
                 throw SettingsError("setting " + k + ": " + e.what());
             }
             s.timeZone = v;
         }},
        {"quota.included_steps",
         [&](auto& k, auto& v) { s.quotaIncludedSteps = parseIntList(k, v, 1, 1000); }},
        {"quota.limit_steps", [&](auto& k, auto& v) { s.quotaLimitSteps = parseIntList(k, v, 1, 99); }},
        {"quota.grace_seconds",
         [&](auto& k, auto& v) { s.quotaGraceSeconds = parseInt(k, v, 0, 86400 * 90); }},
        {"quota.max_exception_days",
         [&](auto& k, auto& v) { s.quotaMaxExceptionDays = parseInt(k, v, 1, 365); }},
        {"quota.hysteresis_percent",
         [&](auto& k, auto& v) { s.quotaHysteresisPercent = parseInt(k, v, 50, 100); }},
        {"metrics.allowed_addresses", [&](auto& k, auto& v) { s.metricsAllowed = parseAddresses(k, v); }},
        {"http.trusted_proxies", [&](auto& k, auto& v) { s.trustedProxies = parseTrustedProxies(k, v); }},
        {"billing.seller.name", [&](auto& k, auto& v) { s.billing.sellerName = nonEmpty(k, v); }},
        {"billing.seller.address", [&](auto&, auto& v) { s.billing.sellerAddress = parseList(v, "|"); }},
        {"billing.seller.siren",
         [&](auto& k, auto& v) {
             if (!v.empty() && !digitsOnly(v, {9, 14})) {
                 throw SettingsError("setting " + k + " = '" + v +
                                     "': expected a SIREN (9 digits) or SIRET (14)");
             }
             s.billing.sellerSiren = v;
         }},
        {"billing.seller.rna", [&](auto&, auto& v) { s.billing.sellerRna = v; }},
        {"billing.seller.vat_number", [&](auto&, auto& v) { s.billing.sellerVatNumber = v; }},
        {"billing.seller.email", [&](auto&, auto& v) { s.billing.sellerEmail = v; }},
        {"billing.iban", [&](auto&, auto& v) { s.billing.iban = v; }},
        {"billing.bic", [&](auto&, auto& v) { s.billing.bic = v; }},
        {"billing.vat_rate_percent",
         [&](auto& k, auto& v) { s.billing.vatRateBasisPoints = parsePercentBasisPoints(k, v); }},
        {"billing.vat_exemption", [&](auto&, auto& v) { s.billing.vatExemptionMention = v; }},
        {"billing.payment_days", [&](auto& k, auto& v) { s.billing.paymentDays = parseInt(k, v, 0, 365); }},
        {"billing.payment_methods",
         [&](auto& k, auto& v) {
             s.billing.paymentMethods = parseList(v, ",");
             if (s.billing.paymentMethods.empty()) {
                 throw SettingsError("setting " + k + ": at least one payment method");
             }
             for (const auto& method : s.billing.paymentMethods) {
                 if (method != "transfer" && method != "cheque" && method != "cash" && method != "card" &&
                     method != "helloasso") {
                     throw SettingsError(
                         "setting " + k + ": '" + method +
                         "' is not a payment method (transfer, cheque, cash, card, helloasso)");
                 }
             }
         }},
        {"billing.late_penalty_rate", [&](auto& k, auto& v) { s.billing.latePenaltyRate = nonEmpty(k, v); }},
        {"billing.professional_kinds",
         [&](auto& k, auto& v) {
             s.billing.professionalKinds = parseList(v, ",");
             for (const auto& kind : s.billing.professionalKinds) {
                 if (kind != "association" && kind != "individual" && kind != "other") {
                     throw SettingsError("setting " + k + ": '" + kind +
                                         "' is not a kind (association, individual, other)");
                 }
             }
         }},
        {"billing.draft_days", [&](auto& k, auto& v) { s.billing.draftDays = parseInt(k, v, 0, 60); }},
        {"billing.reminder_days",
         [&](auto& k, auto& v) { s.billing.reminderDays = parseIntList(k, v, 0, 365); }},
        {"billing.suspend_days", [&](auto& k, auto& v) { s.billing.suspendDays = parseInt(k, v, 1, 3650); }},
        {"billing.unsubscribed_grace_days",
         [&](auto& k, auto& v) { s.billing.unsubscribedGraceDays = parseInt(k, v, 1, 3650); }},
        {"billing.run_interval_seconds",
         [&](auto& k, auto& v) { s.billing.runIntervalSeconds = parseInt(k, v, 60, 86400); }},
        {"billing.font", [&](auto& k, auto& v) { s.billing.fontPath = nonEmpty(k, v); }},
    };

    std::vector<std::string> keys;
    collectKeys(config, "", keys);
    for (const auto& key : keys) {
        if (key.rfind("logging.", 0) == 0) {
            continue;
        }
        const auto it = setters.find(key);
        if (it == setters.end()) {
            throw SettingsError("unknown setting " + key + " (see docs/configuration.md)");
        }
        it->second(key, config.getRawString(key));
    }
    if (!s.publicDomain.empty()) {
        checkPublicDomain(s.publicDomain, s.publicHost());
    }
    if (s.proxy.publicHttpsPort == 0) {
        s.proxy.publicHttpsPort = s.proxy.httpsPort;
    }
    if (s.portsFirst > s.portsLast) {
        throw SettingsError("settings ports.first and ports.last: the range " + std::to_string(s.portsFirst) +
                            "-" + std::to_string(s.portsLast) + " is empty");
    }
    // A job is leased while a step runs: the lease must outlast the longest wait inside one step (a
    // clean shutdown before the guest is forced off), or a job still running would look abandoned.
    if (s.provisioningLeaseSeconds <= s.shutdownTimeoutSeconds) {
        throw SettingsError(
            "setting provisioning.lease_seconds = " + std::to_string(s.provisioningLeaseSeconds) +
            ": must be longer than provisioning.shutdown_timeout_seconds (" +
            std::to_string(s.shutdownTimeoutSeconds) + ")");
    }
    return s;
}

std::vector<std::string> Settings::trustedProxiesInEffect() const {
    if (trustedProxies) {
        return *trustedProxies;
    }
    // The proxy Chatière configures reaches the pages from 127.0.0.2 (NginxConfig's proxy_bind).
    if (proxy.mode != ProxySettings::Mode::Off) {
        return {"127.0.0.2"};
    }
    return {};
}

Settings Settings::fromFile(const std::filesystem::path& file) {
    if (!std::filesystem::is_regular_file(file)) {
        throw SettingsError("configuration file " + file.string() + " does not exist or is not a file");
    }
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config;
    try {
        config = new Poco::Util::PropertyFileConfiguration(file.string());
    } catch (const Poco::Exception& e) {
        throw SettingsError("cannot read configuration file " + file.string() + ": " + e.displayText());
    }
    return fromConfiguration(*config);
}

}  // namespace chatiere::manager
