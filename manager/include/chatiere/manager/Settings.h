#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace chatiere::manager {

// A setting that is unknown, malformed or out of range: the daemon does not start.
class SettingsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct SmtpSettings {
    enum class Tls { Auto, Always, Never };
    std::string host = "127.0.0.1";
    int port = 25;
    std::string username;
    std::string password;
    Tls tls = Tls::Auto;  // STARTTLS when the server offers it
    int timeoutSeconds = 30;
};

// Billing: the seller printed on invoices, VAT, payment terms, the dunning schedule.
struct BillingSettings {
    std::string sellerName = "Chatière";     // billing.seller.name
    std::vector<std::string> sellerAddress;  // billing.seller.address: lines separated by '|'
    std::string sellerSiren;                 // billing.seller.siren (9 digits) or SIRET (14)
    std::string sellerRna;                   // billing.seller.rna (W + 9 digits)
    std::string sellerVatNumber;             // billing.seller.vat_number
    std::string sellerEmail;                 // billing.seller.email
    std::string iban;                        // billing.iban
    std::string bic;                         // billing.bic
    int vatRateBasisPoints = 0;              // billing.vat_rate_percent × 100 (0: not subject to VAT)
    std::string vatExemptionMention = "TVA non applicable, art. 293 B du CGI";  // billing.vat_exemption
    int paymentDays = 30;  // billing.payment_days: due date after the issue date
    // billing.payment_methods: what invoices say is accepted, in this order (transfer: with the IBAN).
    std::vector<std::string> paymentMethods{"transfer", "cheque", "cash", "card", "helloasso"};
    std::string latePenaltyRate = "3 fois le taux d'intérêt légal";      // billing.late_penalty_rate
    std::vector<std::string> professionalKinds{"association", "other"};  // billing.professional_kinds
    int draftDays = 0;  // billing.draft_days: invoices kept as drafts this long for review (0: finalized)
    std::vector<int> reminderDays{7, 15};  // billing.reminder_days: after the due date
    int suspendDays = 30;                  // billing.suspend_days: after the due date → `unpaid`
    // billing.unsubscribed_grace_days: services without a subscription (nor a free plan) get the
    // `no_subscription` reason this long after their subscription ended.
    int unsubscribedGraceDays = 15;
    int runIntervalSeconds = 3600;  // billing.run_interval_seconds: the daemon's scheduler
    std::string fontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";  // billing.font
};

// The reverse proxy in front of the services and the pages (proxy.*; docs/public-addresses.md).
struct ProxySettings {
    enum class Mode { Off, Own, System };
    Mode mode = Mode::Off;                  // proxy.mode: off | own (Chatière's nginx) | system (Debian's)
    std::string address = "127.0.0.1";      // proxy.address: where the own nginx listens ("" or *: all)
    int httpPort = 80;                      // proxy.http_port
    int httpsPort = 443;                    // proxy.https_port
    int publicHttpsPort = 0;                // proxy.public_https_port: what redirects name (0: https_port)
    std::string dir;                        // proxy.dir: its files (empty: data.dir/proxy)
    std::string nginx = "/usr/sbin/nginx";  // proxy.nginx
    int intervalSeconds = 30;  // proxy.interval_seconds: nginx checked, the set brought up to date
    std::string contact;       // proxy.contact: the address a suspended site names (empty: mail.from's)
};

// Where certificates come from (acme.*).
struct AcmeSettings {
    std::string directoryUrl =
        "https://acme-v02.api.letsencrypt.org/directory";  // acme.directory_url ("": off)
    std::string email;                                     // acme.email: the account's contact; may be empty
    std::string caFile;  // acme.ca_file: a CA to trust for the ACME server (tests: pebble's)
    std::string client = "/usr/bin/dehydrated";  // acme.client
    int renewDays = 30;       // acme.renew_days: an issued certificate is renewed this long before expiry
    int retrySeconds = 3600;  // acme.retry_seconds: the first wait after a failed order, doubled each time
    int retryMaxSeconds = 86400;  // acme.retry_max_seconds
    int intervalSeconds = 60;     // acme.interval_seconds: how often due names are looked for
};

