#include "chatiere/manager/Daemon.h"

#include "api/Api.h"
#include "app/DaemonParts.h"
#include "app/InstanceLock.h"
#include "app/ProxyParts.h"
#include "app/Services.h"
#include "billing/BillingService.h"
#include "chatiere/base/PeriodicTask.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/MailTemplates.h"
#include "chatiere/manager/Mailer.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/provisioning/Provisioner.h"
#include "chatiere/provisioning/Reconciler.h"
#include "chatiere/provisioning/SiteArchive.h"
#include "chatiere/provisioning/SiteImage.h"
#include "chatiere/templates/Catalogue.h"
#include "chatiere/templates/ImageCache.h"
#include "domain/AssociationService.h"
#include "domain/AuthService.h"
#include "domain/Invitations.h"
#include "domain/PasswordResets.h"
#include "domain/PlanService.h"
#include "domain/TotpService.h"
#include "hosting/CertificateBook.h"
#include "hosting/CertificateTask.h"
#include "hosting/HttpEtherpadApi.h"
#include "hosting/ImageRollout.h"
#include "hosting/PadService.h"
#include "hosting/ProvisioningStore.h"
#include "hosting/ProxyReconciler.h"
#include "hosting/ServiceManager.h"
#include "hosting/StoreEditorEndpoints.h"
#include "hosting/SystemResolver.h"
#include "http/Router.h"
#include "http/SameOriginGuard.h"
#include "monitoring/HealthMonitor.h"
#include "monitoring/Metrics.h"
#include "monitoring/MetricsToken.h"
#include "monitoring/QuotaLadder.h"
#include "monitoring/ServerOverview.h"
#include "monitoring/StatusReport.h"
#include "monitoring/TransferLog.h"
#include "monitoring/UsageCollector.h"
#include "monitoring/UsageRollup.h"
#include "monitoring/UsageService.h"
#include "web/Web.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <filesystem>
#include <fstream>

namespace chatiere::manager {

namespace {

class RouterHandler final : public Poco::Net::HTTPRequestHandler {
public:
    RouterHandler(const http::Router& router, Database& db) : router_(router), db_(db) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        // One connection for the whole request; a GET or HEAD reads one snapshot of the database.
        const std::string& method = request.getMethod();
        const bool read =
            method == Poco::Net::HTTPRequest::HTTP_GET || method == Poco::Net::HTTPRequest::HTTP_HEAD;
        const UnitOfWork unit(db_, read ? UnitOfWork::Kind::Read : UnitOfWork::Kind::Step);
        router_.dispatch(request, response);
    }

private:
    const http::Router& router_;
    Database& db_;
};

class RouterHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    RouterHandlerFactory(const http::Router& router, Database& db) : router_(router), db_(db) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new RouterHandler(router_, db_);
    }

private:
    const http::Router& router_;
    Database& db_;
};

std::string hostNameOf(const Settings& settings) {
    try {
        return Poco::URI(settings.publicUrl).getHost();
    } catch (const Poco::Exception&) {
        return "Chatière";
    }
}

}  // namespace

Daemon::Daemon(Settings settings, Externals externals)
    : parts_(std::make_unique<Parts>(std::move(settings), externals)) {}

Daemon::~Daemon() {
    try {
        stop();
    } catch (const std::exception& e) {
        parts_->logger.error("stopping the daemon: %s", std::string(e.what()));
    }
}

