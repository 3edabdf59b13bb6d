#pragma once

#include <stdexcept>
#include <string>

namespace chatiere::test_support {

// What `call` says when it rejects its argument, or "(no exception)" when it accepts it.
template <typename Call>
std::string invalidArgumentMessage(Call&& call) {
    try {
        call();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace chatiere::test_support
