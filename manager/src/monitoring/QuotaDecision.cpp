#include "monitoring/QuotaDecision.h"

#include <algorithm>

namespace chatiere::manager {

std::vector<QuotaStep> ladderSteps(const QuotaLimit& quota, const std::vector<int>& includedPercents,
                                   const std::vector<int>& limitPercents) {
    std::vector<QuotaStep> steps;
    auto add = [&steps](const std::string& bound, int percent, int64_t base) {
        const double threshold = static_cast<double>(base) * percent / 100.0;
        if (threshold > 0) {
            steps.push_back({bound + "_" + std::to_string(percent), bound, percent, threshold});
        }
    };
    for (int p : includedPercents) {
        add("included", p, quota.included);
    }
    for (int p : limitPercents) {
        if (p < 100) {
            add("limit", p, quota.limit);
        }
    }
    std::stable_sort(steps.begin(), steps.end(),
                     [](const QuotaStep& a, const QuotaStep& b) { return a.threshold < b.threshold; });
    add("limit", 100, quota.limit);
    return steps;
}

bool enforcedMetric(const std::string& metric) {
    return metric == "disk_gib";
}

bool measuredMetric(const std::string& metric) {
    return metric == "disk_gib" || metric == "transfer_gib";
}

QuotaDecision decideQuota(const std::string& metric, double value, const QuotaLimit& quota,
                          const QuotaState& previousState, const std::string& periodStart, bool excepted,
                          TimePoint now, const QuotaRules& rules) {
    const auto steps = ladderSteps(quota, rules.includedPercents, rules.limitPercents);
    QuotaDecision d;
    QuotaState& row = d.next;
    row = previousState;

    // A new usage period starts the ladder again (a level of no known period too, from before
    // periods: it is kept, then dated).
    const bool newPeriod = row.periodStart && *row.periodStart != periodStart;
    row.periodStart = periodStart;
    int previous = -1;
    for (std::size_t i = 0; i < steps.size() && !newPeriod; ++i) {
        if (steps[i].name == row.level) {
            previous = static_cast<int>(i);
        }
    }
    int reached = -1;
    int kept = -1;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (value >= steps[i].threshold) {
            reached = static_cast<int>(i);
        }
        if (value >= steps[i].threshold * (rules.hysteresisPercent / 100.0)) {
            kept = static_cast<int>(i);
        }
    }
    const int level = reached > previous ? reached : std::min(previous, kept);
    row.level = level < 0 ? "none" : steps[static_cast<std::size_t>(level)].name;
    if (level > previous) {
        d.reached = steps[static_cast<std::size_t>(level)];
    } else if (level < previous) {
        d.cleared = true;
    }

    // Enforcement: stored data (the only enforced metric) at the limit past the grace period;
    // transfer at its limit raises the alert only.
    const std::string at = formatTime(now);
    d.atLimit = measuredMetric(metric) && quota.limit > 0 && value >= static_cast<double>(quota.limit);
    row.atLimitSince =
        d.atLimit ? std::optional<std::string>(previousState.atLimitSince.value_or(at)) : std::nullopt;
    const auto since = row.atLimitSince ? parseTime(*row.atLimitSince) : std::nullopt;
    row.enforced = false;
    if (since && enforcedMetric(metric)) {
        d.graceEnds = *since + rules.grace;
        row.enforced = d.atLimit && !excepted && now - *since >= rules.grace;
    }
    if (row.enforced != previousState.enforced) {
        d.enforcementChange = row.enforced ? "limit_reached" : !d.atLimit ? "under_limit" : "exception";
    }
    d.store = row != previousState;
    return d;
}

std::optional<bool> quotaReasonChange(bool enforced, bool website, const std::string& serviceState,
                                      bool hasQuotaReason) {
    if (enforced && website && serviceState != "deleting") {
        return true;
    }
    if (!enforced && hasQuotaReason) {
        return false;
    }
    return std::nullopt;
}

}  // namespace chatiere::manager
