#include "chatiere/manager/Database.h"

#include "Migrations.h"
#include "chatiere/manager/Error.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Data/Statement.h>
#include <sqlite3.h>

#include <algorithm>
#include <mutex>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

namespace {

void registerConnectorOnce() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

void exec(sqlite3* db, std::string_view sql) {
    char* message = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string what = message ? message : "unknown SQLite error";
        sqlite3_free(message);
        throw Error(ErrorKind::Internal, "database", "SQLite: " + what);
    }
}

}  // namespace

Database::Database(std::string path, int poolSize) : path_(std::move(path)) {
    registerConnectorOnce();
    pool_ = std::make_unique<Poco::Data::SessionPool>("SQLite", path_, 1, poolSize, 300);
    auto s = session();
    std::string mode;
    s << "PRAGMA journal_mode=WAL", into(mode), now;
}

Database::~Database() {
    try {
        pool_->shutdown();
    } catch (const Poco::Exception&) {
        // Nothing to do: the pool is going away with its connections.
    }
}

Poco::Data::Session Database::session() {
    Poco::Data::Session s = pool_->get();
    sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(s);
    sqlite3_busy_timeout(db, 10000);
    // A connection keeps its pragmas: set them on a new one only (foreign keys are off on a new
    // connection, and reading that flag parses no SQL — a page takes a dozen sessions).
    int foreignKeys = 0;
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &foreignKeys);
    if (!foreignKeys) {
        exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
    }
    return s;
}

int Database::latestSchemaVersion() {
    return static_cast<int>(migrations().size());
}

int Database::schemaVersion() {
    auto s = session();
    int version = 0;
    s << "PRAGMA user_version", into(version), now;
    return version;
}

int Database::migrate() {
    return migrateTo(latestSchemaVersion());
}

int Database::migrateTo(int target) {
    target = std::min(target, latestSchemaVersion());
    auto s = session();
    sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(s);
    exec(db, "BEGIN IMMEDIATE");
    try {
        int version = 0;
        s << "PRAGMA user_version", into(version), now;
        if (version > latestSchemaVersion()) {
            throw Error(ErrorKind::Internal, "schema_too_new",
                        "database " + path_ + " has schema version " + std::to_string(version) +
                            ", newer than this program knows (" + std::to_string(latestSchemaVersion()) +
                            "): upgrade chatiere");
        }
        int applied = 0;
        for (int v = version; v < target; ++v) {
            exec(db, migrations()[static_cast<std::size_t>(v)]);
            exec(db, "PRAGMA user_version=" + std::to_string(v + 1));
            ++applied;
        }
        exec(db, "COMMIT");
        return applied;
    } catch (...) {
        exec(db, "ROLLBACK");
        throw;
    }
}

std::string Database::instanceId() {
    auto s = session();
    std::string id;
    s << "SELECT id FROM instance WHERE singleton = 1", into(id), now;
    return id;
}

Transaction::Transaction(Poco::Data::Session& session, Mode mode, Durability durability)
    : session_(session), durable_(durability == Durability::Durable) {
    // SQLite refuses to change the level inside a transaction: before BEGIN, and back after the end.
    if (durable_) {
        session_ << "PRAGMA synchronous=FULL", now;
    }
    try {
        session_ << (mode == Mode::Immediate ? "BEGIN IMMEDIATE" : "BEGIN"), now;
    } catch (...) {
        endDurable();
        throw;
    }
}

Transaction::~Transaction() {
    if (open_) {
        try {
            session_ << "ROLLBACK", now;
        } catch (const Poco::Exception&) {
            // The connection is broken or the transaction already ended; SQLite rolls back on close.
        }
    }
    endDurable();
}

void Transaction::commit() {
    session_ << "COMMIT", now;
    open_ = false;
    endDurable();
}

void Transaction::endDurable() noexcept {
    if (!durable_) {
        return;
    }
    durable_ = false;
    try {
        session_ << "PRAGMA synchronous=NORMAL", now;
    } catch (const Poco::Exception&) {
        // Still FULL: slower, never less safe; the connection goes back to the pool as it is.
    }
}

}  // namespace chatiere::manager
