// bench/billing: a billing run for 10,000 subscriptions (BillingService::run: each subscription's
// first period invoiced, numbered, mailed through the outbox, one transaction per subscription)
// against the least work it can do, measured in the same run: inserting the same rows (copied from
// what the run wrote) with raw SQLite, prepared statements, in one transaction, into a copy of the
// same database. Then a second run of the same day (idempotency: nothing to bill), and the peak
// resident memory.
// Usage: chatiere_bench_billing [SUBSCRIPTIONS] [RUNS]

#include "billing/BillingService.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/MailTemplates.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/manager/Time.h"
#include "chatiere/provisioning/Clock.h"
#include "domain/AssociationService.h"
#include "domain/PlanService.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace chatiere;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The tables a billing run writes: new rows in each (the subscriptions' own rows are updated).
const std::vector<std::string> kTables = {"invoices",  "invoice_lines",     "billing_events", "outbox",
                                          "audit_log", "invoice_sequences", "allocations"};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

template <typename F>
double millis(F&& f) {
    const auto t0 = SteadyClock::now();
    f();
    return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

long statusKib(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string key;
    while (in >> key) {
        if (key == field) {
            long value = 0;
            in >> value;
            return value;
        }
    }
    return 0;
}

void check(int rc, sqlite3* db, const std::string& what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw std::runtime_error(what + ": " + sqlite3_errmsg(db));
    }
}

void exec(sqlite3* db, const std::string& sql) {
    check(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), db, sql);
}

sqlite3* openRaw(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        throw std::runtime_error("cannot open " + path);
    }
    // As the daemon's connections are.
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
    return db;
}

void copyDatabase(const std::filesystem::path& from, const std::filesystem::path& to) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(to.string() + suffix);
        if (std::filesystem::exists(from.string() + suffix)) {
            std::filesystem::copy_file(from.string() + suffix, to.string() + suffix);
        }
    }
}

// Rows of one table, as SQLite values, to insert elsewhere.
struct Rows {
    std::string table;
    int columns = 0;
    std::vector<std::vector<sqlite3_value*>> rows;
    ~Rows() {
        for (auto& r : rows) {
            for (auto* v : r) {
                sqlite3_value_free(v);
            }
        }
    }
};

