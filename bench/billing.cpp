// bench/billing: a billing run for 10,000 subscriptions (Daemon::runBilling: each subscription's
// first period invoiced, numbered, mailed through the outbox, one durable transaction per
// subscription) against the least work it can do, measured in the same run: the same rows (copied
// from what the run wrote) inserted with raw SQLite into a copy of the same database, statements
// prepared once, committing as the run commits — one BEGIN IMMEDIATE transaction per subscription
// and one for the run's end, at synchronous=FULL as Transaction::durable commits — so that both pay
// the same fsyncs and the ratio measures our statements. Then a second run of the same day
// (idempotency: nothing to bill), and the peak resident memory.
// Last line: RESULT billing ratio=<run / reference> and the other figures as key=value.
// Usage: chatiere_bench_billing [SUBSCRIPTIONS] [RUNS]

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Daemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Mailer.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/manager/Time.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/HealthProbe.h"

#include <Poco/Data/Statement.h>
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

// The tables a billing run writes new rows in (the subscriptions' own rows are updated, and
// invoice_sequences' row is moved by each numbered invoice).
const std::vector<std::string> kTables = {"invoices", "invoice_lines", "billing_events",
                                          "outbox",   "audit_log",     "allocations"};

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
    // As the daemon's connections are (Database::session).
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
    return db;
}

// A statement prepared once, finalized at the end of its scope.
struct Prepared {
    sqlite3* db;
    sqlite3_stmt* stmt = nullptr;
    Prepared(sqlite3* d, const std::string& sql) : db(d) {
        check(sqlite3_prepare_v3(d, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr), d, sql);
    }
    ~Prepared() { sqlite3_finalize(stmt); }
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    void step(const std::string& what) {
        check(sqlite3_step(stmt), db, what);
        sqlite3_reset(stmt);
    }
};

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
    std::vector<std::string> names;  // the columns
    std::vector<std::vector<sqlite3_value*>> rows;
    ~Rows() {
        for (auto& r : rows) {
            for (auto* v : r) {
                sqlite3_value_free(v);
            }
        }
    }
    int column(const std::string& name) const {
        const auto it = std::find(names.begin(), names.end(), name);
        return it == names.end() ? -1 : static_cast<int>(it - names.begin());
    }
    std::string text(size_t row, int column) const {
        const unsigned char* t =
            column < 0 ? nullptr : sqlite3_value_text(rows[row][static_cast<size_t>(column)]);
        return t ? reinterpret_cast<const char*>(t) : "";
    }
};

int64_t scalar(sqlite3* db, const std::string& sql) {
    Prepared stmt(db, sql);
    check(sqlite3_step(stmt.stmt), db, sql);
    return sqlite3_column_int64(stmt.stmt, 0);
}

// Every table's row count, to check that the reference wrote what the run wrote.
std::map<std::string, int64_t> tableCounts(sqlite3* db) {
    std::vector<std::string> tables;
    {
        Prepared stmt(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
        while (sqlite3_step(stmt.stmt) == SQLITE_ROW) {
            tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt.stmt, 0)));
        }
    }
    std::map<std::string, int64_t> counts;
    for (const auto& t : tables) {
        counts[t] = scalar(db, "SELECT COUNT(*) FROM " + t);
    }
    return counts;
}

// Pairs of text columns of a query (an id and what it maps to).
std::map<std::string, std::string> textMap(sqlite3* db, const std::string& sql) {
    std::map<std::string, std::string> out;
    Prepared stmt(db, sql);
    while (sqlite3_step(stmt.stmt) == SQLITE_ROW) {
        const auto* k = sqlite3_column_text(stmt.stmt, 0);
        const auto* v = sqlite3_column_text(stmt.stmt, 1);
        if (k && v) {
            out.emplace(reinterpret_cast<const char*>(k), reinterpret_cast<const char*>(v));
        }
    }
    return out;
}

