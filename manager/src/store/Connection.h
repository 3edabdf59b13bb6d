#pragma once

#include <sqlite3.h>
#include "chatiere/manager/Database.h"

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace chatiere::manager {

// One SQLite connection and the statements prepared on it, each kept for the connection's life.
class Connection {
public:
    explicit Connection(const std::string& path);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* handle() const { return db_; }
    Poco::Data::Session& poco() { return poco_; }

    // The statement for `sql`, prepared on first use (SQLITE_PREPARE_PERSISTENT) and reset.
    sqlite3_stmt* prepared(std::string_view sql);
    // A statement prepared for one use, to finalize by the caller.
    sqlite3_stmt* prepareOnce(std::string_view sql);
    void script(std::string_view sql);
    [[noreturn]] void fail(int rc) const;

    // A read unit's snapshot: a deferred read transaction, open at transactionDepth 0.
    void beginRead();
    void endRead();

    int transactionDepth = 0;
    bool checkpointOnCommit = false;
    bool readSnapshot = false;

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    Poco::Data::Session poco_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*, Hash, std::equal_to<>> statements_;
};

}  // namespace chatiere::manager