// Every setting of the daemon, read once and validated. Names in comments are the keys of the
// properties file (see packaging/chatiere.properties and docs/configuration.md).
struct Settings {
    std::string httpAddress = "127.0.0.1";                 // http.address
    int httpPort = 8470;                                   // http.port (0: any free port)
    int httpThreads = 64;                                  // http.threads
    int httpQueue = 256;                                   // http.queue
    int httpKeepAliveSeconds = 15;                         // http.keep_alive_seconds
    std::string dbPath = "/var/lib/chatiere/chatiere.db";  // db.path
    std::string dataDir = "/var/lib/chatiere";             // data.dir
    std::string webDir = "/usr/share/chatiere/web";        // web.dir
    int dashboardEditorWaitMs = 2000;                      // web.dashboard_editor_wait_ms
    std::string libvirtUri = "qemu:///system";             // libvirt.uri
    std::string libvirtDomainType = "kvm";                 // libvirt.domain_type (kvm | qemu)
    std::string libvirtPool = "chatiere";                  // libvirt.pool (a dir pool in data.dir/volumes)
    std::string templatesDir = "/usr/share/chatiere/templates";  // templates.dir
    int portsFirst = 20000;                                      // ports.first
    int portsLast = 20999;                                       // ports.last
    int bootTimeoutSeconds = 180;                                // provisioning.boot_timeout_seconds
    int reconcileIntervalSeconds = 60;                           // provisioning.reconcile_interval_seconds
    int orphanGraceSeconds = 3600;                               // provisioning.orphan_grace_seconds
    bool imagesAutoRollout = true;                               // images.auto_rollout
    int imagesRolloutIntervalSeconds = 60;                       // images.rollout_interval_seconds
    bool signupAutoApprove = false;                              // signup.auto_approve
    int invitationsMaxPerDay = 20;  // invitations.max_per_day: per association, the last 24 hours
    SmtpSettings smtp;              // smtp.*
    std::string mailFrom = "Chatière <chatiere@localhost>";  // mail.from
    std::string publicUrl = "http://127.0.0.1:8470";         // public.url
    // public.domain: the services' default names are <service>.<slug>.<public.domain>; never the
    // registrable domain of public.url's host (checked with the Public Suffix List). Empty: none.
    std::string publicDomain;
    // public.ipv4, public.ipv6: the host's public addresses, where an association's own domain
    // points its A and AAAA records (the dashboard shows them). Empty: unknown, a CNAME only.
    std::string publicIpv4;
    std::string publicIpv6;
    // mailhost.hostname: the mail host's name (the MX of the associations' mail domains, the name in
    // its banners). Empty: public.url's host when it is a domain name.
    std::string mailhostHostname;
    // mailhost.dns_resolver: where the mail domains' published records are looked up (GET
    // …/dns): "" the system's resolver, "off" nowhere (states unknown), or "IPV4[:PORT]".
    std::string mailhostDnsResolver;
    ProxySettings proxy;                    // proxy.*
    AcmeSettings acme;                      // acme.*
    std::string termsVersion = "1";         // terms.version
    std::string termsFile;                  // terms.file (empty: web.dir/terms.<lang>.md)
    int sessionTtlHours = 24 * 7;           // auth.session_ttl_hours
    int loginMaxFailures = 5;               // auth.max_failures
    int loginLockSeconds = 15 * 60;         // auth.lock_seconds
    bool requireTotpForStaff = true;        // auth.require_totp_for_staff
    int outboxIntervalSeconds = 10;         // outbox.interval_seconds
    int outboxMaxAttempts = 20;             // outbox.max_attempts
    int monitoringIntervalSeconds = 60;     // monitoring.interval_seconds: one usage collection
    int rawRetentionDays = 14;              // monitoring.raw_retention_days: raw usage samples kept
    int volumeRefreshSeconds = 300;         // monitoring.volume_refresh_seconds (0: every cycle)
    int hourlyRetentionDays = 90;           // monitoring.hourly_retention_days: hourly figures kept
    int healthFailures = 3;                 // monitoring.health_failures: failed checks in a row → degraded
    int healthIntervalSeconds = 0;          // monitoring.health_interval_seconds (0: the template's)
    int poolFreeAlertPercent = 10;          // monitoring.pool_free_alert_percent
    int memoryFreeAlertPercent = 5;         // monitoring.memory_free_alert_percent
    std::string timeZone = "Europe/Paris";  // time_zone: what a day is, for usage and billing
    std::vector<int> quotaIncludedSteps{80, 100};  // quota.included_steps: % of included that mail
    std::vector<int> quotaLimitSteps{90};          // quota.limit_steps: % of the limit that mail
    int quotaGraceSeconds = 72 * 3600;             // quota.grace_seconds: at the limit → websites suspended
    int quotaMaxExceptionDays = 90;                // quota.max_exception_days
    std::vector<std::string> metricsAllowed{"127.0.0.1", "::1"};  // metrics.allowed_addresses
    // http.trusted_proxies: the peers whose X-Forwarded-For / -Proto are believed; never an address a
    // guest can appear from (127.0.0.1, ::1, 0.0.0.0, ::). nullopt: not set, see trustedProxiesInEffect().
    std::optional<std::vector<std::string>> trustedProxies;
    BillingSettings billing;  // billing.*

