#pragma once

#include "chatiere/manager/Database.h"
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A plan change that takes effect at the end of the current period (a downgrade, or a change of
// interval): what the subscription becomes then.
struct PendingChange {
    std::string changeId;
    std::string plan;
    int version = 0;
    std::string interval;
    int64_t priceCents = 0;
    int64_t membershipCents = 0;
};

// An association's subscription to a version of a plan. Periods are computed from `anchorDate`
// (see Periods.h); `billedThrough` is the start of the first period whose fee is not invoiced
// yet — a hint that spares a billing run from walking old periods; the billing events table is
// what makes a run idempotent.
struct Subscription {
    std::string id;
    std::string associationId;
    std::string planSlug;
    int planVersion = 0;
    std::string interval;  // month | year
    int64_t priceCents = 0;
    int64_t membershipCents = 0;
    std::string anchorDate;
    std::string startDate;
    std::optional<std::string> trialEnd;  // exclusive; the first period starts there
    std::string status;                   // active | ended
    std::string billedThrough;
    std::optional<std::string> cancelAt;  // the end of the last period, when cancelled
    std::optional<PendingChange> pending;
    std::optional<std::string> endedAt;
    std::string createdAt;
    std::string updatedAt;
};

Poco::JSON::Object subscriptionToJson(const Subscription& s);

// One entry of a subscription's change history: what it was on (plan, version, price) and what it
// becomes on `effectiveDate` (nothing for a cancellation).
struct SubscriptionChange {
    std::string id;
    std::string subscriptionId;
    std::string kind;  // upgrade | downgrade | cancel
    std::string effectiveDate;
    std::string fromPlan;
    int fromVersion = 0;
    int64_t fromPriceCents = 0;
    std::optional<std::string> toPlan;
    std::optional<int> toVersion;
    std::optional<int64_t> toPriceCents;
    std::optional<std::string> toInterval;
    std::string createdBy;
    std::string createdAt;
};

class SubscriptionRepository {
public:
    explicit SubscriptionRepository(Session& session) : session_(session) {}

    void insert(const Subscription& s);
    void update(const Subscription& s);
    std::optional<Subscription> find(const std::string& id);
    std::optional<Subscription> activeOf(const std::string& associationId);
    std::vector<Subscription> ofAssociation(const std::string& associationId);
    // Active subscriptions with a fee period starting on or before `asOf`, or a pending end.
    std::vector<Subscription> due(const std::string& asOf);

    void recordChange(const SubscriptionChange& change);
    // The subscription's change history, oldest first.
    std::vector<SubscriptionChange> changes(const std::string& subscriptionId);

private:
    std::vector<Subscription> select(const std::string& where, const std::string& a,
                                     const std::string& b = "");
    Session& session_;
};

}  // namespace chatiere::manager
