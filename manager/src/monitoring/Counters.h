#pragma once

#include <cstdint>
#include <optional>

namespace chatiere::manager {

// How much a monotonic counter (a guest's CPU time) grew from `previous` to `current`. A counter
// that went backwards was reset: the guest restarted, so all of `current` is new. With no
// previous reading (the guest's first sample) everything it counted so far is new.
constexpr uint64_t counterDelta(std::optional<uint64_t> previous, uint64_t current) {
    if (!previous || current < *previous) {
        return current;
    }
    return current - *previous;
}

}  // namespace chatiere::manager
