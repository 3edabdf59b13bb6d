#include "chatiere/manager/Database.h"

#include "chatiere/manager/Error.h"
#include "store/Connection.h"
#include "store/Migrations.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>

namespace chatiere::manager {

namespace {

void registerConnectorOnce() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

[[noreturn]] void throwSqlite(sqlite3* db, int rc) {
    const std::string what = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        throw Error(ErrorKind::Unavailable, "database_busy", "the database is busy, try again: " + what);
    }
    throw Error(ErrorKind::Internal, "database", "SQLite: " + what);
}

// The units of work of this thread: which connection each database is pinned to.
struct Pin {
    Database* database;
    Connection* connection;
};
thread_local std::vector<Pin> pins;

Connection* pinnedFor(Database* database) {
    for (auto it = pins.rbegin(); it != pins.rend(); ++it) {
        if (it->database == database) {
            return it->connection;
        }
    }
    return nullptr;
}

}  // namespace

// ---- Row, binding ----

int Row::column(std::string_view name) const {
    const int n = sqlite3_column_count(statement_);
    for (int i = 0; i < n; ++i) {
        const char* c = sqlite3_column_name(statement_, i);
        if (c != nullptr && name == c) {
            return i;
        }
    }
    throw Error(ErrorKind::Internal, "database", "no column named " + std::string(name) + " in the result");
}

namespace {

void check(sqlite3_stmt* statement, int rc) {
    if (rc != SQLITE_OK) {
        throwSqlite(sqlite3_db_handle(statement), rc);
    }
}

}  // namespace

int Row::columns() const {
    return sqlite3_column_count(statement_);
}

bool Row::isNull(int i) const {
    return sqlite3_column_type(statement_, i) == SQLITE_NULL;
}

std::string Row::text(int i) const {
    const auto* p = sqlite3_column_text(statement_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(statement_, i)))
             : std::string();
}

std::optional<std::string> Row::optText(int i) const {
    if (isNull(i)) {
        return std::nullopt;
    }
    return text(i);
}

int64_t Row::integer(int i) const {
    return sqlite3_column_int64(statement_, i);
}

std::optional<int64_t> Row::optInteger(int i) const {
    if (isNull(i)) {
        return std::nullopt;
    }
    return integer(i);
}

double Row::real(int i) const {
    return sqlite3_column_double(statement_, i);
}

void sql::bindNull(sqlite3_stmt* s, int i) {
    check(s, sqlite3_bind_null(s, i));
}

void sql::bindInteger(sqlite3_stmt* s, int i, int64_t v) {
    check(s, sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(v)));
}

void sql::bindReal(sqlite3_stmt* s, int i, double v) {
    check(s, sqlite3_bind_double(s, i, v));
}

void sql::bindText(sqlite3_stmt* s, int i, std::string_view v) {
    check(s, sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
}

// ---- Connection ----

Connection::Connection(const std::string& path) : poco_("SQLite", path) {
    db_ = Poco::Data::SQLite::Utility::dbHandle(poco_);
    sqlite3_busy_timeout(db_, 10000);
    script("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
}

Connection::~Connection() {
    for (auto& [sql, statement] : statements_) {
        sqlite3_finalize(statement);
    }
}

sqlite3_stmt* Connection::prepared(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) {
        return it->second;
    }
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) {
        fail(rc);
    }
    statements_.emplace(std::string(sql), statement);
    return statement;
}

sqlite3_stmt* Connection::prepareOnce(std::string_view sql) {
    sqlite3_stmt* statement = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
    if (rc != SQLITE_OK) {
        fail(rc);
    }
    return statement;
}

void Connection::script(std::string_view sql) {
    char* message = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        const int primary = rc & 0xff;
        if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
            throw Error(ErrorKind::Unavailable, "database_busy", "the database is busy, try again: " + what);
        }
        throw Error(ErrorKind::Internal, "database", "SQLite: " + what);
    }
}

void Connection::beginRead() {
    script("BEGIN");
    readSnapshot = true;
}

void Connection::endRead() {
    readSnapshot = false;
    // Nothing was written in it: COMMIT only releases the snapshot.
    script("COMMIT");
}

void Connection::fail(int rc) const {
    throwSqlite(db_, rc);
}

// ---- Session ----

Session::Session(Session&& other) noexcept
    : database_(other.database_), connection_(other.connection_), leased_(other.leased_) {
    other.leased_ = false;
    other.connection_ = nullptr;
}

