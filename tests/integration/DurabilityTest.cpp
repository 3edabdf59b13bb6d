// Every transaction that gives an invoice its number or records money is durable: once the API
// answered, a power cut cannot undo it. With the WAL and synchronous=NORMAL a commit is not synced;
// with synchronous=FULL the WAL is synced before COMMIT returns. The daemon's real SQLite file is
// opened through a VFS that counts the syncs of its WAL, and each money request must sync it.

#include "TestDaemon.h"
#include "chatiere/manager/Time.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <string>

using namespace chatiere::testing;
using namespace chatiere::manager;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}}})";

// The default VFS, wrapped: every file it opens counts its xSync calls when its name ends in -wal.
// Registered as the default while it lives, so that the daemon's connections (opened after) use it.
class WalSyncCounter {
public:
    WalSyncCounter() {
        real_ = sqlite3_vfs_find(nullptr);
        vfs_ = *real_;
        vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
        vfs_.zName = "chatiere-wal-sync-counter";
        vfs_.pAppData = this;
        vfs_.xOpen = &WalSyncCounter::open;
        // The unix VFS's files have version 3 methods; ours forward each to the real file's.
        methods_.iVersion = 3;
        methods_.xClose = [](sqlite3_file* p) { return of(p)->real()->pMethods->xClose(of(p)->real()); };
        methods_.xRead = [](sqlite3_file* p, void* b, int n, sqlite3_int64 o) {
            return of(p)->real()->pMethods->xRead(of(p)->real(), b, n, o);
        };
        methods_.xWrite = [](sqlite3_file* p, const void* b, int n, sqlite3_int64 o) {
            return of(p)->real()->pMethods->xWrite(of(p)->real(), b, n, o);
        };
        methods_.xTruncate = [](sqlite3_file* p, sqlite3_int64 n) {
            return of(p)->real()->pMethods->xTruncate(of(p)->real(), n);
        };
        methods_.xSync = [](sqlite3_file* p, int flags) {
            if (of(p)->wal) {
                ++of(p)->owner->walSyncs_;
            }
            return of(p)->real()->pMethods->xSync(of(p)->real(), flags);
        };
        methods_.xFileSize = [](sqlite3_file* p, sqlite3_int64* n) {
            return of(p)->real()->pMethods->xFileSize(of(p)->real(), n);
        };
        methods_.xLock = [](sqlite3_file* p, int l) {
            return of(p)->real()->pMethods->xLock(of(p)->real(), l);
        };
        methods_.xUnlock = [](sqlite3_file* p, int l) {
            return of(p)->real()->pMethods->xUnlock(of(p)->real(), l);
        };
        methods_.xCheckReservedLock = [](sqlite3_file* p, int* r) {
            return of(p)->real()->pMethods->xCheckReservedLock(of(p)->real(), r);
        };
        methods_.xFileControl = [](sqlite3_file* p, int op, void* a) {
            return of(p)->real()->pMethods->xFileControl(of(p)->real(), op, a);
        };
        methods_.xSectorSize = [](sqlite3_file* p) {
            return of(p)->real()->pMethods->xSectorSize(of(p)->real());
        };
        methods_.xDeviceCharacteristics = [](sqlite3_file* p) {
            return of(p)->real()->pMethods->xDeviceCharacteristics(of(p)->real());
        };
        methods_.xShmMap = [](sqlite3_file* p, int i, int s, int e, void volatile** m) {
            return of(p)->real()->pMethods->xShmMap(of(p)->real(), i, s, e, m);
        };
        methods_.xShmLock = [](sqlite3_file* p, int o, int n, int fl) {
            return of(p)->real()->pMethods->xShmLock(of(p)->real(), o, n, fl);
        };
        methods_.xShmBarrier = [](sqlite3_file* p) { of(p)->real()->pMethods->xShmBarrier(of(p)->real()); };
        methods_.xShmUnmap = [](sqlite3_file* p, int d) {
            return of(p)->real()->pMethods->xShmUnmap(of(p)->real(), d);
        };
        methods_.xFetch = [](sqlite3_file* p, sqlite3_int64 o, int n, void** m) {
            return of(p)->real()->pMethods->xFetch(of(p)->real(), o, n, m);
        };
        methods_.xUnfetch = [](sqlite3_file* p, sqlite3_int64 o, void* m) {
            return of(p)->real()->pMethods->xUnfetch(of(p)->real(), o, m);
        };
        if (sqlite3_vfs_register(&vfs_, 1) != SQLITE_OK) {
            throw std::runtime_error("cannot register the counting VFS");
        }
    }
    ~WalSyncCounter() { sqlite3_vfs_unregister(&vfs_); }
    WalSyncCounter(const WalSyncCounter&) = delete;
    WalSyncCounter& operator=(const WalSyncCounter&) = delete;

