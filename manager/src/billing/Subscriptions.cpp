#include "billing/Subscriptions.h"

#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

namespace {

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

constexpr const char* kColumns =
    "id, association_id, plan_slug, plan_version, interval, price_cents, membership_cents, anchor_date, "
    "start_date, trial_end, status, billed_through, cancel_at, pending_change, ended_at, created_at, "
    "updated_at";

}  // namespace

Poco::JSON::Object subscriptionToJson(const Subscription& s) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("id", s.id);
    out.set("association_id", s.associationId);
    out.set("plan", s.planSlug);
    out.set("plan_version", s.planVersion);
    out.set("interval", s.interval);
    out.set("price_cents", s.priceCents);
    out.set("membership_cents", s.membershipCents);
    out.set("currency", "EUR");
    out.set("status", s.status);
    out.set("start_date", s.startDate);
    out.set("anchor_date", s.anchorDate);
    out.set("billed_through", s.billedThrough);  // the start of the first period not invoiced yet
    out.set("trial_end", s.trialEnd ? Poco::Dynamic::Var(*s.trialEnd) : Poco::Dynamic::Var());
    out.set("cancel_at", s.cancelAt ? Poco::Dynamic::Var(*s.cancelAt) : Poco::Dynamic::Var());
    if (s.pending) {
        Poco::JSON::Object p(Poco::JSON_PRESERVE_KEY_ORDER);
        p.set("plan", s.pending->plan);
        p.set("interval", s.pending->interval);
        p.set("price_cents", s.pending->priceCents);
        out.set("pending_change", p);
    } else {
        out.set("pending_change", Poco::Dynamic::Var());
    }
    out.set("ended_at", s.endedAt ? Poco::Dynamic::Var(*s.endedAt) : Poco::Dynamic::Var());
    out.set("created_at", s.createdAt);
    return out;
}

void SubscriptionRepository::insert(const Subscription& s) {
    Subscription v = s;
    auto pending = nullable(pendingText(v.pending));
    auto trial = nullable(v.trialEnd);
    auto cancel = nullable(v.cancelAt);
    auto ended = nullable(v.endedAt);
    session_ << "INSERT INTO subscriptions (" << kColumns
             << ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(v.id), use(v.associationId), use(v.planSlug), use(v.planVersion), use(v.interval),
        use(v.priceCents), use(v.membershipCents), use(v.anchorDate), use(v.startDate), use(trial),
        use(v.status), use(v.billedThrough), use(cancel), use(pending), use(ended), use(v.createdAt),
        use(v.updatedAt), now;
}

void SubscriptionRepository::update(const Subscription& s) {
    Subscription v = s;
    auto pending = nullable(pendingText(v.pending));
    auto trial = nullable(v.trialEnd);
    auto cancel = nullable(v.cancelAt);
    auto ended = nullable(v.endedAt);
    session_ << "UPDATE subscriptions SET plan_slug = ?, plan_version = ?, interval = ?, price_cents = ?, "
                "membership_cents = ?, anchor_date = ?, trial_end = ?, status = ?, billed_through = ?, "
                "cancel_at = ?, pending_change = ?, ended_at = ?, updated_at = ? WHERE id = ?",
        use(v.planSlug), use(v.planVersion), use(v.interval), use(v.priceCents), use(v.membershipCents),
        use(v.anchorDate), use(trial), use(v.status), use(v.billedThrough), use(cancel), use(pending),
        use(ended), use(v.updatedAt), use(v.id), now;
}

std::optional<Subscription> SubscriptionRepository::find(const std::string& id) {
    auto found = select("id = ?", id);
    return found.empty() ? std::nullopt : std::optional<Subscription>(std::move(found.front()));
}

std::optional<Subscription> SubscriptionRepository::activeOf(const std::string& associationId) {
    auto found = select("association_id = ? AND status = 'active'", associationId);
    return found.empty() ? std::nullopt : std::optional<Subscription>(std::move(found.front()));
}

std::vector<Subscription> SubscriptionRepository::ofAssociation(const std::string& associationId) {
    return select("association_id = ? ORDER BY created_at DESC", associationId);
}

