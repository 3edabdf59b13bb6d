#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <filesystem>

using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/chatiere-test-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};
}  // namespace

TEST(Database, MigratesAnEmptyFileThenIsANoOp) {
    TempDir dir;
    Database db(dir.file("c.db"));
    EXPECT_EQ(db.schemaVersion(), 0);
    EXPECT_EQ(db.migrate(), Database::latestSchemaVersion());
    EXPECT_EQ(db.schemaVersion(), Database::latestSchemaVersion());
    const std::string instance = db.instanceId();
    EXPECT_EQ(instance.size(), 12u);
    EXPECT_EQ(db.migrate(), 0);
    EXPECT_EQ(db.instanceId(), instance);
}

TEST(Database, ForeignKeysAreEnforcedOnEveryConnection) {
    TempDir dir;
    Database db(dir.file("c.db"));
    db.migrate();
    auto s = db.session();
    EXPECT_ANY_THROW((s << "INSERT INTO memberships(association_id, user_id, role, created_at) "
                           "VALUES ('nope', 'nope', 'member', 'x')",
                      now));
}

TEST(Database, EverySessionHasItsPragmasWhetherItsConnectionIsNewOrReused) {
    TempDir dir;
    Database db(dir.file("c.db"), 4);
    db.migrate();
    // Many at once (new connections), then one by one (reused ones).
    std::vector<Poco::Data::Session> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(db.session());
    }
    const auto check = [](Poco::Data::Session& s) {
        int foreignKeys = 0, synchronous = -1;
        s << "PRAGMA foreign_keys", into(foreignKeys), now;
        s << "PRAGMA synchronous", into(synchronous), now;
        EXPECT_EQ(foreignKeys, 1);
        EXPECT_EQ(synchronous, 1);  // NORMAL
    };
    for (auto& s : held) {
        check(s);
    }
    held.clear();
    for (int i = 0; i < 10; ++i) {
        auto s = db.session();
        check(s);
    }
}

TEST(Database, RefusesASchemaNewerThanItKnows) {
    TempDir dir;
    Database db(dir.file("c.db"));
    db.migrate();
    {
        auto s = db.session();
        s << "PRAGMA user_version=999", now;
    }
    EXPECT_ANY_THROW(db.migrate());
}

TEST(Database, UncommittedTransactionRollsBack) {
    TempDir dir;
    Database db(dir.file("c.db"));
    db.migrate();
    auto s = db.session();
    {
        Transaction tx(s);
        s << "INSERT INTO plans(slug, version, created_at, updated_at) VALUES ('p', 1, 'x', 'x')", now;
    }
    int count = -1;
    s << "SELECT COUNT(*) FROM plans", into(count), now;
    EXPECT_EQ(count, 0);
}

// A durable transaction (an invoice number, money) runs with synchronous=FULL and its connection
// goes back to NORMAL once it ends: committed, rolled back, or never begun.
TEST(Database, ADurableTransactionRunsWithSynchronousFullThenBackToNormal) {
    TempDir dir;
    Database db(dir.file("c.db"), 1);
    db.migrate();
    auto s = db.session();
    const auto synchronous = [&] {
        int level = -1;
        s << "PRAGMA synchronous", into(level), now;
        return level;
    };
    {
        Transaction tx = Transaction::durable(s);
        EXPECT_EQ(synchronous(), 2);  // FULL, inside the transaction
        s << "INSERT INTO plans(slug, version, created_at, updated_at) VALUES ('p', 1, 'x', 'x')", now;
        tx.commit();
        EXPECT_EQ(synchronous(), 1);
    }
    {
        Transaction tx = Transaction::durable(s);
        EXPECT_EQ(synchronous(), 2);
    }
    EXPECT_EQ(synchronous(), 1);  // rolled back
    {
        Transaction tx(s);
        EXPECT_EQ(synchronous(), 1);  // an ordinary one stays NORMAL
    }
    {
        // BEGIN fails (already in a transaction): nothing is left at FULL.
        s << "BEGIN", now;
        EXPECT_ANY_THROW(Transaction::durable(s));
        s << "ROLLBACK", now;
        EXPECT_EQ(synchronous(), 1);
    }
    // The pooled connection comes back NORMAL to the next session.
    s.close();
    auto again = db.session();
    int level = -1;
    again << "PRAGMA synchronous", into(level), now;
    EXPECT_EQ(level, 1);
    int plans = 0;
    again << "SELECT COUNT(*) FROM plans", into(plans), now;
    EXPECT_EQ(plans, 1);
}
