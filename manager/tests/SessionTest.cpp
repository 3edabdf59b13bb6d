// The store's core: statements prepared once per connection, one connection per unit of work,
// transactions that nest as savepoints, and a read unit's snapshot.
#include "chatiere/manager/Database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <optional>
#include <string>
#include <thread>

using namespace chatiere::manager;

namespace {

class SessionTest : public ::testing::Test {
protected:
    SessionTest() {
        char tmpl[] = "/tmp/chatiere-session-XXXXXX";
        dir_ = mkdtemp(tmpl);
        db_.emplace((dir_ / "c.db").string(), 4);
        auto s = db_->session();
        s.script("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, weight INTEGER)");
    }
    ~SessionTest() override {
        db_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Counts the rows from another connection, outside any unit of this thread: what the rest of
    // the daemon sees.
    int64_t countElsewhere() {
        std::optional<int64_t> n;
        std::thread([&] { n = db_->session().integer("SELECT COUNT(*) FROM notes"); }).join();
        return n.value_or(-1);
    }
    void insertElsewhere(const std::string& body) {
        std::thread([&] { db_->session().execute("INSERT INTO notes (body) VALUES (?)", body); }).join();
    }

    std::filesystem::path dir_;
    std::optional<Database> db_;
};

int preparedStatements(sqlite3* handle) {
    int n = 0;
    for (sqlite3_stmt* st = sqlite3_next_stmt(handle, nullptr); st != nullptr;
         st = sqlite3_next_stmt(handle, st)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_F(SessionTest, BindsAndMapsRowsWithNullsAsOptionals) {
    auto s = db_->session();
    s.execute("INSERT INTO notes (body, weight) VALUES (?, ?)", std::string("first"), int64_t{3});
    s.execute("INSERT INTO notes (body, weight) VALUES (?, ?)", std::string("second"),
              std::optional<int64_t>{});
    const auto rows = s.query("SELECT body, weight FROM notes ORDER BY id",
                              [](const Row& r) { return std::pair(r.text(0), r.optInteger(1)); });
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].first, "first");
    EXPECT_EQ(rows[0].second, 3);
    EXPECT_EQ(rows[1].first, "second");
    EXPECT_FALSE(rows[1].second.has_value());
    EXPECT_EQ(s.text("SELECT body FROM notes WHERE weight = ?", int64_t{3}), "first");
    EXPECT_FALSE(
        s.first(
             "SELECT body FROM notes WHERE weight = ?", [](const Row& r) { return r.text(0); }, int64_t{99})
            .has_value());
}

TEST_F(SessionTest, AStatementIsPreparedOnceAndReusedOnItsConnection) {
    const UnitOfWork unit(*db_);
    auto s = db_->session();
    s.integer("SELECT COUNT(*) FROM notes WHERE weight > ?", int64_t{0});
    const int after = preparedStatements(s.handle());
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes WHERE weight > ?", int64_t{i}), 0);
    }
    EXPECT_EQ(preparedStatements(s.handle()), after);
}

TEST_F(SessionTest, AStatementRunInsideItsOwnRowLoopRunsACopy) {
    auto s = db_->session();
    for (int i = 0; i < 3; ++i) {
        s.execute("INSERT INTO notes (body, weight) VALUES ('n', ?)", int64_t{i});
    }
    int pairs = 0;
    s.each("SELECT weight FROM notes",
           [&](const Row&) { s.each("SELECT weight FROM notes", [&](const Row&) { ++pairs; }); });
    EXPECT_EQ(pairs, 9);
}

TEST_F(SessionTest, AUnitOfWorkGivesEverySessionOfTheThreadOneConnection) {
    sqlite3* first = nullptr;
    {
        const UnitOfWork unit(*db_);
        auto a = db_->session();
        auto b = db_->session();
        EXPECT_EQ(a.handle(), b.handle());
        first = a.handle();
        {
            const UnitOfWork inner(*db_);  // nests: the same connection
            EXPECT_EQ(db_->session().handle(), first);
        }
        EXPECT_EQ(db_->session().handle(), first);
    }
    auto a = db_->session();
    auto b = db_->session();
    EXPECT_NE(a.handle(), b.handle());  // outside a unit, each session leases its own
}

TEST_F(SessionTest, TransactionsNestAsSavepoints) {
    const UnitOfWork unit(*db_);
    auto s = db_->session();
    {
        Transaction outer(s);
        s.execute("INSERT INTO notes (body) VALUES ('kept')");
        {
            Transaction inner(s);
            s.execute("INSERT INTO notes (body) VALUES ('undone')");
        }  // rolled back to its savepoint only
        {
            Transaction inner(s);
            s.execute("INSERT INTO notes (body) VALUES ('also kept')");
            inner.commit();
        }
        EXPECT_EQ(countElsewhere(), 0);  // nothing visible before the outer commit
        outer.commit();
    }
    EXPECT_EQ(countElsewhere(), 2);
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes WHERE body = 'undone'"), 0);
}

TEST_F(SessionTest, AReadUnitSeesOneSnapshotWhateverOthersCommit) {
    insertElsewhere("before");
    const UnitOfWork unit(*db_, UnitOfWork::Kind::Read);
    auto s = db_->session();
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 1);
    insertElsewhere("during");
    EXPECT_EQ(countElsewhere(), 2);
    // The page goes on reading the state it started with.
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 1);
    EXPECT_EQ(db_->session().integer("SELECT COUNT(*) FROM notes"), 1);
}