std::vector<Subscription> SubscriptionRepository::due(const std::string& asOf) {
    return select(
        "status = 'active' AND (billed_through <= ? OR (cancel_at IS NOT NULL AND cancel_at <= ?)) "
        "ORDER BY id",
        asOf, asOf);
}

std::vector<Subscription> SubscriptionRepository::select(const std::string& where, const std::string& a,
                                                         const std::string& b) {
    Poco::Data::Statement stmt(session_);
    std::string first = a;
    std::string second = b;
    stmt << "SELECT " << kColumns << " FROM subscriptions WHERE " << where, use(first);
    if (!b.empty()) {
        stmt, use(second);
    }
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<Subscription> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        Subscription s;
        s.id = text(rs, "id");
        s.associationId = text(rs, "association_id");
        s.planSlug = text(rs, "plan_slug");
        s.planVersion = static_cast<int>(integer(rs, "plan_version"));
        s.interval = text(rs, "interval");
        s.priceCents = integer(rs, "price_cents");
        s.membershipCents = integer(rs, "membership_cents");
        s.anchorDate = text(rs, "anchor_date");
        s.startDate = text(rs, "start_date");
        s.trialEnd = optText(rs, "trial_end");
        s.status = text(rs, "status");
        s.billedThrough = text(rs, "billed_through");
        s.cancelAt = optText(rs, "cancel_at");
        s.pending = pendingFrom(optText(rs, "pending_change"));
        s.endedAt = optText(rs, "ended_at");
        s.createdAt = text(rs, "created_at");
        s.updatedAt = text(rs, "updated_at");
        out.push_back(std::move(s));
    }
    return out;
}

void SubscriptionRepository::recordChange(const SubscriptionChange& c) {
    Poco::Nullable<Poco::Int64> toVersion;
    if (c.toVersion) {
        toVersion = *c.toVersion;
    }
    Poco::Nullable<Poco::Int64> toPrice;
    if (c.toPriceCents) {
        toPrice = *c.toPriceCents;
    }
    session_
        << "INSERT INTO subscription_changes (id, subscription_id, kind, effective_date, from_plan, "
           "from_version, from_price_cents, to_plan, to_version, to_price_cents, to_interval, created_by, "
           "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(c.id), bind(c.subscriptionId), bind(c.kind), bind(c.effectiveDate), bind(c.fromPlan),
        bind(c.fromVersion), bind(static_cast<Poco::Int64>(c.fromPriceCents)), bind(nullable(c.toPlan)),
        bind(toVersion), bind(toPrice), bind(nullable(c.toInterval)), bind(c.createdBy), bind(c.createdAt),
        now;
}

std::vector<SubscriptionChange> SubscriptionRepository::changes(const std::string& subscriptionId) {
    Poco::Data::Statement stmt(session_);
    std::string id = subscriptionId;
    stmt << "SELECT id, subscription_id, kind, effective_date, from_plan, from_version, from_price_cents, "
            "to_plan, to_version, to_price_cents, to_interval, created_by, created_at "
            "FROM subscription_changes WHERE subscription_id = ? ORDER BY created_at, rowid",
        use(id);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<SubscriptionChange> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        SubscriptionChange c;
        c.id = text(rs, "id");
        c.subscriptionId = text(rs, "subscription_id");
        c.kind = text(rs, "kind");
        c.effectiveDate = text(rs, "effective_date");
        c.fromPlan = text(rs, "from_plan");
        c.fromVersion = static_cast<int>(integer(rs, "from_version"));
        c.fromPriceCents = integer(rs, "from_price_cents");
        c.toPlan = optText(rs, "to_plan");
        if (optText(rs, "to_version")) {
            c.toVersion = static_cast<int>(integer(rs, "to_version"));
            c.toPriceCents = integer(rs, "to_price_cents");
        }
        c.toInterval = optText(rs, "to_interval");
        c.createdBy = text(rs, "created_by");
        c.createdAt = text(rs, "created_at");
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace chatiere::manager
