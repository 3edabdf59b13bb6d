#pragma once

#include "chatiere/manager/Sql.h"

#include <Poco/Data/Session.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace chatiere::manager {

class Connection;
class Database;

// A connection of the Database, leased for as long as this object lives (or, inside a UnitOfWork,
// the unit's connection). Statements given to it are prepared once per connection and kept
// (sqlite3_prepare_v3 with SQLITE_PREPARE_PERSISTENT), then bound and run:
//
//     auto names = s.query(kActivePlanNames, [](const Row& r) { return r.text(0); }, true);
//
// Only the store (manager/src/store/) writes SQL; everyone else calls its repositories.
class Session {
public:
    Session(Session&& other) noexcept;
    Session& operator=(Session&&) = delete;
    Session(const Session&) = delete;
    ~Session();

    // Every row, each mapped by `map(const Row&)`.
    template <class Mapper, class... Args>
    auto query(std::string_view sql, Mapper&& map, const Args&... args) {
        using T = std::decay_t<std::invoke_result_t<Mapper&, const Row&>>;
        std::vector<T> out;
        Cursor cursor(*this, sql);
        sql::bindAll(cursor.statement, args...);
        const Row row(cursor.statement);
        while (cursor.next()) {
            out.push_back(map(row));
        }
        return out;
    }
    // The first row, mapped; nullopt when there is none.
    template <class Mapper, class... Args>
    auto first(std::string_view sql, Mapper&& map, const Args&... args) {
        using T = std::decay_t<std::invoke_result_t<Mapper&, const Row&>>;
        Cursor cursor(*this, sql);
        sql::bindAll(cursor.statement, args...);
        std::optional<T> out;
        if (cursor.next()) {
            out = map(Row(cursor.statement));
        }
        return out;
    }
    // Calls `each(const Row&)` for every row, without collecting them.
    template <class Each, class... Args>
    void each(std::string_view sql, Each&& each, const Args&... args) {
        Cursor cursor(*this, sql);
        sql::bindAll(cursor.statement, args...);
        const Row row(cursor.statement);
        while (cursor.next()) {
            each(row);
        }
    }
    // Runs a statement that returns no rows; returns how many rows it changed.
    template <class... Args>
    int execute(std::string_view sql, const Args&... args) {
        Cursor cursor(*this, sql);
        sql::bindAll(cursor.statement, args...);
        while (cursor.next()) {
        }
        return changes();
    }
    // The first column of the first row (nullopt: no row, or NULL).
    template <class... Args>
    std::optional<int64_t> integer(std::string_view sql, const Args&... args) {
        return first(
                   sql, [](const Row& r) { return r.optInteger(0); }, args...)
            .value_or(std::nullopt);
    }
    template <class... Args>
    std::optional<std::string> text(std::string_view sql, const Args&... args) {
        return first(
                   sql, [](const Row& r) { return r.optText(0); }, args...)
            .value_or(std::nullopt);
    }
    // Runs SQL text of one or more statements without parameters, not kept prepared (pragmas,
    // migrations).
    void script(std::string_view sql);

    // Gives a leased connection back to the pool now; the Session is unusable after.
    void close() noexcept;

    int changes() const;
    int64_t lastInsertRowid() const;
    sqlite3* handle() const;

    // The same connection through Poco Data, for tests and tools that read the file directly.
    Poco::Data::Session& poco() const;
    template <class T>
    auto operator<<(const T& t) {
        return poco() << t;
    }
    operator Poco::Data::Session&() const { return poco(); }  // NOLINT(google-explicit-constructor)

private:
    friend class Database;
    friend class Transaction;
    friend class UnitOfWork;
    Session(Database* database, Connection* connection, bool leased) noexcept
        : database_(database), connection_(connection), leased_(leased) {}

    // One run of a statement: prepared (or taken from the connection's cache), reset on exit.
    class Cursor {
    public:
        Cursor(Session& session, std::string_view sql);
        ~Cursor();
        Cursor(const Cursor&) = delete;
        Cursor& operator=(const Cursor&) = delete;
        bool next();  // true on a row; throws on an error
        sqlite3_stmt* statement = nullptr;

