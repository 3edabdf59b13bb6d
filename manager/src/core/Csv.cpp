#include "core/Csv.h"

#include <cstdio>

namespace chatiere::manager::csv {

std::string text(std::string_view value) {
    const bool formula =
        !value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos;
    if (!formula && value.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(value);
    }
    std::string out = formula ? "\"'" : "\"";
    for (const char c : value) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    return out + "\"";
}

std::string cents(int64_t cents) {
    // The magnitude as unsigned, so that the most negative int64 has one too.
    const uint64_t magnitude = cents < 0 ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%s%llu.%02llu", cents < 0 ? "-" : "",
                  static_cast<unsigned long long>(magnitude / 100),
                  static_cast<unsigned long long>(magnitude % 100));
    return buffer;
}

std::string row(std::initializer_list<std::string> cells) {
    std::string out;
    bool first = true;
    for (const auto& cell : cells) {
        if (!first) {
            out += ',';
        }
        out += cell;
        first = false;
    }
    return out + "\r\n";
}

}  // namespace chatiere::manager::csv
