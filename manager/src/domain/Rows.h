#pragma once

#include <Poco/Data/RecordSet.h>
#include <Poco/Nullable.h>

#include <cstdint>
#include <optional>
#include <string>

namespace chatiere::manager {

// Reading columns of the current row of a Poco RecordSet, NULL-aware.
inline std::optional<std::string> optText(Poco::Data::RecordSet& rs, const std::string& column) {
    const Poco::Dynamic::Var v = rs.value(column);
    if (v.isEmpty()) {
        return std::nullopt;
    }
    return v.convert<std::string>();
}

inline std::string text(Poco::Data::RecordSet& rs, const std::string& column) {
    return optText(rs, column).value_or("");
}

inline int64_t integer(Poco::Data::RecordSet& rs, const std::string& column) {
    const Poco::Dynamic::Var v = rs.value(column);
    return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

// For binding an optional string as TEXT or NULL.
inline Poco::Nullable<std::string> nullable(const std::optional<std::string>& value) {
    return value ? Poco::Nullable<std::string>(*value) : Poco::Nullable<std::string>();
}

}  // namespace chatiere::manager