    int walSyncs() const { return walSyncs_.load(); }

private:
    // Our file: its methods, then the real file (szOsFile bytes of the real VFS).
    struct File {
        sqlite3_file base;
        WalSyncCounter* owner;
        bool wal;
        sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
    };

    static File* of(sqlite3_file* f) { return reinterpret_cast<File*>(f); }

    static int open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* outFlags) {
        auto* self = static_cast<WalSyncCounter*>(vfs->pAppData);
        File* f = of(file);
        std::memset(f, 0, sizeof(File));
        const int rc = self->real_->xOpen(self->real_, name, f->real(), flags, outFlags);
        if (rc != SQLITE_OK) {
            return rc;
        }
        f->owner = self;
        const std::size_t length = name ? std::strlen(name) : 0;
        f->wal = length > 4 && std::strcmp(name + length - 4, "-wal") == 0;
        f->base.pMethods = &self->methods_;
        return SQLITE_OK;
    }

    sqlite3_vfs* real_ = nullptr;
    sqlite3_vfs vfs_{};
    sqlite3_io_methods methods_{};
    std::atomic<int> walSyncs_{0};
};

class Durability : public ::testing::Test {
protected:
    Durability()
        : d_([](Settings& s) {
              s.sessionTtlHours = 24 * 365;
              s.monitoringIntervalSeconds = 3600;
              s.billing.runIntervalSeconds = 86400;
              s.billing.draftDays = 3;  // so that a draft waits for the treasurer's finalize
          }) {}

    void SetUp() override {
        d_.clock().set(parseTime("2027-01-10T09:00:00Z").value());
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_.staffClient("tresorier@chatons.test", "treasurer"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-web");
        b_ = d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "asso-web");
    }

    std::string draftOf(const std::string& association) {
        const auto list = treasurer_->get("/api/v1/invoices?association=" + association);
        EXPECT_EQ(list.status, 200) << list.body;
        const auto invoice = list.json()->getArray("invoices")->getObject(0);
        EXPECT_EQ(invoice->getValue<std::string>("status"), "draft");
        return invoice->getValue<std::string>("id");
    }

    // The WAL syncs that `request` caused; expects it to answer `status`.
    template <typename Request>
    int syncsOf(int status, Request&& request) {
        const int before = counter_.walSyncs();
        const ApiResponse r = request();
        EXPECT_EQ(r.status, status) << r.body;
        return counter_.walSyncs() - before;
    }

    WalSyncCounter counter_;  // before the daemon: its connections open through it
    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_, treasurer_;
    std::string a_, b_;
};

TEST_F(Durability, EveryNumberAndEveryAmountIsSyncedBeforeTheAnswer) {
    // Subscribing bills the first period (a draft here, held three days for review).
    for (const auto& association : {a_, b_}) {
        EXPECT_GE(syncsOf(201,
                          [&] {
                              return admin_->post("/api/v1/associations/" + association + "/subscriptions",
                                                  R"({"plan": "asso-web", "interval": "month"})");
                          }),
                  1);
    }
    // The treasurer gives A's draft its number.
    const std::string invoice = draftOf(a_);
    EXPECT_GE(syncsOf(200, [&] { return treasurer_->post("/api/v1/invoices/" + invoice + "/finalize", ""); }),
              1);
    // A payment.
    EXPECT_GE(syncsOf(201,
                      [&] {
                          return treasurer_->post("/api/v1/invoices/" + invoice + "/payments",
                                                  R"({"amount_cents": 400, "method": "cheque"})");
                      }),
              1);
    // A credit note (numbered in its own sequence).
    EXPECT_GE(syncsOf(201,
                      [&] {
                          return treasurer_->post("/api/v1/invoices/" + invoice + "/credit-notes",
                                                  R"({"amount_cents": 100, "reason": "Geste"})");
                      }),
              1);
    // Three days later the billing run numbers B's draft: nothing else is due, so the sync is that
    // of its finalization.
    draftOf(b_);
    d_.clock().advance(std::chrono::hours(24 * 3));
    ApiResponse run;
    const int syncs = syncsOf(200, [&] { return run = treasurer_->post("/api/v1/billing/run", ""); });
    ASSERT_TRUE(run.json()) << run.body;
    EXPECT_EQ(run.json()->getValue<int>("drafts_finalized"), 1) << run.body;
    EXPECT_EQ(run.json()->getValue<int>("invoices"), 0) << run.body;
    EXPECT_GE(syncs, 1);
}

}  // namespace