    // Limits and timeouts that were constants, each with its old value as default.
    int httpTimeoutSeconds = 30;             // http.timeout_seconds: a stalled read or write of a request
    int provisioningMaxAttempts = 5;         // provisioning.max_attempts: of one step, then the job fails
    int provisioningBackoffCapSeconds = 60;  // provisioning.backoff_cap_seconds: the longest retry wait
    int provisioningLeaseSeconds = 600;      // provisioning.lease_seconds: a claimed job's lease
    int shutdownTimeoutSeconds = 20;         // provisioning.shutdown_timeout_seconds: then forced off
    int uploadMaxMib = 256;                  // services.upload_max_mib: a website's uploaded content
    int healthTimeoutSeconds = 0;            // monitoring.health_timeout_seconds (0: the template's)
    int quotaHysteresisPercent = 95;         // quota.hysteresis_percent: a rung is left under this % of it

    // Reads and validates; throws SettingsError naming the key at fault. Keys under `logging.`
    // belong to Poco's logging configuration and are passed through.
    static Settings fromConfiguration(const Poco::Util::AbstractConfiguration& config);
    static Settings fromFile(const std::filesystem::path& file);

    // public.url's host (a name or an IP address).
    std::string publicHost() const;
    // The mail host's name: mailhost.hostname, else public.url's host.
    std::string mailHost() const { return mailhostHostname.empty() ? publicHost() : mailhostHostname; }
    std::filesystem::path proxyDir() const {
        return proxy.dir.empty() ? std::filesystem::path(dataDir) / "proxy"
                                 : std::filesystem::path(proxy.dir);
    }
    std::filesystem::path acmeDir() const { return std::filesystem::path(dataDir) / "acme"; }
    std::filesystem::path lockPath() const { return dbPath + ".lock"; }
    std::filesystem::path imagesDir() const { return std::filesystem::path(dataDir) / "images"; }
    std::filesystem::path volumesDir() const { return std::filesystem::path(dataDir) / "volumes"; }
    std::filesystem::path uploadsDir() const { return std::filesystem::path(dataDir) / "uploads"; }
    // The server's secret key (the pages' form tokens are signed with it), made at first start.
    std::filesystem::path secretKeyPath() const { return std::filesystem::path(dataDir) / "secret.key"; }
    // A TLS terminator stands in front of every request: cookies are always Secure and named with
    // the __Host- prefix (http::Request::secureCookies).
    bool publicUrlIsHttps() const { return publicUrl.rfind("https://", 0) == 0; }
    // The trusted proxies the daemon uses: http.trusted_proxies when set, else the default — empty
    // for now; the proxy Chatière runs (nginx connects with `proxy_bind 127.0.0.2`) once
    // `proxy.mode` exists and is not `off`.
    std::vector<std::string> trustedProxiesInEffect() const;
    std::size_t uploadMaxBytes() const { return static_cast<std::size_t>(uploadMaxMib) * 1024 * 1024; }
};

}  // namespace chatiere::manager
