// bench/monitor: one usage collection cycle (Daemon::collectUsageOnce) for 1,000 running guests
// on libvirt's test:///default driver, samples stored, against the least work that cycle can do,
// measured in the same run: the bare bulk statistics call (virConnectGetAllDomainStats, same
// groups, NOWAIT) plus inserting the same 1,000 rows with raw SQLite in one transaction. Then the
// resident memory of a daemon running on those 1,000 services, measured first (in this process, so
// the share of the test driver's 1,000 guests is measured before it starts and subtracted).
// Its last two lines: RESULT daemon-rss ratio=<resident MiB / 30 MiB, the issue 16 ceiling> …, then
// RESULT monitor ratio=<cycle / reference> … (figures as key=value).
// Usage: chatiere_bench_monitor [GUESTS] [RUNS]

#include "FakeImages.h"
#include "chatiere/base/Clock.h"
#include "chatiere/manager/Daemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/SmtpMailer.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "chatiere/provisioning/HealthProbe.h"
#include "chatiere/provisioning/LibvirtHypervisor.h"

#include <Poco/Data/Statement.h>
#include <Poco/Logger.h>
#include <libvirt/libvirt.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace chatiere;
using namespace Poco::Data::Keywords;
using Clock = std::chrono::steady_clock;

// Issue 16: the daemon's resident memory with 1,000 services stays under this.
constexpr double kRssCeilingMib = 30;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

