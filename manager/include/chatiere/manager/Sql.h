#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace chatiere::manager {

// One row of a result, read by column index (fast) or by column name (a scan of the names).
// Valid only inside the row mapper it is given to.
class Row {
public:
    explicit Row(sqlite3_stmt* statement) : statement_(statement) {}

    int columns() const { return sqlite3_column_count(statement_); }
    bool isNull(int i) const { return sqlite3_column_type(statement_, i) == SQLITE_NULL; }
    std::string text(int i) const {
        const auto* p = sqlite3_column_text(statement_, i);
        return p ? std::string(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(sqlite3_column_bytes(statement_, i)))
                 : std::string();
    }
    std::optional<std::string> optText(int i) const {
        if (isNull(i)) {
            return std::nullopt;
        }
        return text(i);
    }
    int64_t integer(int i) const { return sqlite3_column_int64(statement_, i); }
    std::optional<int64_t> optInteger(int i) const {
        if (isNull(i)) {
            return std::nullopt;
        }
        return integer(i);
    }
    double real(int i) const { return sqlite3_column_double(statement_, i); }

    // The index of the column named `name` (its alias when it has one); throws Internal when absent.
    int column(std::string_view name) const;
    bool isNull(std::string_view name) const { return isNull(column(name)); }
    std::string text(std::string_view name) const { return text(column(name)); }
    std::optional<std::string> optText(std::string_view name) const { return optText(column(name)); }
    int64_t integer(std::string_view name) const { return integer(column(name)); }
    std::optional<int64_t> optInteger(std::string_view name) const { return optInteger(column(name)); }
    double real(std::string_view name) const { return real(column(name)); }

private:
    sqlite3_stmt* statement_;
};

namespace sql {

// Binding one parameter (1-based) of a prepared statement. Text is bound without a copy: the
// statement runs and is reset before the arguments go out of scope.
void check(sqlite3_stmt* statement, int rc);

inline void bind(sqlite3_stmt* s, int i, std::nullptr_t) {
    check(s, sqlite3_bind_null(s, i));
}
inline void bind(sqlite3_stmt* s, int i, std::nullopt_t) {
    check(s, sqlite3_bind_null(s, i));
}
inline void bind(sqlite3_stmt* s, int i, double v) {
    check(s, sqlite3_bind_double(s, i, v));
}
inline void bind(sqlite3_stmt* s, int i, std::string_view v) {
    check(s, sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
}
inline void bind(sqlite3_stmt* s, int i, const std::string& v) {
    bind(s, i, std::string_view(v));
}
inline void bind(sqlite3_stmt* s, int i, const char* v) {
    if (v == nullptr) {
        bind(s, i, nullptr);
    } else {
        bind(s, i, std::string_view(v));
    }
}
template <class T>
requires std::is_integral_v<T>
void bind(sqlite3_stmt* s, int i, T v) {
    check(s, sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(v)));
}
template <class T>
requires std::is_enum_v<T>
void bind(sqlite3_stmt* s, int i, T v) = delete;  // name it for the wire first
template <class T>
void bind(sqlite3_stmt* s, int i, const std::optional<T>& v) {
    if (v) {
        bind(s, i, *v);
    } else {
        bind(s, i, nullptr);
    }
}

template <class... Args>
void bindAll([[maybe_unused]] sqlite3_stmt* s, const Args&... args) {
    [[maybe_unused]] int i = 0;
    (bind(s, ++i, args), ...);
}

}  // namespace sql

}  // namespace chatiere::manager
