#include "core/States.h"

#include "chatiere/manager/Error.h"

namespace chatiere::manager::states_detail {

void throwUnknownState(std::string_view what, std::string_view value, std::string_view where) {
    throw Error(
        ErrorKind::Internal, "unknown_state",
        "Unknown " + std::string(what) + " '" + std::string(value) + "' in " + std::string(where) + ".");
}

void throwBadFilter(std::string_view what, std::string_view value, std::string_view param,
                    const std::string& names) {
    throw Error::badRequest(
        "invalid_" + std::string(param),
        "'" + std::string(value) + "' is not a " + std::string(what) + " (one of: " + names + ").");
}

}  // namespace chatiere::manager::states_detail