std::unique_ptr<Rows> rowsAfter(sqlite3* db, const std::string& table, int64_t rowid) {
    auto out = std::make_unique<Rows>();
    out->table = table;
    Prepared stmt(db, "SELECT * FROM " + table + " WHERE rowid > ? ORDER BY rowid");
    sqlite3_bind_int64(stmt.stmt, 1, rowid);
    for (int c = 0; c < sqlite3_column_count(stmt.stmt); ++c) {
        out->names.emplace_back(sqlite3_column_name(stmt.stmt, c));
    }
    while (sqlite3_step(stmt.stmt) == SQLITE_ROW) {
        std::vector<sqlite3_value*> row;
        for (size_t c = 0; c < out->names.size(); ++c) {
            row.push_back(sqlite3_value_dup(sqlite3_column_value(stmt.stmt, static_cast<int>(c))));
        }
        out->rows.push_back(std::move(row));
    }
    return out;
}

// One transaction of the run as the reference replays it: the rows it inserted (index in the
// captured tables, index of the row), the subscription whose billed_through it moved.
struct Commit {
    std::vector<std::pair<size_t, size_t>> rows;
    std::string subscription;
    std::string billedThrough;
};

// What a run wrote, read from its database after it, grouped into the run's transactions: one per
// subscription (in the run's order, by subscription id; prepare() gives each association one),
// then the run's end (rows of no association: the billing.run audit entry).
struct Written {
    std::vector<std::unique_ptr<Rows>> tables;
    std::vector<Commit> commits;
    std::map<std::string, int64_t> counts;  // every table's rows after the run
    long rows = 0;
};

Written capture(const std::string& path, const std::map<std::string, int64_t>& before) {
    Written w;
    sqlite3* db = openRaw(path);
    for (const auto& t : kTables) {
        w.tables.push_back(rowsAfter(db, t, before.at(t)));
    }
    w.counts = tableCounts(db);
    // Who owns a row: its association, found through the column that names it.
    const auto subscriptions = textMap(db, "SELECT id, association_id FROM subscriptions");
    auto byEmail = textMap(db, "SELECT email, id FROM associations");
    byEmail.merge(
        textMap(db, "SELECT u.email, m.association_id FROM users u JOIN memberships m ON m.user_id = u.id"));
    std::map<std::string, std::string> invoices;
    std::map<std::string, size_t> commitOf;  // association → index in w.commits
    {
        Prepared stmt(db, "SELECT id, association_id, billed_through FROM subscriptions ORDER BY id");
        while (sqlite3_step(stmt.stmt) == SQLITE_ROW) {
            const auto text = [&](int c) {
                return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt.stmt, c)));
            };
            commitOf[text(1)] = w.commits.size();
            w.commits.push_back({{}, text(0), text(2)});
        }
    }
    sqlite3_close(db);
    Commit end;
    for (size_t t = 0; t < w.tables.size(); ++t) {
        const Rows& rows = *w.tables[t];
        const int association = rows.column("association_id");
        const int subscription = rows.column("subscription_id");
        const int invoice = rows.column("invoice_id");
        const int recipient = rows.column("recipient");
        for (size_t r = 0; r < rows.rows.size(); ++r) {
            std::string owner;
            if (association >= 0) {
                owner = rows.text(r, association);
            } else if (subscription >= 0) {
                owner = subscriptions.count(rows.text(r, subscription))
                            ? subscriptions.at(rows.text(r, subscription))
                            : "";
            } else if (invoice >= 0) {
                owner = invoices.count(rows.text(r, invoice)) ? invoices.at(rows.text(r, invoice)) : "";
            } else if (recipient >= 0) {
                owner = byEmail.count(rows.text(r, recipient)) ? byEmail.at(rows.text(r, recipient)) : "";
            }
            if (rows.table == "invoices") {
                invoices[rows.text(r, rows.column("id"))] = owner;
            }
            const auto it = commitOf.find(owner);
            (it == commitOf.end() ? end : w.commits[it->second]).rows.emplace_back(t, r);
            ++w.rows;
        }
    }
    w.commits.push_back(std::move(end));
    w.rows += static_cast<long>(w.commits.size()) - 1;  // the subscriptions' updates
    return w;
}

