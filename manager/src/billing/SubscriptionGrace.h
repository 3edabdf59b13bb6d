#pragma once

#include "billing/BillingRun.h"
#include "domain/AssociationService.h"

#include "chatiere/manager/Database.h"

#include <string>

namespace chatiere::manager {

// Services need a subscription, or a free plan. An association whose services run without one
// (its subscription ended, or an installation from before the rule) has a grace period of
// billing.unsubscribed_grace_days, mailed to its managers at the start and 3 days before the end;
// then its services get the `no_subscription` suspension reason. A new subscription (or a free
// plan) ends the grace and removes that reason only. Nothing is deleted. Every step is idempotent:
// the grace row and its two mail flags say what was done.
class SubscriptionGrace {
public:
    SubscriptionGrace(const Settings& settings, AssociationService& associations)
        : settings_(settings), associations_(associations) {}

    // The scheduled pass, as of `date`, in the caller's transaction. Returns whether a provisioning
    // job was queued; counts the associations suspended in `summary`.
    bool run(Session& s, const std::string& date, const std::string& at, RunSummary& summary);
    // The association is covered again (a new subscription, a free plan): its grace ends and its
    // services lose `no_subscription`. Returns whether a provisioning job was queued.
    static bool cover(Session& s, const std::string& associationId, const std::string& at);
    // Whether the association's services may run without a subscription: its plan is free.
    static bool onFreePlan(Session& s, const Association& a);

private:
    bool pass(Session& s, const Association& a, const std::string& date, const std::string& at,
              RunSummary& summary);

    const Settings& settings_;
    AssociationService& associations_;
};

}  // namespace chatiere::manager
