// The dashboard's disk chart: a scale of 1, 2 or 5 × 10^n GiB above the highest day, a bar per day
// with data (at least one unit high), none for a day without.

#include "web/UsageChart.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace chatiere::manager;
using namespace chatiere::manager::web;

namespace {

TEST(UsageChart, TheScaleIsARoundNumberAboveTheHighestDay) {
    EXPECT_DOUBLE_EQ(chartScale(0), 1.0);
    EXPECT_DOUBLE_EQ(chartScale(0.001), 0.1);
    EXPECT_DOUBLE_EQ(chartScale(0.3), 0.5);
    EXPECT_DOUBLE_EQ(chartScale(1), 1.0);
    EXPECT_DOUBLE_EQ(chartScale(2), 2.0);
    EXPECT_DOUBLE_EQ(chartScale(2.1), 5.0);
    EXPECT_DOUBLE_EQ(chartScale(7), 10.0);
    EXPECT_DOUBLE_EQ(chartScale(12), 20.0);
}

TEST(UsageChart, ABarPerDayWithDataAndAGapWithout) {
    const Translations words(std::filesystem::path(CHATIERE_SOURCE_DIR) / "web-admin" / "i18n");
    const int64_t gib = int64_t{1} << 30;
    const std::vector<DiskDay> days = {
        {"2026-12-01", gib * 4}, {"2026-12-02", std::nullopt}, {"2026-12-03", 0}};
    const auto chart = usageChart(days, "en", words);
    const auto& bars = boost::get<mstch::array>(chart.at("bars"));
    ASSERT_EQ(bars.size(), 2u);
    const auto attribute = [&](std::size_t i, const std::string& name) {
        return boost::get<std::string>(boost::get<mstch::map>(bars[i]).at(name));
    };
    EXPECT_EQ(attribute(0, "x"), "45");
    EXPECT_EQ(attribute(0, "height"), "96");  // 4 of 5 GiB over 120 units
    EXPECT_EQ(attribute(1, "x"), "65");       // the third slot: the second is a gap
    EXPECT_EQ(attribute(1, "height"), "1");   // nothing stored, yet measured
    EXPECT_EQ(boost::get<std::string>(chart.at("summary")),
              "Disk space over 30 days (1 December 2026 – 3 December 2026): at most 4 GiB (1 December 2026), "
              "latest 0 GiB (3 December 2026), 1 day(s) without data.");
    const auto& rows = boost::get<mstch::array>(chart.at("days"));
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(boost::get<std::string>(boost::get<mstch::map>(rows[1]).at("value")), "no data");
}

}  // namespace
