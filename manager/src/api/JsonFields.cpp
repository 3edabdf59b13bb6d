#include "api/JsonFields.h"

#include <cmath>
#include <limits>

namespace chatiere::manager::api {

void JsonFields::missing(const std::string& key) {
    errors_.add(path(key), "missing", "This field is required.");
}

void JsonFields::wrongType(const std::string& key, const std::string& expected) {
    errors_.add(path(key), "wrong_type", "Expected " + expected + ".");
}

std::optional<std::string> JsonFields::string(const std::string& key, bool required, std::size_t maxLength) {
    if (!has(key)) {
        if (required) {
            missing(key);
        }
        return std::nullopt;
    }
    const Poco::Dynamic::Var v = object_->get(key);
    if (!v.isString()) {
        wrongType(key, "a string");
        return std::nullopt;
    }
    std::string value = trim(v.extract<std::string>());
    if (value.empty()) {
        if (required) {
            missing(key);
        }
        return std::nullopt;
    }
    if (value.size() > maxLength) {
        errors_.add(path(key), "too_long", "At most " + std::to_string(maxLength) + " bytes.");
        return std::nullopt;
    }
    return value;
}

std::optional<bool> JsonFields::boolean(const std::string& key, bool required) {
    if (!has(key)) {
        if (required) {
            missing(key);
        }
        return std::nullopt;
    }
    const Poco::Dynamic::Var v = object_->get(key);
    if (v.type() != typeid(bool)) {
        wrongType(key, "true or false");
        return std::nullopt;
    }
    return v.extract<bool>();
}

std::optional<int64_t> JsonFields::integer(const std::string& key, bool required) {
    if (!has(key)) {
        if (required) {
            missing(key);
        }
        return std::nullopt;
    }
    const Poco::Dynamic::Var v = object_->get(key);
    if (!v.isInteger() || v.type() == typeid(bool)) {
        wrongType(key, "a whole number");
        return std::nullopt;
    }
    try {
        return v.convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        wrongType(key, "a whole number within range");
        return std::nullopt;
    }
}

Poco::JSON::Object::Ptr JsonFields::object(const std::string& key, bool required) {
    if (!has(key)) {
        if (required) {
            missing(key);
        }
        return nullptr;
    }
    const Poco::Dynamic::Var v = object_->get(key);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
        wrongType(key, "an object");
        return nullptr;
    }
    return v.extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr JsonFields::array(const std::string& key, bool required) {
    if (!has(key)) {
        if (required) {
            missing(key);
        }
        return nullptr;
    }
    const Poco::Dynamic::Var v = object_->get(key);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) {
        wrongType(key, "an array");
        return nullptr;
    }
    return v.extract<Poco::JSON::Array::Ptr>();
}

}  // namespace chatiere::manager::api
