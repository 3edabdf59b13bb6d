// Invoice numbers are gapless and unique: under concurrent finalization from several threads on the
// real HTTP server, and after a billing run killed at each of its SQL statements in turn (a real
// process crash: a forked child that _exits in the middle of a transaction, the database recovered
// by SQLite when it is opened again). Each check lists every number.

#include "TestDaemon.h"
#include "chatiere/manager/Daemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Mailer.h"
#include "chatiere/manager/Time.h"
#include "chatiere/provisioning/FakeHypervisor.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000},
               {"interval": "year", "kind": "association", "amount_cents": 10000, "membership_cents": 1500}],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}},
    "overage": {"disk_gib": {"unit_cents": 50}}})";

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

// Every numbered document of `kind`, as "NUMBER association total period_start", in number order.
std::vector<std::string> numbered(Database& db, const std::string& kind = "invoice") {
    auto s = db.session();
    Poco::Data::Statement stmt(s);
    std::string k = kind;
    stmt << "SELECT number, association_id, total_cents, COALESCE(period_start, '-') AS p FROM invoices "
            "WHERE kind = ? AND number IS NOT NULL ORDER BY number_year, number_seq",
        use(k);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<std::string> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        out.push_back(rs["number"].convert<std::string>() + " " +
                      rs["association_id"].convert<std::string>() + " " +
                      rs["total_cents"].convert<std::string>() + " " + rs["p"].convert<std::string>());
    }
    return out;
}

// The numbers are PREFIX-YEAR-000001 … in order, none missing, none twice.
void expectGapless(const std::vector<std::string>& documents, const std::string& prefix,
                   const std::string& year) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < documents.size(); ++i) {
        char expected[32];
        std::snprintf(expected, sizeof expected, "%s-%s-%06zu", prefix.c_str(), year.c_str(), i + 1);
        const std::string number = documents[i].substr(0, documents[i].find(' '));
        EXPECT_EQ(number, expected) << "position " << i;
        EXPECT_TRUE(seen.insert(number).second) << number << " twice";
    }
}

int64_t count(Database& db, const std::string& sql) {
    auto s = db.session();
    int64_t n = 0;
    s << sql, into(n), now;
    return n;
}

TEST(BillingNumbering, ConcurrentFinalizationIsGaplessAndUnique) {
    TestDaemon d([](Settings& s) {
        s.sessionTtlHours = 24 * 365;
        s.billing.runIntervalSeconds = 86400;
        s.billing.draftDays = 10;  // drafts, for the treasurer to finalize
    });
    d.clock().set(at("2027-01-10T09:00:00Z"));
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);
    constexpr int kAssociations = 16;
    std::vector<std::string> drafts;
    for (int i = 0; i < kAssociations; ++i) {
        const std::string a = d.approvedAssociation(admin, "Association " + std::to_string(i),
                                                    "m" + std::to_string(i) + "@a.test", "asso-web");
        const auto r = admin.post("/api/v1/associations/" + a + "/subscriptions",
                                  R"({"plan": "asso-web", "interval": "month"})");
        ASSERT_EQ(r.status, 201) << r.body;
        const auto list = admin.get("/api/v1/invoices?association=" + a).json()->getArray("invoices");
        ASSERT_EQ(list->size(), 1u);
        EXPECT_EQ(list->getObject(0)->getValue<std::string>("status"), "draft");
        EXPECT_TRUE(list->getObject(0)->isNull("number"));
        drafts.push_back(list->getObject(0)->getValue<std::string>("id"));
    }
    ASSERT_TRUE(numbered(d.daemon().database()).empty());

    // Eight clients finalize every draft at the same time, each in its own order: each draft is
    // numbered once (200), the others are told it is done already (409).
    constexpr int kThreads = 8;
    std::atomic<int> ok{0}, conflicts{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            ApiClient c = admin;
            while (!go) {
                std::this_thread::yield();
            }
            for (int i = 0; i < kAssociations; ++i) {
                const auto& id = drafts[static_cast<std::size_t>((i * (t + 1) + t) % kAssociations)];
                const int status = c.post("/api/v1/invoices/" + id + "/finalize", "{}").status;
                (status == 200 ? ok : status == 409 ? conflicts : other)++;
            }
        });
    }
    go = true;
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(ok.load() + conflicts.load(), kThreads * kAssociations);
    const auto documents = numbered(d.daemon().database());
    ASSERT_EQ(documents.size(), static_cast<std::size_t>(kAssociations));
    expectGapless(documents, "F", "2027");
    // Each draft got exactly one number and one mail to its managers in the outbox.
    EXPECT_EQ(ok.load(), kAssociations);
    EXPECT_EQ(count(d.daemon().database(), "SELECT COUNT(*) FROM outbox WHERE template = 'invoice_issued'"),
              kAssociations);
}

// ---- A billing run killed at each of its statements -------------------------------------------

// Armed in a forked child: the process dies (no destructor, no rollback) when the SQL statement
// numbered `crashAt` starts. Counting only when crashAt is 0.
std::atomic<int> statements{0};
int crashAt = 0;
bool armed = false;

int onStatement(unsigned, void*, void*, void*) {
    if (armed) {
        const int n = ++statements;
        if (crashAt > 0 && n == crashAt) {
            _exit(3);
        }
    }
    return 0;
}

int traceEveryConnection(sqlite3* db, const char**, const sqlite3_api_routines*) {
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT, onStatement, nullptr);
    return SQLITE_OK;
}

class NoMailer final : public Mailer {
public:
    void send(const MailMessage&) override {}
};

