#pragma once

#include "chatiere/manager/Time.h"
#include "store/Plans.h"
#include "store/Usage.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// One rung of the ladder: a share of a quota's `included` or `limit`.
struct QuotaStep {
    std::string name;   // "included_80", "limit_100"…
    std::string bound;  // included | limit
    int percent = 0;
    double threshold = 0;  // in the metric's unit
};

// The rungs of a quota, lowest first: each share of `included`, each of `limit`, and the limit
// itself (always last). Rungs at zero (a quota of 0) are left out.
std::vector<QuotaStep> ladderSteps(const QuotaLimit& quota, const std::vector<int>& includedPercents,
                                   const std::vector<int>& limitPercents);

// The rules of the ladder (from LadderSettings).
struct QuotaRules {
    std::vector<int> includedPercents{80, 100};
    std::vector<int> limitPercents{90};
    std::chrono::seconds grace{72 * 3600};  // at the limit this long → websites suspended
    int hysteresisPercent = 95;             // a rung is left only under this % of it
};

// What the ladder remembers of one metric of one association: the quota_levels row, as the
// store reads and writes it.
using QuotaState = QuotaLevel;

// What to do about one metric now. Pure: the ladder's transaction reads the inputs and carries it out.
struct QuotaDecision {
    QuotaState next;
    std::optional<QuotaStep> reached;  // a rung reached (higher than before): audit and mail it
    bool cleared = false;              // fell under its rung (hysteresis): audit `next.level`
    bool atLimit = false;              // a measured metric at the limit: the admin's alert is raised
    // The websites' enforcement changed: why ("limit_reached", "under_limit", "exception").
    std::optional<std::string> enforcementChange;
    std::optional<TimePoint> graceEnds;  // while at the limit: when the websites get suspended
    bool store = false;                  // `next` differs from the state before
};

// Only stored data is measured against its limit for enforcement (CPU and memory are capped by
// each guest's allocation, services cannot be added past the limit). Transfer is measured too,
// but never enforced: at its limit nothing is throttled or cut, the admin's alert is raised and
// the overage is billed where the plan prices it.
bool enforcedMetric(const std::string& metric);
// The metrics measured (not allocations): at their limit the admin's alert is raised.
bool measuredMetric(const std::string& metric);

// The decision for one metric: its usage `value` against `quota`, from `previous`, in the usage
// period starting `periodStart`, `excepted` when the admin granted an exception, at `now`.
QuotaDecision decideQuota(const std::string& metric, double value, const QuotaLimit& quota,
                          const QuotaState& previous, const std::string& periodStart, bool excepted,
                          TimePoint now, const QuotaRules& rules);

// Whether a service gets (true) or loses (false) the `quota` reason, or is left alone (nullopt),
// when its association's enforcement is `enforced`: websites only (mail keeps running), never a
// service being deleted; adding an existing reason changes nothing.
std::optional<bool> quotaReasonChange(bool enforced, bool website, const std::string& serviceState,
                                      bool hasQuotaReason);

}  // namespace chatiere::manager
