#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

// SQLite's handles, used by pointer only: the C API stays in manager/src/store/.
struct sqlite3;
struct sqlite3_stmt;

namespace chatiere::manager {

// One row of a result, read by column index (fast) or by column name (a scan of the names).
// Valid only inside the row mapper it is given to.
class Row {
public:
    explicit Row(sqlite3_stmt* statement) : statement_(statement) {}

    int columns() const;
    bool isNull(int i) const;
    std::string text(int i) const;
    std::optional<std::string> optText(int i) const;
    int64_t integer(int i) const;
    std::optional<int64_t> optInteger(int i) const;
    double real(int i) const;

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
void bindNull(sqlite3_stmt* s, int i);
void bindInteger(sqlite3_stmt* s, int i, int64_t v);
void bindReal(sqlite3_stmt* s, int i, double v);
void bindText(sqlite3_stmt* s, int i, std::string_view v);

inline void bind(sqlite3_stmt* s, int i, std::nullptr_t) { bindNull(s, i); }
inline void bind(sqlite3_stmt* s, int i, std::nullopt_t) { bindNull(s, i); }
inline void bind(sqlite3_stmt* s, int i, double v) { bindReal(s, i, v); }
inline void bind(sqlite3_stmt* s, int i, std::string_view v) { bindText(s, i, v); }
inline void bind(sqlite3_stmt* s, int i, const std::string& v) { bindText(s, i, v); }
inline void bind(sqlite3_stmt* s, int i, const char* v) {
    if (v == nullptr) {
        bindNull(s, i);
    } else {
        bindText(s, i, v);
    }
}
template <class T>
    requires std::is_integral_v<T>
void bind(sqlite3_stmt* s, int i, T v) {
    bindInteger(s, i, static_cast<int64_t>(v));
}
template <class T>
    requires std::is_enum_v<T>
void bind(sqlite3_stmt* s, int i, T v) = delete;  // name it for the wire first
template <class T>
void bind(sqlite3_stmt* s, int i, const std::optional<T>& v) {
    if (v) {
        bind(s, i, *v);
    } else {
        bindNull(s, i);
    }
}

template <class... Args>
void bindAll([[maybe_unused]] sqlite3_stmt* s, const Args&... args) {
    [[maybe_unused]] int i = 0;
    (bind(s, ++i, args), ...);
}

}  // namespace sql

}  // namespace chatiere::manager