// The daemon on a database file, with its own clock, opened but not serving: no background task
// and no HTTP server, so that the statements of its billing run are the only ones (counted alike in
// every process).
struct OpenedDaemon {
    OpenedDaemon(const std::string& path, Settings settings, const std::filesystem::path& dataDir,
                 TimePoint t)
        : clock(t),
          daemon(withFiles(std::move(settings), path, dataDir),
                 {clock, mailer, hypervisor, probe, Poco::Logger::get("test")}) {
        daemon.open();
    }
    static Settings withFiles(Settings settings, const std::string& path,
                              const std::filesystem::path& dataDir) {
        settings.dbPath = path;
        settings.dataDir = dataDir.string();
        return settings;
    }
    Database& db() { return daemon.database(); }

    chatiere::base::ManualClock clock;
    NoMailer mailer;
    chatiere::provisioning::FakeHypervisor hypervisor;
    chatiere::provisioning::NetworkHealthProbe probe;
    Daemon daemon;  // declared after what it uses
};

void copyDatabase(const std::filesystem::path& from, const std::filesystem::path& to) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(to.string() + suffix);
        if (std::filesystem::exists(from.string() + suffix)) {
            std::filesystem::copy_file(from.string() + suffix, to.string() + suffix);
        }
    }
}

TEST(BillingNumbering, ARunKilledAtAnyStatementResumesWithoutGapsOrDoubles) {
    TempDir dir;
    const auto base = dir.path() / "base.db";
    Settings settings;
    {
        // Three associations subscribe on 10 January 2027 (monthly, monthly, yearly with membership);
        // none pays. The run of 20 April then bills February to April and sends reminders.
        TestDaemon d([](Settings& s) {
            s.sessionTtlHours = 24 * 365;
            s.billing.runIntervalSeconds = 86400;
        });
        d.clock().set(at("2027-01-10T09:00:00Z"));
        ApiClient admin = d.staffClient("admin@chatons.test");
        ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);
        for (int i = 0; i < 3; ++i) {
            const std::string a = d.approvedAssociation(admin, "Association " + std::to_string(i),
                                                        "m" + std::to_string(i) + "@a.test", "asso-web");
            const auto r = admin.post("/api/v1/associations/" + a + "/subscriptions",
                                      i == 2 ? R"({"plan": "asso-web", "interval": "year"})"
                                             : R"({"plan": "asso-web", "interval": "month"})");
            ASSERT_EQ(r.status, 201) << r.body;
        }
        settings = d.settings();
        d.stop();
        copyDatabase(d.settings().dbPath, base);
    }
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(traceEveryConnection));
    const TimePoint runAt = at("2027-04-20T08:00:00Z");

    // The reference: the same run, never interrupted, its statements counted.
    const auto reference = dir.path() / "reference.db";
    copyDatabase(base, reference);
    std::vector<std::string> expected;
    int total = 0;
    int64_t dunningMails = 0;
    const std::string countDunning =
        "SELECT COUNT(*) FROM outbox WHERE template IN ('invoice_reminder', 'unpaid_suspended')";
    {
        OpenedDaemon b(reference.string(), settings, dir.path(), runAt);
        statements = 0;
        armed = true;
        const auto summary = b.daemon.runBilling();
        armed = false;
        total = statements;
        EXPECT_EQ(summary.invoices, 6);  // February, March and April for each monthly subscription
        // The invoices caught up on are issued on the day of the run; January's (due 9 February)
        // are past the 30 days: each association is told once that its services stop, and the
        // reminders it missed are not sent after that.
        EXPECT_EQ(summary.suspended, 3);
        EXPECT_EQ(summary.reminders, 0);
        expected = numbered(b.db());
        dunningMails = count(b.db(), countDunning);
        EXPECT_EQ(dunningMails, 3);
    }
    ASSERT_EQ(expected.size(), 9u);
    expectGapless(expected, "F", "2027");
    ASSERT_GT(total, 20);
    RecordProperty("statements", total);

    const auto work = dir.path() / "work.db";
    for (int n = 1; n <= total; ++n) {
        copyDatabase(base, work);
        const pid_t child = fork();
        ASSERT_NE(child, -1);
        if (child == 0) {
            OpenedDaemon b(work.string(), settings, dir.path(), runAt);
            statements = 0;
            crashAt = n;
            armed = true;
            b.daemon.runBilling();
            _exit(0);
        }
        int status = 0;
        ASSERT_EQ(waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 3) << "the run should have died at statement " << n;

        // Started again, the run finishes the job: the same invoices, the same numbers, no gap,
        // one mail for each, one reminder for each overdue invoice.
        OpenedDaemon b(work.string(), settings, dir.path(), runAt);
        b.daemon.runBilling();
        EXPECT_EQ(numbered(b.db()), expected) << "after a crash at statement " << n;
        EXPECT_EQ(count(b.db(), "SELECT COUNT(*) FROM billing_events"),
                  count(b.db(), "SELECT COUNT(*) FROM billing_events WHERE invoice_id IS NOT NULL"))
            << "an event without its invoice after a crash at statement " << n;
        EXPECT_EQ(count(b.db(), "SELECT COUNT(*) FROM outbox WHERE template = 'invoice_issued'"), 9)
            << "after a crash at statement " << n;
        EXPECT_EQ(count(b.db(), countDunning), dunningMails) << "after a crash at statement " << n;
        if (HasFailure()) {
            break;  // one crash point is enough to read
        }
    }
}

}  // namespace