void Daemon::open() {
    Parts& p = *parts_;
    if (p.opened) {
        return;
    }
    const Settings& s = p.settings;
    // Checked before anything opens: settings read from a file were checked already, but a
    // Settings built in code (tests, and the default that proxy.mode adds) were not.
    http::Transport transport;
    try {
        transport.trustedProxies = http::TrustedProxies(s.trustedProxiesInEffect());
    } catch (const std::invalid_argument& e) {
        throw SettingsError(std::string("setting http.trusted_proxies: ") + e.what());
    }
    transport.publicHttps = s.publicUrlIsHttps();
    const auto dbDir = std::filesystem::path(s.dbPath).parent_path();
    if (!dbDir.empty()) {
        std::filesystem::create_directories(dbDir);
    }
    p.lock = std::make_unique<InstanceLock>(s.lockPath());
    ensureMetricsToken(metricsTokenPath(s));  // Prometheus's bearer_token_file
    p.db = std::make_unique<Database>(s.dbPath, s.httpThreads + 8);
    const int applied = p.db->migrate();
    if (applied > 0) {
        p.logger.information("database %s: applied %d migration(s), schema version %d", s.dbPath, applied,
                             p.db->schemaVersion());
    }

    p.mailTemplates = std::make_unique<MailTemplates>(std::filesystem::path(s.webDir) / "mail");
    p.outbox = std::make_unique<Outbox>(*p.mailTemplates, p.clock, hostNameOf(s));
    p.outboxWorker =
        std::make_unique<OutboxWorker>(*p.db, p.mailer, s.mailFrom, p.clock, s.outboxIntervalSeconds,
                                       s.outboxMaxAttempts, Poco::Logger::get("chatiere.outbox"));
    p.auth = std::make_unique<AuthService>(*p.db, p.clock, p.settings, p.hasher);
    p.totp = std::make_unique<TotpService>(*p.db, p.clock, p.settings, p.hasher);
    OutboxWorker* worker = p.outboxWorker.get();
    p.associations = std::make_unique<AssociationService>(*p.db, p.clock, p.settings, p.hasher, *p.outbox,
                                                          [worker] { worker->wake(); });
    p.passwordResets = std::make_unique<PasswordResets>(*p.db, p.clock, p.settings, p.hasher, *p.outbox,
                                                        [worker] { worker->wake(); });
    p.invitations = std::make_unique<Invitations>(*p.db, p.clock, p.settings, p.hasher, *p.outbox,
                                                  *p.associations, [worker] { worker->wake(); });
    p.plans = std::make_unique<PlanService>(*p.db, p.clock);
    try {
        p.catalogue = std::make_unique<templates::Catalogue>(templates::Catalogue::load(s.templatesDir));
    } catch (const templates::TemplateError& e) {
        throw Error(ErrorKind::Internal, "templates", std::string("template catalogue: ") + e.what());
    }
    p.images = std::make_unique<templates::ImageCache>(s.imagesDir());
    // The daemon never builds an image (docs/images.md): say at start which ones are missing.
    for (const auto& m : p.catalogue->all()) {
        if (!p.images->isBuilt(m)) {
            p.logger.warning(
                "the image of template %s is not built: its new services wait for it (run "
                "chatiere templates build %s)",
                m.name, m.name);
        }
    }
    // Where websites' ext4 images are made and read back (SiteImage.h), in private folders; what a
    // daemon that died left there is removed.
    const std::filesystem::path siteImages = std::filesystem::path(s.dataDir) / "site-images";
    std::filesystem::remove_all(siteImages);
    p.builder = std::make_unique<provisioning::GuestBuilder>(
        p.hypervisor, *p.catalogue, *p.images,
        provisioning::ProvisioningSettings{p.db->instanceId(), s.libvirtPool, s.volumesDir().string(),
                                           s.libvirtDomainType},
        siteImages.string());
    p.provisioningStore = std::make_unique<ProvisioningStore>(*p.db, p.clock, *p.catalogue, s.mailHost());
    if (const int resumed = p.provisioningStore->releaseLeases(); resumed > 0) {
        p.logger.information("%d provisioning job(s) interrupted by the last stop resume now", resumed);
    }
    provisioning::ProvisionerSettings provisionerSettings;
    provisionerSettings.bootTimeout = std::chrono::seconds(s.bootTimeoutSeconds);
    provisionerSettings.maxAttempts = s.provisioningMaxAttempts;
    provisionerSettings.backoffCap = std::chrono::seconds(s.provisioningBackoffCapSeconds);
    provisionerSettings.lease = std::chrono::seconds(s.provisioningLeaseSeconds);
    provisionerSettings.shutdownTimeout = std::chrono::seconds(s.shutdownTimeoutSeconds);
    p.provisioner = std::make_unique<provisioning::Provisioner>(
        *p.builder, p.probe, *p.provisioningStore, *p.provisioningStore, p.clock,
        Poco::Logger::get("chatiere.provisioner"), provisionerSettings);
    p.reconciler = std::make_unique<provisioning::Reconciler>(
        p.hypervisor, *p.builder, *p.provisioningStore, p.clock, Poco::Logger::get("chatiere.reconciler"),
        std::chrono::seconds(s.orphanGraceSeconds));
    provisioning::Provisioner* provisioner = p.provisioner.get();
    provisioning::Reconciler* reconciler = p.reconciler.get();
    Poco::Logger& reconcileLogger = Poco::Logger::get("chatiere.reconciler");
    p.reconcileTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.reconcileIntervalSeconds),
        [reconciler, provisioner, database = p.db.get()] {
            const UnitOfWork unit(*database);
            if (reconciler->runOnce().repairs > 0) {
                provisioner->wake();
            }
            return false;
        },
        [&reconcileLogger](const std::exception& e) {
            reconcileLogger.warning("reconciliation skipped: %s", std::string(e.what()));
        });
    openProxy(p);
    // A change of a service (created, suspended, resumed, resized, deleted, given a domain): the
    // provisioner carries it out, the proxy publishes it.
    const std::function<void()> serviceChanged = [provisioner, proxyTask = p.proxyTask.get()] {
        provisioner->wake();
        if (proxyTask != nullptr) {
            proxyTask->wake();
        }
    };
    p.services = std::make_unique<ServiceManager>(*p.db, p.clock, p.settings, *p.catalogue, *p.associations,
                                                  serviceChanged);
    p.editorEndpoints = std::make_unique<StoreEditorEndpoints>(*p.db);
    p.etherpad = std::make_unique<HttpEtherpadApi>(std::chrono::seconds(5));
    p.pads = std::make_unique<PadService>(*p.db, p.clock, *p.catalogue, *p.associations, *p.services,
                                          *p.editorEndpoints, *p.etherpad);
    p.doveadm = std::make_unique<HttpDoveadmApi>();
    p.mail = std::make_unique<MailService>(*p.db, p.clock, *p.catalogue, *p.associations, *p.services,
                                           *p.doveadm, s.mailHost(), systemDnsLookup(s.mailhostDnsResolver));
    Poco::Logger& rolloutLogger = Poco::Logger::get("chatiere.rollout");
    p.rollout = std::make_unique<ImageRollout>(*p.db, p.clock, p.settings, *p.catalogue, *p.builder,
                                               rolloutLogger, [provisioner] { provisioner->wake(); });
    // Rebuilt images: one service at a time restarted on its template's current build.
    p.rolloutTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.imagesRolloutIntervalSeconds),
        [rollout = p.rollout.get(), database = p.db.get()] {
            const UnitOfWork unit(*database);
            rollout->runOnce();
            return false;
        },
        [&rolloutLogger](const std::exception& e) {
            rolloutLogger.warning("image rollout skipped: %s", std::string(e.what()));
        });
    p.calendar = std::make_unique<Calendar>(s.timeZone);
    Poco::Logger& monitorLogger = Poco::Logger::get("chatiere.monitor");
    p.collector =
        std::make_unique<UsageCollector>(*p.db, p.hypervisor, *p.builder, p.clock, monitorLogger,
                                         s.rawRetentionDays, std::chrono::seconds(s.volumeRefreshSeconds));
    p.rollup = std::make_unique<UsageRollup>(*p.db, *p.calendar, s.hourlyRetentionDays);
    openTransfer(p, monitorLogger);
    LadderSettings ladderSettings;
    ladderSettings.includedPercents = s.quotaIncludedSteps;
    ladderSettings.limitPercents = s.quotaLimitSteps;
    ladderSettings.grace = std::chrono::seconds(s.quotaGraceSeconds);
    ladderSettings.hysteresisPercent = s.quotaHysteresisPercent;
    ladderSettings.publicUrl = s.publicUrl;
    ladderSettings.timeZone = s.timeZone;
    p.ladder = std::make_unique<QuotaLadder>(*p.db, p.clock, *p.catalogue, *p.associations, ladderSettings,
                                             serviceChanged);
    HealthSettings healthSettings;
    healthSettings.failuresForDegraded = s.healthFailures;
    healthSettings.intervalSeconds = s.healthIntervalSeconds;
    healthSettings.poolFreeAlertPercent = s.poolFreeAlertPercent;
    healthSettings.memoryFreeAlertPercent = s.memoryFreeAlertPercent;
    healthSettings.pool = s.libvirtPool;
    p.health = std::make_unique<HealthMonitor>(*p.db, p.hypervisor, p.probe, *p.catalogue, *p.calendar,
                                               p.clock, Poco::Logger::get("chatiere.health"), healthSettings);
    p.overview = std::make_unique<ServerOverview>(*p.db, p.clock, *p.calendar,
                                                  [health = p.health.get()] { return health->lastHost(); });
    UsageCollector* collector = p.collector.get();
    UsageRollup* rollup = p.rollup.get();
    QuotaLadder* ladder = p.ladder.get();
    HealthMonitor* health = p.health.get();
    MailService* mail = p.mail.get();
    base::Clock* clock = &p.clock;
    // One monitoring cycle: measure, roll up, walk the quota ladder, look at the host.
    p.collectTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.monitoringIntervalSeconds),
        [collector, rollup, ladder, health, mail, clock, database = p.db.get()] {
            const UnitOfWork unit(*database);
            collector->collectOnce();
            mail->collectUsage();
            rollup->run(clock->now());
            ladder->evaluate();
            health->checkHost();
            return false;
        },
        [&monitorLogger](const std::exception& e) {
            monitorLogger.warning("monitoring cycle skipped: %s", std::string(e.what()));
        });
    Poco::Logger& healthLogger = Poco::Logger::get("chatiere.health");
    p.healthTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.healthIntervalSeconds > 0 ? std::min(5, s.healthIntervalSeconds) : 5),
        [health, database = p.db.get()] {
            const UnitOfWork unit(*database);
            health->checkDue();
            return false;
        },
        [&healthLogger](const std::exception& e) {
            healthLogger.warning("health checks skipped: %s", std::string(e.what()));
        });
    p.usage = std::make_unique<UsageService>(
        *p.db, p.clock, *p.calendar, p.settings, *p.services, *p.associations, [ladder, &monitorLogger] {
            try {
                ladder->evaluate();
            } catch (const std::exception& e) {
                monitorLogger.warning("quota ladder: %s", std::string(e.what()));
            }
        });
    p.status = std::make_unique<StatusReport>(*p.db, p.clock, *p.calendar, *p.catalogue);
    p.billing = std::make_unique<BillingService>(*p.db, p.clock, *p.calendar, p.settings, *p.associations,
                                                 serviceChanged);
    BillingService* billing = p.billing.get();
    Poco::Logger& billingLogger = Poco::Logger::get("chatiere.billing");
    // The daily billing run (idempotent: run often, it bills each event once).
    p.billingTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.billing.runIntervalSeconds),
        [billing, &billingLogger, database = p.db.get()] {
            const UnitOfWork unit(*database);
            const RunSummary summary = billing->scheduledRun();
            if (summary.invoices + summary.reminders + summary.suspended > 0) {
                billingLogger.information(
                    "billing run as of %s: %d invoice(s), %d reminder(s), %d suspension(s)", summary.asOf,
                    summary.invoices, summary.reminders, summary.suspended);
            }
            return false;
        },
        [&billingLogger](const std::exception& e) {
            billingLogger.error("billing run failed: %s", std::string(e.what()));
        });
    Database* db = p.db.get();
    p.certificateBook = std::make_unique<CertificateBook>(*p.db, p.clock, p.proxy != nullptr,
                                                          [task = p.certificateTask.get()] {
                                                              if (task != nullptr) {
                                                                  task->wake();
                                                              }
                                                          });
    p.audit = std::make_unique<AuditQuery>(*p.db);
    // A website service's content as a tar, read from its data volume: its ext4 filesystem (with
    // debugfs, nothing mounted), or the tar a volume written before ext4 holds; empty when none.
    p.exports = std::make_unique<ExportService>(
        *p.db, p.clock, *p.associations, *p.services, *p.billing,
        [&hypervisor = p.hypervisor, builder = p.builder.get(), pool = s.libvirtPool,
         work = siteImages](const Service& service) -> std::string {
            const auto volume =
                hypervisor.volume(pool, builder->volumeName(service.id, service.volumeGeneration));
            std::ifstream in(volume ? volume->path : std::string(), std::ios::binary);
            if (!in) {
                return std::string();
            }
            return provisioning::isExt4Volume(in) ? provisioning::readSiteImage(volume->path, work)
                                                  : provisioning::readSiteArchive(in);
        },
        p.pads.get(), p.mail.get());
    p.app = std::make_unique<app::Services>(
        app::Services{p.settings,
                      *p.auth,
                      *p.associations,
                      *p.plans,
                      *p.services,
                      *p.catalogue,
                      *p.audit,
                      *p.usage,
                      *p.billing,
                      [db, collector, health, calendar = p.calendar.get(), clock = &p.clock] {
                          MetricsInputs inputs;
                          inputs.today = calendar->dateOf(clock->now());
                          if (const auto last = collector->lastReport()) {
                              inputs.collection = last->first;
                              inputs.collectedAtSeconds =
                                  std::chrono::duration<double>(last->second.time_since_epoch()).count();
                          }
                          inputs.host = health->lastHost();
                          auto session = db->session();
                          return renderMetrics(session, inputs);
                      },
                      [db] { return app::databaseAnswers(*db); },
                      *p.exports,
                      p.clock,
                      *p.calendar,
                      *p.passwordResets,
                      *p.invitations,
                      *p.overview,
                      *p.status,
                      *p.totp,
                      *p.pads,
                      *p.rollout,
                      *p.certificateBook,
                      *p.mail});
    p.api = std::make_unique<api::ApiContext>(*p.app);
    p.router = std::make_unique<http::Router>(Poco::Logger::get("chatiere.http"));
    p.router->setGuard(http::SameOriginGuard(s.publicUrl, app::kSessionCookie));
    p.router->setTransport(std::move(transport));
    api::registerSystemRoutes(*p.router, *p.api);
    api::registerAuthRoutes(*p.router, *p.api);
    api::registerAssociationRoutes(*p.router, *p.api);
    api::registerPlanRoutes(*p.router, *p.api);
    api::registerServiceRoutes(*p.router, *p.api);
    api::registerUsageRoutes(*p.router, *p.api);
    api::registerBillingRoutes(*p.router, *p.api);
    api::registerExportRoutes(*p.router, *p.api);
    api::registerPadRoutes(*p.router, *p.api);
    api::registerMailRoutes(*p.router, *p.api);
    // The web pages: the same services, as HTML forms.
    const std::filesystem::path web(s.webDir);
    p.translations = std::make_unique<web::Translations>(web / "i18n");
    p.pageRenderer = std::make_unique<web::PageRenderer>(web / "templates", *p.translations);
    p.pages = std::make_unique<web::Pages>(*p.app, *p.pageRenderer, loadOrCreateSecretKey(s.secretKeyPath()));
    web::registerPublicPages(*p.router, *p.pages);
    web::registerAccountPages(*p.router, *p.pages);
    web::registerSpacePages(*p.router, *p.pages);
    web::registerPadPages(*p.router, *p.pages);
    web::registerMailPages(*p.router, *p.pages);
    web::registerAdminPages(*p.router, *p.pages);
    web::registerMembersPages(*p.router, *p.pages);
    web::registerProfilePages(*p.router, *p.pages);
    web::registerSubscriptionPages(*p.router, *p.pages);
    web::registerPasswordPages(*p.router, *p.pages);
    web::registerSecurityPages(*p.router, *p.pages);
    web::registerAdminOverviewPages(*p.router, *p.pages);
    web::registerAdminBillingPages(*p.router, *p.pages);
    web::registerAdminAuditPages(*p.router, *p.pages);
    web::registerAdminPlansPages(*p.router, *p.pages);
    web::registerInvitationPages(*p.router, *p.pages);
    p.opened = true;
}