int64_t maxRowid(sqlite3* db, const std::string& table) {
    sqlite3_stmt* stmt = nullptr;
    check(
        sqlite3_prepare_v2(db, ("SELECT COALESCE(MAX(rowid), 0) FROM " + table).c_str(), -1, &stmt, nullptr),
        db, table);
    check(sqlite3_step(stmt), db, table);
    const int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

std::unique_ptr<Rows> rowsAfter(sqlite3* db, const std::string& table, int64_t rowid) {
    auto out = std::make_unique<Rows>();
    out->table = table;
    sqlite3_stmt* stmt = nullptr;
    check(sqlite3_prepare_v2(db, ("SELECT * FROM " + table + " WHERE rowid > ? ORDER BY rowid").c_str(), -1,
                             &stmt, nullptr),
          db, table);
    sqlite3_bind_int64(stmt, 1, rowid);
    out->columns = sqlite3_column_count(stmt);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        std::vector<sqlite3_value*> row;
        for (int c = 0; c < out->columns; ++c) {
            row.push_back(sqlite3_value_dup(sqlite3_column_value(stmt, c)));
        }
        out->rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return out;
}

// The reference: the same rows inserted (and the subscriptions' billed_through moved) with raw
// SQLite, statements prepared once, in one transaction.
double referenceInsert(const std::string& path, const std::vector<std::unique_ptr<Rows>>& written,
                       const std::vector<std::pair<std::string, std::string>>& billedThrough) {
    sqlite3* db = openRaw(path);
    const double ms = millis([&] {
        exec(db, "BEGIN IMMEDIATE");
        for (const auto& t : written) {
            std::string sql = "INSERT OR REPLACE INTO " + t->table + " VALUES (";
            for (int c = 0; c < t->columns; ++c) {
                sql += c ? ", ?" : "?";
            }
            sqlite3_stmt* stmt = nullptr;
            check(sqlite3_prepare_v2(db, (sql + ")").c_str(), -1, &stmt, nullptr), db, sql);
            for (const auto& row : t->rows) {
                for (int c = 0; c < t->columns; ++c) {
                    sqlite3_bind_value(stmt, c + 1, row[static_cast<size_t>(c)]);
                }
                check(sqlite3_step(stmt), db, t->table);
                sqlite3_reset(stmt);
            }
            sqlite3_finalize(stmt);
        }
        sqlite3_stmt* update = nullptr;
        check(
            sqlite3_prepare_v2(db, "UPDATE subscriptions SET billed_through = ?, updated_at = ? WHERE id = ?",
                               -1, &update, nullptr),
            db, "update");
        for (const auto& [id, through] : billedThrough) {
            sqlite3_bind_text(update, 1, through.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_text(update, 2, "2027-01-10T09:00:00Z", -1, SQLITE_STATIC);
            sqlite3_bind_text(update, 3, id.c_str(), -1, SQLITE_STATIC);
            check(sqlite3_step(update), db, "update");
            sqlite3_reset(update);
        }
        sqlite3_finalize(update);
        exec(db, "COMMIT");
    });
    sqlite3_close(db);
    return ms;
}

// A database with a plan and `count` active associations, each with a manager and a monthly
// subscription starting on 10 January 2027 whose first period is not billed yet.
void prepare(const std::string& path, int count, provisioning::Clock& clock, const Actor& admin) {
    Database db(path, 2);
    db.migrate();
    PlanService plans(db, clock);
    plans.create(admin, Poco::JSON::Parser()
                            .parse(R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
                "templates": ["website"],
                "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000,
                            "membership_cents": 200}],
                "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}},
                "overage": {"disk_gib": {"unit_cents": 50}}})")
                            .extract<Poco::JSON::Object::Ptr>());
    auto s = db.session();
    Transaction tx(s);
    const std::string at = "2027-01-01T00:00:00Z";
    for (int i = 0; i < count; ++i) {
        const std::string n = std::to_string(100000 + i);
        const std::string a = "asso_" + n, u = "usr_" + n, sub = "sub_" + n;
        const std::string email = "m" + n + "@bench.test";
        const std::string name = "Association " + n;
        s << "INSERT INTO associations (id, name, kind, email, status, plan_slug, address_line1, "
             "postal_code, "
             "city, created_at, updated_at) VALUES (?, ?, 'association', ?, 'active', 'asso-web', "
             "'1 rue des Lilas', '35000', 'Rennes', ?, ?)",
            useRef(a), useRef(name), useRef(email), useRef(at), useRef(at), now;
        s << "INSERT INTO users (id, email, email_key, name, password_hash, email_verified, created_at, "
             "updated_at) VALUES (?, ?, ?, 'Camille', 'x', 1, ?, ?)",
            useRef(u), useRef(email), useRef(email), useRef(at), useRef(at), now;
        s << "INSERT INTO memberships (association_id, user_id, role, created_at) VALUES (?, ?, 'manager', "
             "?)",
            useRef(a), useRef(u), useRef(at), now;
        s << "INSERT INTO subscriptions (id, association_id, plan_slug, plan_version, interval, price_cents, "
             "membership_cents, anchor_date, start_date, status, billed_through, created_at, updated_at) "
             "VALUES (?, ?, 'asso-web', 1, 'month', 1000, 200, '2027-01-10', '2027-01-10', 'active', "
             "'2027-01-10', ?, ?)",
            useRef(sub), useRef(a), useRef(at), useRef(at), now;
    }
    tx.commit();
}

}  // namespace

