#include "billing/DueToday.h"

namespace chatiere::manager {

void applyPendingChange(Subscription& sub, const std::string& start) {
    if (!sub.pending) {
        return;
    }
    const PendingChange change = *sub.pending;
    if (change.interval != sub.interval) {
        sub.anchorDate = start;
    }
    sub.planSlug = change.plan;
    sub.planVersion = change.version;
    sub.interval = change.interval;
    sub.priceCents = change.priceCents;
    sub.membershipCents = change.membershipCents;
    sub.pending.reset();
}

std::vector<DuePeriod> dueToday(const Subscription& subscription, const std::string& asOf) {
    std::vector<DuePeriod> due;
    Subscription sub = subscription;
    while (sub.status == SubscriptionStatus::Active && sub.billedThrough <= asOf) {
        DuePeriod d;
        d.start = sub.billedThrough;
        d.ending = sub.cancelAt && d.start >= *sub.cancelAt;
        d.arrearsKind = d.ending ? "final" : "overage";
        if (d.ending) {
            due.push_back(d);
            break;
        }
        d.applyPending = sub.pending.has_value();
        applyPendingChange(sub, d.start);
        d.period = periodContaining(sub.anchorDate, intervalFromString(sub.interval), d.start);
        sub.billedThrough = d.period.end;
        due.push_back(d);
    }
    return due;
}

}  // namespace chatiere::manager