void Daemon::start() {
    open();
    Parts& p = *parts_;
    const Settings& s = p.settings;
    p.outboxWorker->start();
    p.provisioner->start();
    p.reconcileTask->start();  // a first pass at once: repairs what changed while the daemon was down
    p.collectTask->start(/*runAtOnce=*/false);
    p.healthTask->start(/*runAtOnce=*/false);
    p.transferTask->start(/*runAtOnce=*/false);
    p.billingTask->start(/*runAtOnce=*/false);
    p.rolloutTask->start(/*runAtOnce=*/false);

    Poco::Net::ServerSocket socket;
    try {
        socket.bind(Poco::Net::SocketAddress(s.httpAddress, static_cast<Poco::UInt16>(s.httpPort)), true);
        socket.listen(s.httpQueue);
    } catch (const Poco::Exception& e) {
        p.rolloutTask->stop();
        p.billingTask->stop();
        p.transferTask->stop();
        p.healthTask->stop();
        p.collectTask->stop();
        p.reconcileTask->stop();
        p.provisioner->stop();
        p.outboxWorker->stop();
        throw Error(
            ErrorKind::Unavailable, "listen",
            "cannot listen on " + s.httpAddress + ":" + std::to_string(s.httpPort) + ": " + e.displayText());
    }
    p.port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(s.httpThreads);
    params->setMaxQueued(s.httpQueue);
    params->setKeepAlive(s.httpKeepAliveSeconds > 0);
    params->setKeepAliveTimeout(Poco::Timespan(s.httpKeepAliveSeconds, 0));
    params->setTimeout(Poco::Timespan(s.httpTimeoutSeconds, 0));
    params->setServerName("chatiere");
    p.threads = std::make_unique<Poco::ThreadPool>(2, s.httpThreads);
    p.server = std::make_unique<Poco::Net::HTTPServer>(new RouterHandlerFactory(*p.router, *p.db), *p.threads,
                                                       socket, params);
    p.server->start();
    p.running = true;
    if (p.proxyTask) {
        p.proxyTask->start();  // the pages' port is known now
        p.certificateTask->start(/*runAtOnce=*/false);
    }
    p.logger.information("listening on http://%s:%d (public URL %s)", s.httpAddress, p.port, s.publicUrl);
    if (const auto proxies = s.trustedProxiesInEffect(); !proxies.empty()) {
        std::string list;
        for (const auto& address : proxies) {
            list += (list.empty() ? "" : ", ") + address;
        }
        p.logger.information("X-Forwarded-For and X-Forwarded-Proto believed from %s", list);
    }
}

