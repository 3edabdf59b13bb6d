#include "chatiere/base/Clock.h"

namespace chatiere::base {

Clock::TimePoint SystemClock::now() const {
    return std::chrono::system_clock::now();
}

ManualClock::ManualClock(TimePoint start) : now_(start) {}

Clock::TimePoint ManualClock::now() const {
    std::lock_guard lock(mutex_);
    return now_;
}

void ManualClock::set(TimePoint t) {
    std::lock_guard lock(mutex_);
    now_ = t;
}

void ManualClock::advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
}

}  // namespace chatiere::base