int main(int argc, char** argv) {
    const int count = argc > 1 ? std::stoi(argv[1]) : 10000;
    const int runs = argc > 2 ? std::stoi(argv[2]) : 3;
    char tmpl[] = "/tmp/chatiere-bench-billing-XXXXXX";
    const std::filesystem::path dir = mkdtemp(tmpl);
    Poco::Logger::root().setLevel("error");

    const TimePoint day = parseTime("2027-01-10T09:00:00Z").value();
    provisioning::ManualClock clock(day);
    const Actor admin{std::string("usr_bench_admin"), "bench@chatons.test", StaffRole::Admin, ""};
    const auto base = dir / "base.db";
    const double setup = millis([&] { prepare(base.string(), count, clock, admin); });
    std::printf("bench/billing: %d subscriptions (set up in %.0f ms), %d runs\n", count, setup, runs);

    Settings settings;
    settings.webDir = std::string(CHATIERE_SOURCE_DIR) + "/web-admin";
    settings.billing.sellerName = "Fab'Lab du Pays";
    settings.billing.sellerAddress = {"1 rue de la Fabrique", "35000 Rennes"};
    std::vector<double> ours, reference, rerun;
    long rows = 0;
    int invoices = 0;
    for (int r = 0; r < runs; ++r) {
        const auto work = dir / "work.db";
        const auto ref = dir / "reference.db";
        copyDatabase(base, work);
        copyDatabase(base, ref);
        std::map<std::string, int64_t> before;
        {
            sqlite3* raw = openRaw(work.string());
            for (const auto& t : kTables) {
                before[t] = maxRowid(raw, t);
            }
            sqlite3_close(raw);
        }
        // What the first run wrote (read before the rerun, which only adds its audit entry).
        std::vector<std::unique_ptr<Rows>> written;
        std::vector<std::pair<std::string, std::string>> billedThrough;
        const auto capture = [&] {
            sqlite3* raw = openRaw(work.string());
            for (const auto& t : kTables) {
                written.push_back(rowsAfter(raw, t, t == "invoice_sequences" ? 0 : before[t]));
            }
            sqlite3_stmt* stmt = nullptr;
            check(sqlite3_prepare_v2(raw, "SELECT id, billed_through FROM subscriptions", -1, &stmt, nullptr),
                  raw, "subscriptions");
            while (sqlite3_step(stmt) == SQLITE_ROW) {
                billedThrough.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                                           reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
            }
            sqlite3_finalize(stmt);
            sqlite3_close(raw);
        };
        {
            Database db(work.string());
            Calendar calendar;
            MailTemplates templates(std::filesystem::path(settings.webDir) / "mail");
            Outbox outbox(templates, clock, "chatons.test");
            PasswordHasher hasher;
            AssociationService associations(db, clock, settings, hasher, outbox, [] {});
            BillingService billing(db, clock, calendar, settings, associations, [] {});
            RunSummary summary;
            ours.push_back(millis([&] { summary = billing.run(admin, std::nullopt); }));
            invoices = summary.invoices;
            capture();
            RunSummary again;
            rerun.push_back(millis([&] { again = billing.run(admin, std::nullopt); }));
            if (summary.invoices != count || again.invoices != 0) {
                std::fprintf(stderr, "bench/billing: expected %d invoices then none, got %d then %d\n", count,
                             summary.invoices, again.invoices);
                return 1;
            }
        }
        rows = static_cast<long>(billedThrough.size());
        for (const auto& t : written) {
            rows += static_cast<long>(t->rows.size());
        }
        reference.push_back(referenceInsert(ref.string(), written, billedThrough));
        if (r == 0) {
            std::printf("  rows written by a run:");
            for (const auto& t : written) {
                std::printf(" %s %zu,", t->table.c_str(), t->rows.size());
            }
            std::printf(" subscriptions updated %zu (%ld in all)\n", billedThrough.size(), rows);
        }
        std::printf("  run %d: billing run %.0f ms, raw inserts %.0f ms, rerun %.0f ms\n", r + 1, ours.back(),
                    reference.back(), rerun.back());
    }
    const double o = median(ours), ref = median(reference);
    std::printf("billing run (%d invoices): %.0f ms (%.1f µs per subscription)\n", invoices, o,
                o * 1000 / count);
    std::printf("raw SQLite, the same %ld rows in one transaction: %.0f ms\n", rows, ref);
    std::printf("ratio: %.1f\n", o / ref);
    std::printf("rerun of the same day (nothing to bill): %.0f ms\n", median(rerun));
    std::printf("peak resident memory: %.1f MiB\n", statusKib("VmHWM:") / 1024.0);
    std::filesystem::remove_all(dir);
    return 0;
}