void Daemon::stop() {
    Parts& p = *parts_;
    if (p.running) {
        p.running = false;
        // 1. stop accepting; requests in flight finish.
        p.server->stopAll(false);
        p.threads->joinAll();
        // 2. background tasks (a provisioning job stops between two steps). Chatière's own nginx
        // keeps serving: the next start adopts it through its pid file.
        if (p.proxyTask) {
            p.certificateTask->stop();
            p.proxyTask->stop();
        }
        p.rolloutTask->stop();
        p.billingTask->stop();
        p.transferTask->stop();
        p.healthTask->stop();
        p.collectTask->stop();
        p.reconcileTask->stop();
        p.provisioner->stop();
        p.outboxWorker->stop();
    }
    if (!p.opened) {
        return;
    }
    p.opened = false;
    // 3. the database, then the lock.
    p.server.reset();
    p.db.reset();
    p.lock.reset();
    p.logger.information("stopped");
}

int Daemon::port() const {
    return parts_->port;
}
const Settings& Daemon::settings() const {
    return parts_->settings;
}
Database& Daemon::database() {
    return *parts_->db;
}
std::vector<Daemon::Route> Daemon::routes() const {
    std::vector<Route> out;
    for (const auto& r : parts_->router->routes()) {
        out.push_back({r.method, r.pattern});
    }
    return out;
}
OutboxWorker& Daemon::outboxWorker() {
    return *parts_->outboxWorker;
}
std::string Daemon::instanceId() {
    return parts_->db->instanceId();
}
int Daemon::pendingJobs() {
    return parts_->provisioningStore->pendingJobs();
}

