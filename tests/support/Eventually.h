#pragma once

#include <chrono>
#include <thread>

namespace chatiere::testing {

// Polls `condition` until it holds or `timeout` passes (system tests wait for real guests).
template <typename F>
bool eventually(F condition, std::chrono::seconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(every);
    }
    return condition();
}

}  // namespace chatiere::testing