    private:
        Session& session_;
        bool owned_ = false;       // a copy prepared because the cached one is in use (a nested run)
        bool resumeRead_ = false;  // a write that ended the unit's read snapshot, begun again after
    };

    Database* database_;
    Connection* connection_;
    bool leased_;  // returned to the pool on destruction
};

// The one SQLite file: a pool of connections, each with foreign keys on and a busy timeout, the
// file in WAL mode, and the numbered migrations. The pool's lock is held only to take or give back
// a connection, never while SQL runs.
class Database {
public:
    explicit Database(std::string path, int poolSize = 16);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // The calling thread's unit of work's connection, or a pooled one returned when the Session is
    // destroyed. Waits up to 30 s for a free connection, then throws Unavailable.
    Session session();
    const std::string& path() const { return path_; }

    // Applies the missing migrations in one transaction. Re-running is a no-op. Returns how many
    // were applied. Refuses a database newer than this program.
    int migrate();
    // The same, up to schema `version` only: tests build an older database with it to test an upgrade.
    int migrateTo(int version);
    int schemaVersion();
    static int latestSchemaVersion();

    // This installation's id: generated by the first migration, written into its guests.
    std::string instanceId();

    // Connections open now (in use or idle), for the tests and the metrics.
    int connections() const;

private:
    friend class Session;
    friend class UnitOfWork;
    Connection* take();
    void giveBack(Connection* connection) noexcept;

    std::string path_;
    int poolSize_;
    mutable std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> all_;
    std::vector<Connection*> idle_;
};

// One connection for the whole of a request or a background step: while it lives, every
// Database::session() of this thread on this database is that connection, so a page reads its
// data with one connection, not one per query, and what a step writes it reads back. Nests (an
// inner unit uses the outer one's connection and kind).
//
// A Read unit (a GET or HEAD request) also holds one read transaction, so that every query of the
// page sees the same snapshot of the database. A write inside it (a Transaction, or a statement that
// is not read-only) ends the snapshot, runs in its own transaction as anywhere else, and a new
// snapshot begins after it: a read unit never holds the write lock, and never fails a write
// because its snapshot is old.
class UnitOfWork {
public:
    enum class Kind { Step, Read };
    explicit UnitOfWork(Database& database, Kind kind = Kind::Step);
    ~UnitOfWork();
    UnitOfWork(const UnitOfWork&) = delete;
    UnitOfWork& operator=(const UnitOfWork&) = delete;

private:
    Database* database_;
    Connection* connection_ = nullptr;  // null when an enclosing unit already pinned one
};

// A transaction on one connection: BEGIN IMMEDIATE by default (takes the write lock at once, so
// two writers never interleave), rolled back on destruction unless committed. Inside another
// transaction of the same connection it is a SAVEPOINT, so that services compose in one unit of
// work.
//
// Connections run with synchronous=NORMAL: in WAL mode a commit is atomic but a power cut may undo
// the last ones. A transaction that finalizes an invoice number or records money is Durable: its
// connection runs it with synchronous=FULL (the WAL is synced before COMMIT returns, so a number
// already mailed cannot come back) and returns to NORMAL after it ends, committed or not. A durable
// savepoint inside an ordinary transaction makes the outer commit checkpoint the WAL (synced).
class Transaction {
public:
    enum class Mode { Deferred, Immediate };
    enum class Durability { Normal, Durable };
    explicit Transaction(Session& session, Mode mode = Mode::Immediate,
                         Durability durability = Durability::Normal);
    // BEGIN IMMEDIATE, durable.
    static Transaction durable(Session& session) {
        return Transaction(session, Mode::Immediate, Durability::Durable);
    }
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    void endDurable() noexcept;

    void resumeRead() noexcept;

    Session& session_;
    int depth_ = 0;  // 1: the outermost (BEGIN); more: a savepoint
    bool open_ = true;
    bool durable_ = false;
    bool resumeRead_ = false;  // it ended a read unit's snapshot, to begin again when it ends
};

}  // namespace chatiere::manager
