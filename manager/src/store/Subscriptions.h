#pragma once

#include "chatiere/manager/Database.h"
#include "core/States.h"

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
// (see billing/Periods.h); `billedThrough` is the start of the first period whose fee is not
// invoiced yet — a hint that spares a billing run from walking old periods; the billing events
// table is what makes a run idempotent.
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
    SubscriptionStatus status = SubscriptionStatus::Active;
    std::string billedThrough;
    std::optional<std::string> cancelAt;  // the end of the last period, when cancelled
    std::optional<PendingChange> pending;
    std::optional<std::string> endedAt;
    std::string createdAt;
    std::string updatedAt;
};

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

// The grace of an association whose services run without a subscription.
struct SubscriptionGraceRow {
    std::optional<std::string> since;  // nullopt: from the next pass (an upgraded installation)
    bool startMailed = false;
    bool reminderMailed = false;
};

// Subscriptions, their change history, their billing events (what a billing run has claimed, so
// that it never bills twice) and the grace of associations without one.
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

    // Billing events. Inserts the event; false when it was there already.
    bool claimEvent(const std::string& subscriptionId, const std::string& periodStart,
                    const std::string& kind, const std::string& ref, const std::string& at);
    void attachEvent(const std::string& subscriptionId, const std::string& periodStart,
                     const std::string& kind, const std::string& ref, const std::string& invoiceId);
    // The start of the last fee period claimed before `before`.
    std::optional<std::string> previousFeeStart(const std::string& subscriptionId, const std::string& before);
    // The event of an upgrade's prorated invoice (ref: the change's id), then its invoice.
    void insertProration(const std::string& subscriptionId, const std::string& periodStart,
                         const std::string& changeId, const std::string& at);
    void attachProration(const std::string& subscriptionId, const std::string& changeId,
                         const std::string& invoiceId);

    // Grace without a subscription.
    std::optional<SubscriptionGraceRow> findGrace(const std::string& associationId);
    void startGrace(const std::string& associationId, const std::string& since, const std::string& at);
    void setGraceSince(const std::string& associationId, const std::string& since);
    void markGraceStartMailed(const std::string& associationId);
    void markGraceReminderMailed(const std::string& associationId);
    void deleteGrace(const std::string& associationId);
    // The associations a grace pass has something to do for: those with a grace row, those whose
    // live services run without an active subscription, and those with services suspended for
    // `reason` (the others have nothing to start, mail, suspend or lift).
    std::vector<std::string> graceCandidates(const std::string& reason);

private:
    Session& session_;
};

}  // namespace chatiere::manager
