#include "web/UsageChart.h"

#include "billing/Money.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace chatiere::manager::web {

namespace {

// The plot: a slot of kSlot units per day from kLeft, bars kBarWidth wide, kPlotHeight tall from kTop.
constexpr double kLeft = 44;
constexpr double kTop = 10;
constexpr double kSlot = 10;
constexpr double kBarWidth = 8;
constexpr double kPlotHeight = 120;
constexpr double kMinScaleGib = 0.1;

constexpr double kGib = 1024.0 * 1024.0 * 1024.0;

// SVG coordinates: to a tenth, without a useless ".0".
std::string svgNumber(double v) {
    char out[32];
    const double tenths = std::round(v * 10.0) / 10.0;
    if (tenths == std::floor(tenths)) {
        std::snprintf(out, sizeof out, "%lld", static_cast<long long>(tenths));
    } else {
        std::snprintf(out, sizeof out, "%.1f", tenths);
    }
    return out;
}

// GiB to the thousandth, per language ("1,5" / "1.5").
std::string gib(double value, const std::string& lang) {
    return formatQuantity(static_cast<int64_t>(std::llround(value * 1000.0)), lang);
}

}  // namespace

double chartScale(double maxGib) {
    if (!(maxGib > kMinScaleGib)) {
        return maxGib > 0 ? kMinScaleGib : 1.0;
    }
    const double decade = std::pow(10.0, std::floor(std::log10(maxGib)));
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * decade >= maxGib * (1 - 1e-9)) {
            return m * decade;
        }
    }
    return 10.0 * decade;
}

mstch::map usageChart(const std::vector<DiskDay>& days, const std::string& lang, const Translations& words) {
    const std::string unit = words.text(lang, "dash_history_unit");
    double maxGib = 0;
    const DiskDay* highest = nullptr;
    const DiskDay* latest = nullptr;
    int gaps = 0;
    for (const auto& d : days) {
        if (!d.storedBytes) {
            ++gaps;
            continue;
        }
        const double value = static_cast<double>(*d.storedBytes) / kGib;
        if (!highest || value > maxGib) {
            maxGib = value;
            highest = &d;
        }
        latest = &d;
    }
    const double scale = chartScale(maxGib);

    mstch::array bars;
    mstch::array rows;
    for (std::size_t i = 0; i < days.size(); ++i) {
        const auto& d = days[i];
        mstch::map row;
        row.emplace("date", formatDate(d.day, lang));
        if (d.storedBytes) {
            const double value = static_cast<double>(*d.storedBytes) / kGib;
            // At least one unit high, so that a day with (almost) nothing stored is not a gap.
            const double height = std::max(1.0, std::min(value / scale, 1.0) * kPlotHeight);
            mstch::map bar;
            bar.emplace("x", svgNumber(kLeft + static_cast<double>(i) * kSlot + (kSlot - kBarWidth) / 2));
            bar.emplace("y", svgNumber(kTop + kPlotHeight - height));
            bar.emplace("height", svgNumber(height));
            bars.push_back(std::move(bar));
            row.emplace("value", gib(value, lang) + " " + unit);
        } else {
            row.emplace("value", words.text(lang, "dash_history_no_data"));
            row.emplace("gap", true);
        }
        rows.push_back(std::move(row));
    }
    mstch::array grid;
    for (const double share : {0.0, 0.5, 1.0}) {
        const double y = kTop + kPlotHeight * (1 - share);
        mstch::map line;
        line.emplace("y", svgNumber(y));
        line.emplace("label_y", svgNumber(y + 3));
        line.emplace("label", gib(scale * share, lang));
        grid.push_back(std::move(line));
    }

    const std::string first = days.empty() ? std::string() : formatDate(days.front().day, lang);
    const std::string last = days.empty() ? std::string() : formatDate(days.back().day, lang);
    const std::string colon = lang == "en" ? ": " : " : ";
    std::string summary = words.text(lang, "dash_history") + " (" + first + " – " + last + ")" + colon;
    if (!highest) {
        summary += words.text(lang, "dash_history_none") + ".";
    } else {
        summary += words.text(lang, "dash_history_max") + " " + gib(maxGib, lang) + " " + unit + " (" +
                   formatDate(highest->day, lang) + "), " + words.text(lang, "dash_history_latest") + " " +
                   gib(static_cast<double>(*latest->storedBytes) / kGib, lang) + " " + unit + " (" +
                   formatDate(latest->day, lang) + ")";
        if (gaps > 0) {
            summary += ", " + std::to_string(gaps) + " " + words.text(lang, "dash_history_gaps");
        }
        summary += ".";
    }

    mstch::map chart;
    chart.emplace("summary", summary);
    chart.emplace("unit", unit);
    chart.emplace("first_day", first);
    chart.emplace("last_day", last);
    chart.emplace("axis_y", svgNumber(kTop + kPlotHeight + 20));
    chart.emplace("right", svgNumber(kLeft + kSlot * static_cast<double>(days.size())));
    chart.emplace("width", svgNumber(kLeft + kSlot * static_cast<double>(days.size()) + 6));
    chart.emplace("bars", std::move(bars));
    chart.emplace("grid", std::move(grid));
    chart.emplace("days", std::move(rows));
    return chart;
}

}  // namespace chatiere::manager::web
