#pragma once

#include "chatiere/manager/Error.h"

#include <string>

namespace chatiere::manager {

// A 400 naming one bad field of a billing request.
inline Error invalidField(const std::string& field, const std::string& code, const std::string& message) {
    return Error(ErrorKind::Validation, "invalid_fields", message, {{field, code, message}});
}

}  // namespace chatiere::manager
