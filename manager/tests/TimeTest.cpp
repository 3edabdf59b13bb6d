#include "chatiere/manager/Time.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

TEST(Time, WhatIsWrittenIsReadBack) {
    EXPECT_EQ(formatTime(parseTime("2026-11-24T14:51:15Z").value()), "2026-11-24T14:51:15Z");
    EXPECT_EQ(formatTime(parseTime("2026-11-24T16:51:15.250+02:00").value()), "2026-11-24T14:51:15Z");
    EXPECT_EQ(formatTime(parseTime("1700-01-01T00:00:00Z").value()), "1700-01-01T00:00:00Z");
    EXPECT_EQ(formatTime(parseTime("2261-12-31T23:59:59Z").value()), "2261-12-31T23:59:59Z");
}

// Found by fuzz_dates (its corpus: regression-year-985): a time the regular expression allows but
// a TimePoint (int64 nanoseconds) cannot hold overflowed on conversion, undefined behaviour.
TEST(Time, ATimeBeyondWhatATimePointHoldsIsRefused) {
    EXPECT_EQ(parseTime("0985-01-01T00:00:00-23:59"), std::nullopt);
    EXPECT_EQ(parseTime("1600-01-01T00:00:00Z"), std::nullopt);
    EXPECT_EQ(parseTime("9999-12-31T23:59:59Z"), std::nullopt);
}