Daemon::BillingRunSummary Daemon::runBilling(const std::optional<std::string>& asOf) {
    Parts& p = *parts_;
    if (!p.opened) {
        throw Error(ErrorKind::Internal, "not_open", "runBilling() before open() or start()");
    }
    const UnitOfWork unit(*p.db);
    return p.billing->scheduledRun(asOf);
}

Daemon::ProxyPassSummary Daemon::reconcileProxyOnce() {
    Parts& p = *parts_;
    if (!p.proxy) {
        throw Error(ErrorKind::Internal, "proxy_off", "reconcileProxyOnce() with proxy.mode = off");
    }
    const UnitOfWork unit(*p.db);
    const ProxyPass pass = p.proxy->runOnce();
    return {pass.services, pass.refused, pass.applied, pass.error};
}

int Daemon::orderCertificatesOnce() {
    Parts& p = *parts_;
    if (!p.certificates) {
        throw Error(ErrorKind::Internal, "proxy_off", "orderCertificatesOnce() with proxy.mode = off");
    }
    const UnitOfWork unit(*p.db);
    return p.certificates->runOnce();
}

Daemon::UsageCollectionSummary Daemon::collectUsageOnce() {
    Parts& p = *parts_;
    if (!p.opened) {
        throw Error(ErrorKind::Internal, "not_open", "collectUsageOnce() before open() or start()");
    }
    const UnitOfWork unit(*p.db);
    const CollectionReport r = p.collector->collectOnce();
    return {r.samples, r.missingGuests, r.pruned, r.duration};
}

}  // namespace chatiere::manager