TEST_F(SessionTest, ATransactionInAReadUnitCommitsAtOnceAndANewSnapshotFollows) {
    const UnitOfWork unit(*db_, UnitOfWork::Kind::Read);
    auto s = db_->session();
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 0);
    insertElsewhere("by another request");  // the snapshot is now old: a write must not fail on it
    {
        Transaction tx(s);
        s.execute("INSERT INTO notes (body) VALUES ('by this request')");
        tx.commit();
    }
    EXPECT_EQ(countElsewhere(), 2);  // committed, not held until the unit ends
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 2);
    insertElsewhere("later");
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 2);  // a snapshot again
}

TEST_F(SessionTest, ARolledBackTransactionInAReadUnitLeavesNothingAndReadsGoOn) {
    const UnitOfWork unit(*db_, UnitOfWork::Kind::Read);
    auto s = db_->session();
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 0);
    {
        Transaction tx(s);
        s.execute("INSERT INTO notes (body) VALUES ('undone')");
    }
    EXPECT_EQ(countElsewhere(), 0);
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 0);
}

TEST_F(SessionTest, ABareWriteInAReadUnitIsCommittedOnItsOwn) {
    const UnitOfWork unit(*db_, UnitOfWork::Kind::Read);
    auto s = db_->session();
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 0);
    insertElsewhere("by another request");
    EXPECT_EQ(s.execute("INSERT INTO notes (body) VALUES ('touch')"), 1);
    EXPECT_EQ(countElsewhere(), 2);
    EXPECT_EQ(s.integer("SELECT COUNT(*) FROM notes"), 2);
}

TEST_F(SessionTest, AReadUnitGivesItsConnectionBackWithNoTransactionOpen) {
    sqlite3* handle = nullptr;
    {
        const UnitOfWork unit(*db_, UnitOfWork::Kind::Read);
        auto s = db_->session();
        s.integer("SELECT COUNT(*) FROM notes");
        handle = s.handle();
        EXPECT_EQ(sqlite3_get_autocommit(handle), 0);
    }
    // The same connection, reused by the next caller: in autocommit, a write is not held back.
    auto s = db_->session();
    ASSERT_EQ(s.handle(), handle);
    EXPECT_NE(sqlite3_get_autocommit(handle), 0);
    s.execute("INSERT INTO notes (body) VALUES ('next request')");
    EXPECT_EQ(countElsewhere(), 1);
}
