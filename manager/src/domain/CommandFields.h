#pragma once

#include "chatiere/manager/Error.h"

#include <optional>
#include <string>

namespace chatiere::manager {

// Checks the fields of a typed command as api/JsonFields checks a JSON body's fields, so
// that a command from the API and one from a form are refused alike: text trimmed, "missing"
// when required and empty, "too_long" past maxLength. The API's parsers check only the JSON
// types; presence, length and meaning are the service's, with these.
class CommandFields {
public:
    explicit CommandFields(FieldErrors& errors, std::string prefix = "")
        : errors_(errors), prefix_(std::move(prefix)) {}

    std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
    // The trimmed text; nullopt when empty ("missing" when required) or too long.
    std::optional<std::string> text(const std::string& key, const std::string& value, bool required,
                                    std::size_t maxLength = 200);
    // `value`, or a "missing" error when absent.
    template <typename T>
    std::optional<T> required(const std::string& key, const std::optional<T>& value) {
        if (!value) {
            missing(key);
        }
        return value;
    }
    void missing(const std::string& key);

    FieldErrors& errors() { return errors_; }

private:
    FieldErrors& errors_;
    std::string prefix_;
};

// `s` without its leading and trailing blanks (spaces, tabs, line ends).
std::string trim(const std::string& s);

}  // namespace chatiere::manager
