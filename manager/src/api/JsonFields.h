#pragma once

#include "chatiere/manager/Error.h"
#include "domain/CommandFields.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>

namespace chatiere::manager::api {

// Reads typed fields out of a request's JSON object, recording a FieldError (with the dotted
// path) for each missing or mistyped one instead of failing at the first.
class JsonFields {
public:
    JsonFields(Poco::JSON::Object::Ptr object, FieldErrors& errors, std::string prefix = "")
        : object_(std::move(object)), errors_(errors), prefix_(std::move(prefix)) {}

    std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
    bool has(const std::string& key) const { return object_ && object_->has(key) && !object_->isNull(key); }

    // A string, trimmed; missing → "missing" error when required. Longer than maxLength → "too_long".
    std::optional<std::string> string(const std::string& key, bool required, std::size_t maxLength = 200);
    std::optional<bool> boolean(const std::string& key, bool required);
    std::optional<int64_t> integer(const std::string& key, bool required);
    Poco::JSON::Object::Ptr object(const std::string& key, bool required);
    Poco::JSON::Array::Ptr array(const std::string& key, bool required);

    FieldErrors& errors() { return errors_; }

private:
    void missing(const std::string& key);
    void wrongType(const std::string& key, const std::string& expected);

    Poco::JSON::Object::Ptr object_;
    FieldErrors& errors_;
    std::string prefix_;
};

}  // namespace chatiere::manager::api
