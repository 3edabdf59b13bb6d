#include "domain/CommandFields.h"

namespace chatiere::manager {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) {
        return "";
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

void CommandFields::missing(const std::string& key) {
    errors_.add(path(key), "missing", "This field is required.");
}

std::optional<std::string> CommandFields::text(const std::string& key, const std::string& value,
                                               bool required, std::size_t maxLength) {
    std::string trimmed = trim(value);
    if (trimmed.empty()) {
        if (required) {
            missing(key);
        }
        return std::nullopt;
    }
    if (trimmed.size() > maxLength) {
        errors_.add(path(key), "too_long", "At most " + std::to_string(maxLength) + " bytes.");
        return std::nullopt;
    }
    return trimmed;
}

}  // namespace chatiere::manager
