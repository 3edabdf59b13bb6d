#include "chatiere/base/Clock.h"

#include <gtest/gtest.h>

using namespace chatiere::base;
using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenTold) {
    const Clock::TimePoint start{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}};
    ManualClock clock(start);
    EXPECT_EQ(clock.now(), start);
    EXPECT_EQ(clock.now(), start);
    clock.advance(90s);
    EXPECT_EQ(clock.now(), start + 90s);
    clock.set(start);
    EXPECT_EQ(clock.now(), start);
}

TEST(SystemClock, FollowsTheSystemTime) {
    SystemClock clock;
    const auto before = std::chrono::system_clock::now();
    const auto read = clock.now();
    EXPECT_LE(before, read);
}