// The reference: the same rows inserted, the subscriptions' billed_through moved and the invoice
// numbers taken, with raw SQLite, each statement prepared once, committing as the run commits
// (Transaction::durable: BEGIN IMMEDIATE at synchronous=FULL; one per subscription, one at the end).
double referenceInsert(const std::string& path, const Written& w) {
    sqlite3* db = openRaw(path);
    exec(db, "PRAGMA synchronous=FULL");
    std::vector<std::unique_ptr<Prepared>> inserts;
    for (const auto& t : w.tables) {
        std::string sql = "INSERT INTO " + t->table + " VALUES (";
        for (size_t c = 0; c < t->names.size(); ++c) {
            sql += c ? ", ?" : "?";
        }
        inserts.push_back(std::make_unique<Prepared>(db, sql + ")"));
    }
    const Rows& invoices = *w.tables[0];
    const int kind = invoices.column("kind"), year = invoices.column("number_year"),
              seq = invoices.column("number_seq");
    const double ms = millis([&] {
        Prepared sequence(db,
                          "INSERT INTO invoice_sequences (kind, year, last) VALUES (?, ?, ?) ON CONFLICT "
                          "(kind, year) DO UPDATE SET last = excluded.last");
        Prepared update(db, "UPDATE subscriptions SET billed_through = ?, updated_at = ? WHERE id = ?");
        Prepared begin(db, "BEGIN IMMEDIATE");
        Prepared commit(db, "COMMIT");
        for (const auto& c : w.commits) {
            begin.step("begin");
            for (const auto& [t, r] : c.rows) {
                const auto& row = w.tables[t]->rows[r];
                Prepared& insert = *inserts[t];
                for (size_t i = 0; i < row.size(); ++i) {
                    sqlite3_bind_value(insert.stmt, static_cast<int>(i) + 1, row[i]);
                }
                insert.step(w.tables[t]->table);
                if (t == 0 && sqlite3_value_type(row[static_cast<size_t>(seq)]) != SQLITE_NULL) {
                    sqlite3_bind_value(sequence.stmt, 1, row[static_cast<size_t>(kind)]);
                    sqlite3_bind_value(sequence.stmt, 2, row[static_cast<size_t>(year)]);
                    sqlite3_bind_value(sequence.stmt, 3, row[static_cast<size_t>(seq)]);
                    sequence.step("invoice_sequences");
                }
            }
            if (!c.subscription.empty()) {
                sqlite3_bind_text(update.stmt, 1, c.billedThrough.c_str(), -1, SQLITE_STATIC);
                sqlite3_bind_text(update.stmt, 2, "2027-01-10T09:00:00Z", -1, SQLITE_STATIC);
                sqlite3_bind_text(update.stmt, 3, c.subscription.c_str(), -1, SQLITE_STATIC);
                update.step("subscriptions");
            }
            commit.step("commit");
        }
    });
    const auto counts = tableCounts(db);
    sqlite3_close(db);
    if (counts != w.counts) {
        for (const auto& [table, n] : w.counts) {
            if (counts.count(table) && counts.at(table) != n) {
                std::fprintf(stderr, "bench/billing: the reference has %lld rows in %s, the run %lld\n",
                             static_cast<long long>(counts.at(table)), table.c_str(),
                             static_cast<long long>(n));
            }
        }
        throw std::runtime_error("the reference does not write what the run wrote");
    }
    return ms;
}

// The mail goes to the outbox; nothing is sent during a bench.
class NoMailer final : public Mailer {
public:
    void send(const MailMessage&) override {}
};