Session::~Session() {
    close();
}

void Session::close() noexcept {
    if (leased_ && connection_ != nullptr) {
        database_->giveBack(connection_);
    }
    leased_ = false;
    connection_ = nullptr;
}

void Session::script(std::string_view sql) {
    connection_->script(sql);
}

int Session::changes() const {
    return sqlite3_changes(connection_->handle());
}

int64_t Session::lastInsertRowid() const {
    return sqlite3_last_insert_rowid(connection_->handle());
}

sqlite3* Session::handle() const {
    return connection_->handle();
}

Poco::Data::Session& Session::poco() const {
    return connection_->poco();
}

Session::Cursor::Cursor(Session& session, std::string_view sql) : session_(session) {
    statement = session.connection_->prepared(sql);
    if (sqlite3_stmt_busy(statement)) {
        // The same statement is being stepped further up the stack: run a copy.
        statement = session.connection_->prepareOnce(sql);
        owned_ = true;
    }
    if (session.connection_->readSnapshot && !sqlite3_stmt_readonly(statement)) {
        // A write in a read unit runs on its own (autocommit), out of the snapshot.
        try {
            session.connection_->endRead();
        } catch (...) {
            if (owned_) {
                sqlite3_finalize(statement);
            }
            throw;
        }
        resumeRead_ = true;
    }
}

Session::Cursor::~Cursor() {
    if (owned_) {
        sqlite3_finalize(statement);
    } else {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
    }
    if (resumeRead_) {
        try {
            session_.connection_->beginRead();
        } catch (const Error&) {
            // Left in autocommit: each later query sees the latest data, which is never wrong.
        }
    }
}

bool Session::Cursor::next() {
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    session_.connection_->fail(sqlite3_reset(statement) != SQLITE_OK
                                   ? sqlite3_extended_errcode(session_.connection_->handle())
                                   : rc);
}

// ---- Database ----

Database::Database(std::string path, int poolSize)
    : path_(std::move(path)), poolSize_(std::max(1, poolSize)) {
    registerConnectorOnce();
    auto s = session();
    s.script("PRAGMA journal_mode=WAL");
}

Database::~Database() = default;

Connection* Database::take() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!idle_.empty()) {
            Connection* c = idle_.back();
            idle_.pop_back();
            return c;
        }
        if (static_cast<int>(all_.size()) < poolSize_) {
            // Opening runs SQL: reserve the slot, open without the lock.
            all_.push_back(nullptr);
            const std::size_t slot = all_.size() - 1;
            lock.unlock();
            std::unique_ptr<Connection> opened;
            try {
                opened = std::make_unique<Connection>(path_);
            } catch (...) {
                lock.lock();
                all_.erase(all_.begin() + static_cast<std::ptrdiff_t>(slot));
                available_.notify_one();
                throw;
            }
            Connection* c = opened.get();
            lock.lock();
            // Another opener may have erased an earlier slot: find ours (the first null).
            auto it = std::find(all_.begin(), all_.end(), nullptr);
            *it = std::move(opened);
            return c;
        }
        if (!available_.wait_for(lock, std::chrono::seconds(30), [this] { return !idle_.empty(); })) {
            throw Error(ErrorKind::Unavailable, "database_busy",
                        "every database connection is in use (" + std::to_string(poolSize_) + "), try again");
        }
    }
}

void Database::giveBack(Connection* connection) noexcept {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(connection);
    }
    available_.notify_one();
}

int Database::connections() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(all_.size());
}

Session Database::session() {
    if (Connection* pinned = pinnedFor(this)) {
        return Session(this, pinned, false);
    }
    return Session(this, take(), true);
}

int Database::latestSchemaVersion() {
    return static_cast<int>(migrations().size());
}

int Database::schemaVersion() {
    auto s = session();
    return static_cast<int>(s.integer("PRAGMA user_version").value_or(0));
}

int Database::migrate() {
    return migrateTo(latestSchemaVersion());
}

int Database::migrateTo(int target) {
    target = std::min(target, latestSchemaVersion());
    auto s = session();
    Transaction t(s);
    const int version = static_cast<int>(s.integer("PRAGMA user_version").value_or(0));
    if (version > latestSchemaVersion()) {
        throw Error(ErrorKind::Internal, "schema_too_new",
                    "database " + path_ + " has schema version " + std::to_string(version) +
                        ", newer than this program knows (" + std::to_string(latestSchemaVersion()) +
                        "): upgrade chatiere");
    }
    int applied = 0;
    for (int v = version; v < target; ++v) {
        s.script(migrations()[static_cast<std::size_t>(v)]);
        s.script("PRAGMA user_version=" + std::to_string(v + 1));
        ++applied;
    }
    t.commit();
    return applied;
}

