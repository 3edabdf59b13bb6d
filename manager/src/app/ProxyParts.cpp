#include "app/ProxyParts.h"

#include <filesystem>

#include "app/DaemonParts.h"
#include "hosting/DehydratedClient.h"
#include "hosting/NginxProxy.h"
#include "hosting/SystemNginxProxy.h"

namespace chatiere::manager {

namespace {

// Chatière's own nginx: its transfer log is rotated past this size (after a reading).
constexpr uint64_t kTransferLogRotateBytes = 64ull * 1024 * 1024;

}  // namespace

void openProxy(Daemon::Parts& p) {
    const Settings& s = p.settings;
    if (s.proxy.mode == ProxySettings::Mode::Off) {
        return;
    }
    if (s.proxy.mode == ProxySettings::Mode::System) {
        // The packaged paths (packaging/proxy: the include, the path unit, the root helper).
        SystemNginxProxy::Options options;
        options.folder = std::filesystem::absolute(s.proxyDir());
        options.requestFile = options.folder / "reload-request";
        options.nginx = s.proxy.nginx;
        p.proxyDriver = std::make_unique<SystemNginxProxy>(options);
    } else {
        NginxProxy::Options options;
        options.prefix = std::filesystem::absolute(s.proxyDir());
        options.nginx = s.proxy.nginx;
        p.proxyDriver = std::make_unique<NginxProxy>(options);
    }
    Poco::Logger& proxyLogger = Poco::Logger::get("chatiere.proxy");
    p.proxy = std::make_unique<ProxyReconciler>(
        *p.db, p.clock, p.settings, *p.catalogue, *p.proxyDriver, [&p] { return p.port; }, proxyLogger);
    p.proxyTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.proxy.intervalSeconds),
        [proxy = p.proxy.get(), database = p.db.get()] {
            const UnitOfWork unit(*database);
            proxy->runOnce();
            return false;
        },
        [&proxyLogger](const std::exception& e) {
            proxyLogger.warning("proxy pass skipped: %s", std::string(e.what()));
        });
    DehydratedClient::Options acme;
    acme.dehydrated = s.acme.client;
    acme.baseDir = std::filesystem::absolute(s.acmeDir());
    acme.wellKnown =
        std::filesystem::path(p.proxyDriver->layout().acmeWebroot) / ".well-known" / "acme-challenge";
    acme.acme = s.acme;
    p.acme = std::make_unique<DehydratedClient>(acme);
    Poco::Logger& acmeLogger = Poco::Logger::get("chatiere.acme");
    p.certificates = std::make_unique<CertificateTask>(
        *p.db, p.clock, p.settings, *p.acme, *p.proxyDriver,
        [proxy = p.proxy.get(), task = p.proxyTask.get()] {
            proxy->certificatesChanged();
            task->wake();
        },
        acmeLogger);
    p.certificateTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.acme.intervalSeconds),
        [certificates = p.certificates.get(), database = p.db.get()] {
            const UnitOfWork unit(*database);
            certificates->runOnce();
            return false;
        },
        [&acmeLogger](const std::exception& e) {
            acmeLogger.warning("certificate orders skipped: %s", std::string(e.what()));
        });
}

void openTransfer(Daemon::Parts& p, Poco::Logger& monitorLogger) {
    const Settings& s = p.settings;
    // The proxy's transfer log (a log that does not exist is read as empty), read every monitoring
    // interval: the roll-up of the next cycle takes its bytes in. Chatière's own nginx has its log
    // rotated right after a reading (never between a rotation and the next reading: see
    // NginxProxy::rotateTransferLog); the system nginx's is logrotate's.
    p.transfer = std::make_unique<TransferLog>(
        *p.db, p.clock, monitorLogger,
        p.proxyDriver ? std::filesystem::path(p.proxyDriver->layout().transferLog)
                      : std::filesystem::path(s.dataDir) / "proxy" / "logs" / "transfer.log",
        s.rawRetentionDays);
    p.transferTask = std::make_unique<base::PeriodicTask>(
        std::chrono::seconds(s.monitoringIntervalSeconds),
        [transfer = p.transfer.get(), own = dynamic_cast<NginxProxy*>(p.proxyDriver.get()),
         database = p.db.get()] {
            const UnitOfWork unit(*database);
            transfer->readOnce();
            if (own != nullptr) {
                own->rotateTransferLog(kTransferLogRotateBytes);
            }
            return false;
        },
        [&monitorLogger](const std::exception& e) {
            monitorLogger.warning("transfer log reading skipped: %s", std::string(e.what()));
        });
}

}  // namespace chatiere::manager
