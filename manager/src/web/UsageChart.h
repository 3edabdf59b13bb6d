#pragma once

#include "monitoring/UsageService.h"
#include "web/Translations.h"

#include <mstch/mstch.hpp>

#include <string>
#include <vector>

namespace chatiere::manager::web {

// The dashboard's 30-day chart of the disk space an association uses: what the template needs to
// draw it as an inline SVG (a bar per day, a gap for a day without data, the scale, a summary for
// its accessible name) and the same numbers for a table. Geometry in the SVG's user units
// (viewBox 0 0 kWidth kHeight).
mstch::map usageChart(const std::vector<DiskDay>& days, const std::string& lang, const Translations& words);

// The top of the scale: the smallest 1, 2 or 5 × 10^n GiB at or above `maxGib` (1 when nothing).
double chartScale(double maxGib);

}  // namespace chatiere::manager::web
