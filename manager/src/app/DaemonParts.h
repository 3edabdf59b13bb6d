#pragma once

// What the composition root builds (app/Daemon), in one struct so that the parts of its wiring that
// have a file of their own (app/ProxyParts) fill in the same fields.
#include "chatiere/manager/Daemon.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <filesystem>
#include "api/Api.h"
#include "app/InstanceLock.h"
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
#include "hosting/AcmeClient.h"
#include "hosting/CertificateBook.h"
#include "hosting/CertificateTask.h"
#include "hosting/HttpEtherpadApi.h"
#include "hosting/ImageRollout.h"
#include "hosting/MailService.h"
#include "hosting/PadService.h"
#include "hosting/ProvisioningStore.h"
#include "hosting/ProxyDriver.h"
#include "hosting/ProxyReconciler.h"
#include "hosting/ServiceManager.h"
#include "hosting/StoreEditorEndpoints.h"
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

#include <memory>

namespace chatiere::manager {

struct Daemon::Parts {
    Settings settings;
    base::Clock& clock;
    Mailer& mailer;
    provisioning::Hypervisor& hypervisor;
    provisioning::HealthProbe& probe;
    Poco::Logger& logger;

    std::unique_ptr<InstanceLock> lock;
    std::unique_ptr<Database> db;
    PasswordHasher hasher;
    std::unique_ptr<MailTemplates> mailTemplates;
    std::unique_ptr<Outbox> outbox;
    std::unique_ptr<OutboxWorker> outboxWorker;
    std::unique_ptr<AuthService> auth;
    std::unique_ptr<TotpService> totp;
    std::unique_ptr<AssociationService> associations;
    std::unique_ptr<PasswordResets> passwordResets;
    std::unique_ptr<Invitations> invitations;
    std::unique_ptr<PlanService> plans;
    std::unique_ptr<templates::Catalogue> catalogue;
    std::unique_ptr<templates::ImageCache> images;
    std::unique_ptr<provisioning::GuestBuilder> builder;
    std::unique_ptr<ProvisioningStore> provisioningStore;
    std::unique_ptr<provisioning::Provisioner> provisioner;
    std::unique_ptr<ProxyDriver> proxyDriver;  // none while proxy.mode = off
    std::unique_ptr<ProxyReconciler> proxy;
    std::unique_ptr<base::PeriodicTask> proxyTask;
    std::unique_ptr<AcmeClient> acme;
    std::unique_ptr<CertificateTask> certificates;
    std::unique_ptr<base::PeriodicTask> certificateTask;
    std::unique_ptr<CertificateBook> certificateBook;
    std::unique_ptr<ServiceManager> services;
    std::unique_ptr<EditorEndpoints> editorEndpoints;
    std::unique_ptr<EtherpadApi> etherpad;
    std::unique_ptr<PadService> pads;
    std::unique_ptr<DoveadmApi> doveadm;
    std::unique_ptr<MailService> mail;
    std::unique_ptr<ImageRollout> rollout;
    std::unique_ptr<base::PeriodicTask> rolloutTask;
    std::unique_ptr<provisioning::Reconciler> reconciler;
    std::unique_ptr<base::PeriodicTask> reconcileTask;
    std::unique_ptr<Calendar> calendar;
    std::unique_ptr<UsageCollector> collector;
    std::unique_ptr<TransferLog> transfer;
    std::unique_ptr<UsageRollup> rollup;
    std::unique_ptr<QuotaLadder> ladder;
    std::unique_ptr<HealthMonitor> health;
    std::unique_ptr<ServerOverview> overview;
    std::unique_ptr<UsageService> usage;
    std::unique_ptr<StatusReport> status;
    std::unique_ptr<BillingService> billing;
    std::unique_ptr<base::PeriodicTask> billingTask;
    std::unique_ptr<base::PeriodicTask> collectTask;
    std::unique_ptr<base::PeriodicTask> healthTask;
    std::unique_ptr<base::PeriodicTask> transferTask;
    std::unique_ptr<AuditQuery> audit;
    std::unique_ptr<ExportService> exports;
    std::unique_ptr<app::Services> app;
    std::unique_ptr<api::ApiContext> api;
    std::unique_ptr<web::Translations> translations;
    std::unique_ptr<web::PageRenderer> pageRenderer;
    std::unique_ptr<web::Pages> pages;
    std::unique_ptr<http::Router> router;
    std::unique_ptr<Poco::ThreadPool> threads;
    std::unique_ptr<Poco::Net::HTTPServer> server;
    int port = 0;
    bool opened = false;   // the services are built (open())
    bool running = false;  // and serving (start())

    Parts(Settings s, Externals e)
        : settings(std::move(s)),
          clock(e.clock),
          mailer(e.mailer),
          hypervisor(e.hypervisor),
          probe(e.probe),
          logger(e.logger) {}
};

}  // namespace chatiere::manager
