#pragma once

#include <chrono>
#include <mutex>

namespace chatiere::base {

// The only way domain code learns the time. Injected, so that tests can move it by hand.
class Clock {
public:
    using TimePoint = std::chrono::system_clock::time_point;
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override;
};

// A clock that moves only when told to: for tests.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start);
    TimePoint now() const override;
    void set(TimePoint t);
    void advance(std::chrono::system_clock::duration d);

private:
    mutable std::mutex mutex_;
    TimePoint now_;
};

}  // namespace chatiere::base