std::string Database::instanceId() {
    auto s = session();
    return s.text("SELECT id FROM instance WHERE singleton = 1").value_or("");
}

// ---- UnitOfWork ----

UnitOfWork::UnitOfWork(Database& database, Kind kind) : database_(&database) {
    if (pinnedFor(database_) != nullptr) {
        return;
    }
    connection_ = database.take();
    if (kind == Kind::Read) {
        try {
            connection_->beginRead();
        } catch (...) {
            database.giveBack(connection_);
            throw;
        }
    }
    pins.push_back({database_, connection_});
}

UnitOfWork::~UnitOfWork() {
    if (connection_ == nullptr) {
        return;
    }
    for (auto it = pins.rbegin(); it != pins.rend(); ++it) {
        if (it->database == database_ && it->connection == connection_) {
            pins.erase(std::next(it).base());
            break;
        }
    }
    if (connection_->transactionDepth > 0 || connection_->readSnapshot) {
        // The read snapshot, or a transaction left open by a step that forgot to end it: it must
        // not leak into the next user.
        try {
            connection_->script("ROLLBACK");
        } catch (const Error&) {
        }
        connection_->transactionDepth = 0;
        connection_->readSnapshot = false;
    }
    database_->giveBack(connection_);
}

// ---- Transaction ----

Transaction::Transaction(Session& session, Mode mode, Durability durability) : session_(session) {
    Connection& c = *session_.connection_;
    depth_ = ++c.transactionDepth;
    try {
        if (depth_ == 1) {
            if (c.readSnapshot) {
                // A write in a read unit: out of the snapshot, which begins again after it.
                c.endRead();
                resumeRead_ = true;
            }
            // SQLite refuses to change the level inside a transaction: before BEGIN, and back after.
            if (durability == Durability::Durable) {
                durable_ = true;
                c.script("PRAGMA synchronous=FULL");
            }
            c.script(mode == Mode::Immediate ? "BEGIN IMMEDIATE" : "BEGIN");
        } else {
            if (durability == Durability::Durable) {
                c.checkpointOnCommit = true;
            }
            c.script("SAVEPOINT t" + std::to_string(depth_));
        }
    } catch (...) {
        --c.transactionDepth;
        endDurable();
        resumeRead();
        throw;
    }
}

Transaction::~Transaction() {
    Connection& c = *session_.connection_;
    if (open_) {
        try {
            if (depth_ == 1) {
                c.script("ROLLBACK");
            } else {
                c.script("ROLLBACK TO t" + std::to_string(depth_) + "; RELEASE t" + std::to_string(depth_));
            }
        } catch (const Error&) {
            // The connection is broken or the transaction already ended; SQLite rolls back on close.
        }
        --c.transactionDepth;
        if (depth_ == 1) {
            c.checkpointOnCommit = false;
        }
    }
    endDurable();
    resumeRead();
}

void Transaction::commit() {
    Connection& c = *session_.connection_;
    if (depth_ == 1) {
        c.script("COMMIT");
    } else {
        c.script("RELEASE t" + std::to_string(depth_));
    }
    open_ = false;
    --c.transactionDepth;
    if (depth_ == 1 && c.checkpointOnCommit) {
        c.checkpointOnCommit = false;
        // A durable step ran inside: sync the WAL now (a checkpoint syncs it before copying).
        sqlite3_wal_checkpoint_v2(c.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    endDurable();
    resumeRead();
}

void Transaction::resumeRead() noexcept {
    if (!resumeRead_) {
        return;
    }
    resumeRead_ = false;
    try {
        session_.connection_->beginRead();
    } catch (const Error&) {
        // Left in autocommit: each later query sees the latest data, which is never wrong.
    }
}

void Transaction::endDurable() noexcept {
    if (!durable_) {
        return;
    }
    durable_ = false;
    try {
        session_.connection_->script("PRAGMA synchronous=NORMAL");
    } catch (const Error&) {
        // Still FULL: slower, never less safe.
    }
}

}  // namespace chatiere::manager