// A database with a plan and `count` active associations, each with a manager and a monthly
// subscription starting on 10 January 2027 whose first period is not billed yet.
void prepare(const std::string& path, int count) {
    Database db(path, 2);
    db.migrate();
    auto s = db.session();
    Transaction tx(s);
    const std::string at = "2027-01-01T00:00:00Z";
    // The plan as POST /api/v1/plans stores it: its first version's body is the plan's JSON.
    const std::string plan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
        "templates": ["website"],
        "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000, "membership_cents": 200}],
        "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}},
        "overage": {"disk_gib": {"unit_cents": 50}}})";
    s << "INSERT INTO plans (slug, version, created_at, updated_at) VALUES ('asso-web', 1, ?, ?)", useRef(at),
        useRef(at), now;
    s << "INSERT INTO plan_versions (slug, version, body, created_at) VALUES ('asso-web', 1, ?, ?)",
        useRef(plan), useRef(at), now;
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
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // in order with stderr when both go to one file
    const int count = argc > 1 ? std::stoi(argv[1]) : 10000;
    const int runs = argc > 2 ? std::stoi(argv[2]) : 3;
    char tmpl[] = "/tmp/chatiere-bench-billing-XXXXXX";
    const std::filesystem::path dir = mkdtemp(tmpl);
    Poco::Logger::root().setLevel("error");

    const TimePoint day = parseTime("2027-01-10T09:00:00Z").value();
    base::ManualClock clock(day);
    const auto base = dir / "base.db";
    const double setup = millis([&] { prepare(base.string(), count); });
    std::printf("bench/billing: %d subscriptions (set up in %.0f ms), %d runs\n", count, setup, runs);

    Settings settings;
    settings.dataDir = dir.string();
    settings.webDir = std::string(CHATIERE_SOURCE_DIR) + "/web-admin";
    settings.templatesDir = std::string(CHATIERE_SOURCE_DIR) + "/templates";
    settings.billing.sellerName = "Fab'Lab du Pays";
    settings.billing.sellerAddress = {"1 rue de la Fabrique", "35000 Rennes"};
    std::vector<double> ours, reference, rerun;
    long rows = 0;
    size_t commits = 0;
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
                before[t] = scalar(raw, "SELECT COALESCE(MAX(rowid), 0) FROM " + t);
            }
            sqlite3_close(raw);
        }
        Written written;
        {
            // The daemon on the copy, opened but not serving: only the run works on the database.
            settings.dbPath = work.string();
            NoMailer mailer;
            provisioning::FakeHypervisor hypervisor;
            provisioning::NetworkHealthProbe probe;
            Daemon daemon(settings, {clock, mailer, hypervisor, probe, Poco::Logger::get("bench")});
            daemon.open();
            Daemon::BillingRunSummary summary;
            ours.push_back(millis([&] { summary = daemon.runBilling(); }));
            invoices = summary.invoices;
            // What the first run wrote (read before the rerun, which only adds its audit entry).
            written = capture(work.string(), before);
            Daemon::BillingRunSummary again;
            rerun.push_back(millis([&] { again = daemon.runBilling(); }));
            if (summary.invoices != count || again.invoices != 0) {
                std::fprintf(stderr, "bench/billing: expected %d invoices then none, got %d then %d\n", count,
                             summary.invoices, again.invoices);
                return 1;
            }
        }
        rows = written.rows;
        commits = written.commits.size();
        reference.push_back(referenceInsert(ref.string(), written));
        if (r == 0) {
            std::printf("  rows written by a run:");
            for (const auto& t : written.tables) {
                std::printf(" %s %zu,", t->table.c_str(), t->rows.size());
            }
            std::printf(
                " subscriptions updated %zu, invoice_sequences moved per invoice (%ld rows in all, %zu "
                "transactions)\n",
                commits - 1, rows, commits);
        }
        std::printf("  run %d: billing run %.0f ms, raw SQLite %.0f ms, rerun %.0f ms\n", r + 1, ours.back(),
                    reference.back(), rerun.back());
    }
    const double o = median(ours), ref = median(reference);
    const double peak = statusKib("VmHWM:") / 1024.0;
    std::printf("billing run (%d invoices): %.0f ms (%.1f µs per subscription)\n", invoices, o,
                o * 1000 / count);
    std::printf("raw SQLite, the same %ld rows in %zu transactions at synchronous=FULL: %.0f ms\n", rows,
                commits, ref);
    std::printf("ratio: %.2f (target <= 2.5); our statements' own time: %.0f µs per subscription\n", o / ref,
                (o - ref) * 1000 / count);
    std::printf("rerun of the same day (nothing to bill): %.0f ms\n", median(rerun));
    std::printf("peak resident memory: %.1f MiB\n", peak);
    std::filesystem::remove_all(dir);
    std::printf(
        "RESULT billing ratio=%.3f run_ms=%.0f reference_ms=%.0f us_per_subscription=%.1f "
        "overhead_us_per_subscription=%.1f rerun_ms=%.0f peak_rss_mib=%.1f subscriptions=%d runs=%d\n",
        o / ref, o, ref, o * 1000 / count, (o - ref) * 1000 / count, median(rerun), peak, count, runs);
    return 0;
}
