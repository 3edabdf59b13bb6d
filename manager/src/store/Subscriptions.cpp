#include "store/Subscriptions.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace chatiere::manager {

namespace {

// The pending change is stored as a small JSON object.
std::optional<std::string> pendingText(const std::optional<PendingChange>& p) {
    if (!p) {
        return std::nullopt;
    }
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("change_id", p->changeId);
    o.set("plan", p->plan);
    o.set("version", p->version);
    o.set("interval", p->interval);
    o.set("price_cents", p->priceCents);
    o.set("membership_cents", p->membershipCents);
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

std::optional<PendingChange> pendingFrom(const std::optional<std::string>& text) {
    if (!text || text->empty()) {
        return std::nullopt;
    }
    Poco::JSON::Parser parser;
    const auto o = parser.parse(*text).extract<Poco::JSON::Object::Ptr>();
    return PendingChange{o->getValue<std::string>("change_id"),
                         o->getValue<std::string>("plan"),
                         o->getValue<int>("version"),
                         o->getValue<std::string>("interval"),
                         o->getValue<Poco::Int64>("price_cents"),
                         o->getValue<Poco::Int64>("membership_cents")};
}

#define SUBSCRIPTION_COLUMNS                                                                              \
    "id, association_id, plan_slug, plan_version, interval, price_cents, membership_cents, anchor_date, " \
    "start_date, trial_end, status, billed_through, cancel_at, pending_change, ended_at, created_at, "    \
    "updated_at"

// Read by index, in the order of SUBSCRIPTION_COLUMNS (the billing run reads every due one).
Subscription subscriptionFrom(const Row& r) {
    Subscription s;
    s.id = r.text(0);
    s.associationId = r.text(1);
    s.planSlug = r.text(2);
    s.planVersion = static_cast<int>(r.integer(3));
    s.interval = r.text(4);
    s.priceCents = r.integer(5);
    s.membershipCents = r.integer(6);
    s.anchorDate = r.text(7);
    s.startDate = r.text(8);
    s.trialEnd = r.optText(9);
    s.status = storedState<SubscriptionStatus>(r.text(10), "subscriptions.status");
    s.billedThrough = r.text(11);
    s.cancelAt = r.optText(12);
    s.pending = pendingFrom(r.optText(13));
    s.endedAt = r.optText(14);
    s.createdAt = r.text(15);
    s.updatedAt = r.text(16);
    return s;
}

constexpr const char* kInsert = "INSERT INTO subscriptions (" SUBSCRIPTION_COLUMNS
                                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr const char* kUpdate =
    "UPDATE subscriptions SET plan_slug = ?, plan_version = ?, interval = ?, price_cents = ?, "
    "membership_cents = ?, anchor_date = ?, trial_end = ?, status = ?, billed_through = ?, cancel_at = ?, "
    "pending_change = ?, ended_at = ?, updated_at = ? WHERE id = ?";
constexpr const char* kFind = "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions WHERE id = ?";
constexpr const char* kActiveOf =
    "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions WHERE association_id = ? AND status = 'active'";
constexpr const char* kOfAssociation =
    "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions WHERE association_id = ? ORDER BY created_at DESC";
constexpr const char* kDue = "SELECT " SUBSCRIPTION_COLUMNS
                             " FROM subscriptions WHERE status = 'active' AND (billed_through <= ?1 OR "
                             "(cancel_at IS NOT NULL AND cancel_at <= ?1)) ORDER BY id";

#undef SUBSCRIPTION_COLUMNS

}  // namespace

void SubscriptionRepository::insert(const Subscription& v) {
    session_.execute(kInsert, v.id, v.associationId, v.planSlug, v.planVersion, v.interval, v.priceCents,
                     v.membershipCents, v.anchorDate, v.startDate, v.trialEnd, wireName(v.status),
                     v.billedThrough, v.cancelAt, pendingText(v.pending), v.endedAt, v.createdAt,
                     v.updatedAt);
}

void SubscriptionRepository::update(const Subscription& v) {
    session_.execute(kUpdate, v.planSlug, v.planVersion, v.interval, v.priceCents, v.membershipCents,
                     v.anchorDate, v.trialEnd, wireName(v.status), v.billedThrough, v.cancelAt,
                     pendingText(v.pending), v.endedAt, v.updatedAt, v.id);
}

std::optional<Subscription> SubscriptionRepository::find(const std::string& id) {
    return session_.first(kFind, subscriptionFrom, id);
}

std::optional<Subscription> SubscriptionRepository::activeOf(const std::string& associationId) {
    return session_.first(kActiveOf, subscriptionFrom, associationId);
}

std::vector<Subscription> SubscriptionRepository::ofAssociation(const std::string& associationId) {
    return session_.query(kOfAssociation, subscriptionFrom, associationId);
}

std::vector<Subscription> SubscriptionRepository::due(const std::string& asOf) {
    return session_.query(kDue, subscriptionFrom, asOf);
}

void SubscriptionRepository::recordChange(const SubscriptionChange& c) {
    session_.execute(
        "INSERT INTO subscription_changes (id, subscription_id, kind, effective_date, from_plan, "
        "from_version, from_price_cents, to_plan, to_version, to_price_cents, to_interval, created_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        c.id, c.subscriptionId, c.kind, c.effectiveDate, c.fromPlan, c.fromVersion, c.fromPriceCents,
        c.toPlan, c.toVersion, c.toPriceCents, c.toInterval, c.createdBy, c.createdAt);
}

std::vector<SubscriptionChange> SubscriptionRepository::changes(const std::string& subscriptionId) {
    return session_.query(
        "SELECT id, subscription_id, kind, effective_date, from_plan, from_version, from_price_cents, "
        "to_plan, to_version, to_price_cents, to_interval, created_by, created_at "
        "FROM subscription_changes WHERE subscription_id = ? ORDER BY created_at, rowid",
        [](const Row& r) {
            SubscriptionChange c;
            c.id = r.text(0);
            c.subscriptionId = r.text(1);
            c.kind = r.text(2);
            c.effectiveDate = r.text(3);
            c.fromPlan = r.text(4);
            c.fromVersion = static_cast<int>(r.integer(5));
            c.fromPriceCents = r.integer(6);
            c.toPlan = r.optText(7);
            if (!r.isNull(8)) {
                c.toVersion = static_cast<int>(r.integer(8));
                c.toPriceCents = r.integer(9);
            }
            c.toInterval = r.optText(10);
            c.createdBy = r.text(11);
            c.createdAt = r.text(12);
            return c;
        },
        subscriptionId);
}

bool SubscriptionRepository::claimEvent(const std::string& subscriptionId, const std::string& periodStart,
                                        const std::string& kind, const std::string& ref,
                                        const std::string& at) {
    return session_.execute(
               "INSERT INTO billing_events (subscription_id, period_start, kind, ref, created_at) "
               "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
               subscriptionId, periodStart, kind, ref, at) == 1;
}

void SubscriptionRepository::attachEvent(const std::string& subscriptionId, const std::string& periodStart,
                                         const std::string& kind, const std::string& ref,
                                         const std::string& invoiceId) {
    session_.execute(
        "UPDATE billing_events SET invoice_id = ? WHERE subscription_id = ? AND period_start = ? "
        "AND kind = ? AND ref = ?",
        invoiceId, subscriptionId, periodStart, kind, ref);
}

std::optional<std::string> SubscriptionRepository::previousFeeStart(const std::string& subscriptionId,
                                                                    const std::string& before) {
    return session_.text(
        "SELECT MAX(period_start) FROM billing_events WHERE subscription_id = ? AND kind = "
        "'fee' AND period_start < ?",
        subscriptionId, before);
}

void SubscriptionRepository::insertProration(const std::string& subscriptionId,
                                             const std::string& periodStart, const std::string& changeId,
                                             const std::string& at) {
    session_.execute(
        "INSERT INTO billing_events (subscription_id, period_start, kind, ref, created_at) "
        "VALUES (?, ?, 'proration', ?, ?)",
        subscriptionId, periodStart, changeId, at);
}

void SubscriptionRepository::attachProration(const std::string& subscriptionId, const std::string& changeId,
                                             const std::string& invoiceId) {
    session_.execute(
        "UPDATE billing_events SET invoice_id = ? WHERE subscription_id = ? AND kind = "
        "'proration' AND ref = ?",
        invoiceId, subscriptionId, changeId);
}

std::optional<SubscriptionGraceRow> SubscriptionRepository::findGrace(const std::string& associationId) {
    return session_.first(
        "SELECT since, start_mailed, reminder_mailed FROM subscription_grace WHERE association_id = ?",
        [](const Row& r) {
            SubscriptionGraceRow g;
            // An empty `since` reads as none (GCC 12 warns, wrongly, on resetting an optional string).
            if (!r.isNull(0) && !r.text(0).empty()) {
                g.since = r.text(0);
            }
            g.startMailed = r.integer(1) != 0;
            g.reminderMailed = r.integer(2) != 0;
            return g;
        },
        associationId);
}

void SubscriptionRepository::startGrace(const std::string& associationId, const std::string& since,
                                        const std::string& at) {
    session_.execute("INSERT INTO subscription_grace (association_id, since, created_at) VALUES (?, ?, ?)",
                     associationId, since, at);
}

void SubscriptionRepository::setGraceSince(const std::string& associationId, const std::string& since) {
    session_.execute("UPDATE subscription_grace SET since = ? WHERE association_id = ?", since,
                     associationId);
}

void SubscriptionRepository::markGraceStartMailed(const std::string& associationId) {
    session_.execute("UPDATE subscription_grace SET start_mailed = 1 WHERE association_id = ?",
                     associationId);
}

void SubscriptionRepository::markGraceReminderMailed(const std::string& associationId) {
    session_.execute("UPDATE subscription_grace SET reminder_mailed = 1 WHERE association_id = ?",
                     associationId);
}

void SubscriptionRepository::deleteGrace(const std::string& associationId) {
    session_.execute("DELETE FROM subscription_grace WHERE association_id = ?", associationId);
}

std::vector<std::string> SubscriptionRepository::graceCandidates(const std::string& reason) {
    return session_.query(
        "SELECT association_id FROM services v WHERE v.state NOT IN ('deleting', 'deleted') AND NOT EXISTS "
        "(SELECT 1 FROM subscriptions s WHERE s.association_id = v.association_id AND s.status = 'active') "
        "UNION SELECT association_id FROM services WHERE state NOT IN ('deleting', 'deleted') AND "
        "(',' || suspended_for || ',') LIKE '%,' || ? || ',%' "
        "UNION SELECT association_id FROM subscription_grace",
        [](const Row& r) { return r.text(0); }, reason);
}

}  // namespace chatiere::manager