template <typename F>
double millis(F&& f) {
    const auto t0 = Clock::now();
    f();
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

long residentKib() {
    std::ifstream in("/proc/self/status");
    std::string key;
    long value = 0;
    std::string unit;
    while (in >> key) {
        if (key == "VmRSS:") {
            in >> value;
            return value;
        }
        std::getline(in, unit);
    }
    return 0;
}

// The reference's second half: the same rows, raw SQLite, prepared once, one transaction.
double rawInserts(sqlite3* db, const std::vector<std::string>& services, const std::string& association,
                  int round) {
    return millis([&] {
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        sqlite3_stmt* insert = nullptr;
        sqlite3_prepare_v2(
            db,
            "INSERT INTO usage_samples (service_id, association_id, at, interval_seconds, cpu_time_ns, "
            "cpu_ns, memory_kib, stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            -1, &insert, nullptr);
        const std::string at = "2026-12-01T00:" + std::to_string(10 + round % 50) + ":00Z";
        for (const auto& id : services) {
            sqlite3_bind_text(insert, 1, id.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_text(insert, 2, association.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_text(insert, 3, at.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_int64(insert, 4, 60);
            sqlite3_bind_int64(insert, 5, 123456789);
            sqlite3_bind_int64(insert, 6, 1000000);
            sqlite3_bind_int64(insert, 7, 65536);
            sqlite3_bind_int64(insert, 8, 1 << 20);
            sqlite3_step(insert);
            sqlite3_reset(insert);
        }
        sqlite3_finalize(insert);
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    });
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // in order with stderr when both go to one file
    const int guests = argc > 1 ? std::stoi(argv[1]) : 1000;
    const int runs = argc > 2 ? std::stoi(argv[2]) : 15;
    char tmpl[] = "/tmp/chatiere-bench-monitor-XXXXXX";
    const std::filesystem::path dir = mkdtemp(tmpl);
    chatiere::testing::plantImage(dir / "images", "website");
    Poco::Logger& logger = Poco::Logger::get("bench");
    logger.setLevel("error");
    Poco::Logger::root().setLevel("error");

    const std::string dbPath = (dir / "chatiere.db").string();
    const std::string association = "asso_bench";
    std::vector<std::string> ids;
    std::string instanceId;
    provisioning::LibvirtHypervisor hypervisor("test:///default");
    const auto catalogue =
        templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates");
    templates::ImageCache images(dir / "images");
    base::SystemClock clock;
    manager::Settings settings;
    settings.httpPort = 0;
    settings.dbPath = dbPath;
    settings.dataDir = dir.string();
    settings.webDir = std::string(CHATIERE_SOURCE_DIR) + "/web-admin";
    settings.templatesDir = std::string(CHATIERE_SOURCE_DIR) + "/templates";
    settings.libvirtUri = "test:///default";
    settings.libvirtDomainType = "qemu";
    settings.libvirtPool = "default-pool";
    settings.portsFirst = 30000;
    settings.portsLast = 31999;
    settings.monitoringIntervalSeconds = 5;
    settings.smtp.port = 1;
    settings.smtp.tls = manager::SmtpSettings::Tls::Never;
    manager::SmtpMailer mailer(settings.smtp);
    provisioning::NetworkHealthProbe probe;
    std::vector<double> ours;
    std::vector<double> bulk;
    std::vector<double> inserts;
    long before = 0;
    long during = 0;
    {
        manager::Database db(dbPath, 4);
        db.migrate();
        instanceId = db.instanceId();
        provisioning::GuestBuilder builder(hypervisor, catalogue, images,
                                           {instanceId, "default-pool", "/default-pool", "qemu"});
        auto s = db.session();
        s << "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES (?, "
             "'Bench', "
             "'association', 'b@bench.test', 'active', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            useRef(association), now;
        const double setup = millis([&] {
            for (int i = 0; i < guests; ++i) {
                std::string id = "svc" + std::to_string(100000 + i);
                std::string name = "s" + std::to_string(i);
                int port = 30000 + i;
                // An active website service, as the service manager records one.
                s << "INSERT INTO services (id, association_id, name, template, state, suspended_for, vcpus, "
                     "memory_mib, disk_gib, host_port, created_at, updated_at) VALUES (?, ?, ?, 'website', "
                     "'active', '', 1, 128, 1, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                    useRef(id), useRef(association), useRef(name), useRef(port), now;
                const provisioning::ServiceSpec spec{id, association, "Bench", name, "website",
                                                     1,  128,         1,       port, true};
                hypervisor.createVolume("default-pool", builder.volumeName(id), uint64_t{1} << 30);
                builder.define(spec);
                builder.ensureRunning(spec);
                ids.push_back(id);
            }
        });
        std::cerr << "bench/monitor: " << guests << " running guests on test:///default in " << setup / 1000
                  << " s\n";

        // The daemon's memory with these services, on the same hypervisor connection, measured before
        // any other daemon ran in this process: one that ran and stopped leaves its freed heap and
        // its threads' arenas resident, which the next one's figure would count (+18 MiB measured).
        before = residentKib();
        {
            manager::Daemon daemon(settings, {clock, mailer, hypervisor, probe, logger});
            daemon.start();
            std::this_thread::sleep_for(std::chrono::seconds(12));  // two collection cycles
            during = residentKib();
            std::printf(
                "daemon resident memory with %d services: %.1f MiB (process %.1f MiB, %.1f MiB before it "
                "started)\n",
                guests, (during - before) / 1024.0, during / 1024.0, before / 1024.0);
            daemon.stop();
        }

        // Where a cycle's time goes: the wrapped bulk call, the volume lookups.
        std::vector<double> wrapped;
        std::vector<double> volumes;
        std::vector<double> listing;
        for (int r = 0; r < 5; ++r) {
            listing.push_back(millis([&] { hypervisor.volumes("default-pool"); }));
            wrapped.push_back(millis([&] { hypervisor.bulkStats(instanceId); }));
            volumes.push_back(millis([&] {
                for (const auto& id : ids) {
                    hypervisor.volume("default-pool", builder.volumeName(id));
                }
            }));
        }
        std::printf("parts: bulkStats() %.1f ms, one pool listing %.1f ms (%d lookups by name %.1f ms)\n",
                    median(wrapped), median(listing), guests, median(volumes));
        // The daemon on these services, opened but not serving: its collector is the only one at work.
        // As it runs: the pool listed again every monitoring.volume_refresh_seconds (its default, 5
        // minutes), so the timed cycles read the allocations kept by the warm-up's listing.
        manager::Daemon collector(settings, {clock, mailer, hypervisor, probe, logger});
        collector.open();
        collector.collectUsageOnce();  // warm-up: the last readings loaded, the pool listed

        // The reference, interleaved with the cycles so that both see the same machine and the same
        // table: the bare bulk call on its own connection (test:///default is one driver per
        // process) and the same rows inserted with raw SQLite into the same database (same schema,
        // indexes, foreign keys and pragmas), in one transaction.
        virConnectPtr conn = virConnectOpen("test:///default");
        sqlite3* raw = nullptr;
        sqlite3_open(dbPath.c_str(), &raw);
        sqlite3_busy_timeout(raw, 10000);
        sqlite3_exec(raw, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr);
        const unsigned groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                                VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_INTERFACE;
        for (int r = 0; r < runs; ++r) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a new second: new sample times
            ours.push_back(millis([&] {
                const auto report = collector.collectUsageOnce();
                if (report.samples != guests || report.missingGuests != 0) {
                    std::cerr << "bench/monitor: " << report.samples << " samples, " << report.missingGuests
                              << " missing guests\n";
                    std::exit(1);
                }
            }));
            bulk.push_back(millis([&] {
                virDomainStatsRecordPtr* records = nullptr;
                const int n = virConnectGetAllDomainStats(conn, groups, &records,
                                                          VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
                if (n < guests) {
                    std::cerr << "bench/monitor: the bulk call saw " << n << " guests\n";
                    std::exit(1);
                }
                virDomainStatsRecordListFree(records);
            }));
            inserts.push_back(rawInserts(raw, ids, association, r));
        }
        sqlite3_close(raw);
        virConnectClose(conn);
    }

    const double cycle = median(ours);
    const double reference = median(bulk) + median(inserts);
    std::printf("collection cycle, %d guests: median %.1f ms (%d runs)\n", guests, cycle, runs);
    std::printf("reference: bare bulk call %.1f ms + raw SQLite inserts %.1f ms = %.1f ms\n", median(bulk),
                median(inserts), reference);
    std::printf("ratio: %.2f (target <= 1.2)\n", cycle / reference);

    std::filesystem::remove_all(dir);
    // The daemon's memory has a ceiling, not a reference: its ratio is to that ceiling (< 1 is met).
    const double rss = (during - before) / 1024.0;
    std::printf("RESULT daemon-rss ratio=%.3f rss_mib=%.1f ceiling_mib=%.0f process_mib=%.1f services=%d\n",
                rss / kRssCeilingMib, rss, kRssCeilingMib, during / 1024.0, guests);
    std::printf(
        "RESULT monitor ratio=%.3f cycle_ms=%.1f reference_ms=%.1f bulk_ms=%.1f inserts_ms=%.1f "
        "guests=%d runs=%d\n",
        cycle / reference, cycle, reference, median(bulk), median(inserts), guests, runs);
    return 0;
}
