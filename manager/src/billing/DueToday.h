#pragma once

#include "billing/Periods.h"
#include "billing/Subscriptions.h"

#include <string>
#include <vector>

namespace chatiere::manager {

// One period boundary of a subscription that a billing run has to handle: at `start` (the first
// day not billed yet, on or before the run's day), the previous period's overage is due in arrears
// (`arrearsKind`), then either the subscription ends there (cancelled) or a pending change takes
// effect and the fee of `period` is due in advance.
struct DuePeriod {
    std::string start;
    bool ending = false;        // cancelled at `start`: a final invoice, no new period
    std::string arrearsKind;    // "final" when ending, else "overage"
    bool applyPending = false;  // the pending change (downgrade, interval) takes effect at `start`
    Period period;              // the fee's period (after the pending change); empty when ending
    bool operator==(const DuePeriod&) const = default;
};

// What is due for `sub` as of `asOf`, in order: pure, from the subscription alone. The billing run
// carries out each one in its transaction (the billing events make it idempotent).
std::vector<DuePeriod> dueToday(const Subscription& sub, const std::string& asOf);

// The subscription after its pending change took effect at `start`: the new plan, price and
// interval; a change of interval anchors the periods at `start`.
void applyPendingChange(Subscription& sub, const std::string& start);

}  // namespace chatiere::manager
