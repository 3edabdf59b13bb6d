#include "billing/BillingService.h"

#include "billing/BillingErrors.h"
#include "billing/BillingJson.h"
#include "billing/SubscriptionGrace.h"

#include "billing/Money.h"
#include "billing/Periods.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"
#include "store/Plans.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace chatiere::manager {

namespace {

// The plan and the price a subscription would have: pay-what-you-can checked against its floor.
struct Offer {
    Plan plan;
    PlanPrice price;
    int64_t priceCents = 0;
};

Offer offerOf(Session& s, const Association& a, const std::string& planSlug, const std::string& interval,
              const std::optional<int64_t>& chosen) {
    if (interval != "month" && interval != "year") {
        throw invalidField("interval", "invalid_interval", "interval is month or year.");
    }
    auto plan = PlanRepository(s).find(planSlug);
    if (!plan) {
        throw invalidField("plan", "unknown_plan", "There is no plan named '" + planSlug + "'.");
    }
    if (plan->free) {
        throw invalidField("plan", "free_plan",
                           "Plan " + planSlug +
                               " is free: it needs no subscription (the admin gives it to the association).");
    }
    const PlanPrice* price = findPrice(*plan, interval, a.kind);
    if (!price) {
        throw invalidField(
            "interval", "no_price",
            "Plan " + planSlug + " has no " + interval + "ly price for the kind '" + a.kind + "'.");
    }
    Offer offer{*plan, *price, price->amountCents};
    if (chosen) {
        if (!price->floorCents) {
            throw invalidField("price_cents", "not_pay_what_you_can",
                               "Plan " + planSlug + " has a fixed price: leave price_cents out.");
        }
        if (*chosen < *price->floorCents) {
            throw invalidField(
                "price_cents", "below_floor",
                "The least price for this plan is " + std::to_string(*price->floorCents) + " cents.");
        }
        if (*chosen > kMaxPriceCents) {
            throw invalidField("price_cents", "invalid_amount",
                               "A price in cents up to " + std::to_string(kMaxPriceCents) + ".");
        }
        offer.priceCents = *chosen;
    }
    return offer;
}

// The first period not covered yet of a subscription anchored on `anchor`: the anchor itself, or
// for an imported member who has paid through a date, the start of the period that contains it.
std::string firstUnbilled(const std::string& anchor, const std::string& interval,
                          const std::optional<std::string>& paidThrough) {
    if (!paidThrough || *paidThrough < anchor) {
        return anchor;
    }
    return periodContaining(anchor, intervalFromString(interval), *paidThrough).start;
}

// The admin's start_date and paid_through (an imported member): dates, paid_through not before the
// start; a manager who gives either is refused (start_date 400 as before, paid_through 403).
struct ImportDates {
    std::optional<std::string> startDate;
    std::optional<std::string> paidThrough;
};

void checkImportDates(const Actor& actor, const ImportDates& d, const std::string& today,
                      FieldErrors& errors) {
    if (d.paidThrough && !actor.isAdmin()) {
        throw Error::forbidden("Only the admin may say through which date an imported member has paid.");
    }
    if (d.startDate && !Calendar::isDate(*d.startDate)) {
        errors.add("start_date", "invalid_date", "A date written YYYY-MM-DD.");
    }
    if (d.startDate && !actor.isAdmin()) {
        errors.add("start_date", "admin_only", "Only the admin may give a start date (to import a member).");
    }
    if (d.paidThrough && !Calendar::isDate(*d.paidThrough)) {
        errors.add("paid_through", "invalid_date", "A date written YYYY-MM-DD.");
    } else if (d.paidThrough && *d.paidThrough < d.startDate.value_or(today) &&
               (!d.startDate || Calendar::isDate(*d.startDate))) {
        errors.add("paid_through", "before_start", "paid_through cannot be before the start date.");
    }
}

}  // namespace

BillingService::BillingService(Database& db, base::Clock& clock, const Calendar& calendar,
                               const Settings& settings, AssociationService& associations,
                               std::function<void()> jobQueued)
    : db_(db),
      clock_(clock),
      calendar_(calendar),
      settings_(settings),
      associations_(associations),
      jobQueued_(std::move(jobQueued)),
      issuer_(settings, associations) {}

std::string BillingService::today() const {
    return calendar_.dateOf(clock_.now());
}

std::string BillingService::nowText() const {
    return formatTime(clock_.now());
}

Subscription BillingService::subscribe(const Actor& actor, const std::string& associationId,
                                       const Subscribe& command) {
    const Association a = associations_.authorize(actor, associationId, Permission::ManageSubscription);
    FieldErrors errors;
    CommandFields fields(errors);
    const auto planSlug = fields.text("plan", command.plan, true, 40);
    const auto interval = fields.text("interval", command.interval, true, 10);
    const auto startDate = fields.text("start_date", command.startDate, false, 10);
    const auto paidThrough = fields.text("paid_through", command.paidThrough, false, 10);
    const auto& price = command.priceCents;
    checkImportDates(actor, {startDate, paidThrough}, today(), errors);
    errors.throwIfAny();
    if (a.status != AssociationStatus::Active) {
        throw Error(ErrorKind::Conflict, "association_not_active",
                    "The association is not active (" + wireName(a.status) + ").");
    }
    auto s = db_.session();
    Transaction tx = Transaction::durable(s);
    SubscriptionRepository repo(s);
    if (repo.activeOf(a.id)) {
        throw Error(ErrorKind::Conflict, "already_subscribed",
                    "The association already has a subscription: change it or cancel it.");
    }
    const Offer offer = offerOf(s, a, *planSlug, *interval, price);
    const std::string day = today();
    const std::string at = nowText();
    Subscription sub;
    sub.id = newId("sub");
    sub.associationId = a.id;
    sub.planSlug = offer.plan.slug;
    sub.planVersion = offer.plan.version;
    sub.interval = *interval;
    sub.priceCents = offer.priceCents;
    sub.membershipCents = offer.price.membershipCents;
    sub.startDate = startDate.value_or(day);
    sub.anchorDate = Calendar::addDays(sub.startDate, offer.plan.trialDays);
    if (offer.plan.trialDays > 0) {
        sub.trialEnd = sub.anchorDate;
    }
    // A past start (an imported member) invoices every period since, unless the admin says through
    // which date the member has paid: the periods before the one that contains it are not invoiced.
    sub.billedThrough = firstUnbilled(sub.anchorDate, sub.interval, paidThrough);
    sub.status = SubscriptionStatus::Active;
    sub.createdAt = sub.updatedAt = at;
    repo.insert(sub);
    AssociationRepository(s).setPlan(a.id, sub.planSlug, at);
    Poco::JSON::Object details;
    details.set("plan", sub.planSlug);
    details.set("interval", sub.interval);
    details.set("price_cents", sub.priceCents);
    details.set("start_date", sub.startDate);
    if (paidThrough) {
        details.set("paid_through", *paidThrough);
    }
    AuditLog::record(s, actor, at, "subscription.create", "subscription", sub.id, a.id, details);
    RunSummary summary;
    SubscriptionBiller(issuer_, day, at).bring(s, a, sub, day, summary);
    const bool queued = SubscriptionGrace::cover(s, a.id, at);  // services stopped for want of one resume
    tx.commit();
    if (queued) {
        jobQueued_();
    }
    return sub;
}

SubscriptionQuote BillingService::previewSubscription(const Actor& actor, const std::string& associationId,
                                                      const std::string& plan, const std::string& interval,
                                                      const std::optional<int64_t>& priceCents,
                                                      const std::optional<std::string>& startDate,
                                                      const std::optional<std::string>& paidThrough) {
    const Association a = associations_.authorize(actor, associationId, Permission::ViewBilling);
    const std::string day = today();
    FieldErrors errors;
    checkImportDates(actor, {startDate, paidThrough}, day, errors);
    errors.throwIfAny();
    auto s = db_.session();
    const Offer offer = offerOf(s, a, plan, interval, priceCents);
    const std::string anchor = Calendar::addDays(startDate.value_or(day), offer.plan.trialDays);
    const Interval every = intervalFromString(interval);
    // The periods invoiced at once (a past start catches up on every period since), or the first
    // one, invoiced when it begins (after a trial, or after the date an imported member paid through).
    std::vector<Period> periods;
    const std::string from = firstUnbilled(anchor, interval, paidThrough);
    for (std::string start = from; start <= day || periods.empty();) {
        periods.push_back(periodContaining(anchor, every, start));
        start = periods.back().end;
    }
    const Period first = periods.front();
    const int64_t each = offer.priceCents + offer.price.membershipCents;
    SubscriptionQuote out;
    out.associationId = a.id;
    out.plan = offer.plan.slug;
    out.interval = interval;
    out.priceCents = offer.priceCents;
    out.membershipCents = offer.price.membershipCents;
    out.newPriceCents = offer.priceCents + offer.price.membershipCents;
    if (offer.plan.trialDays > 0) {
        out.trialEnd = anchor;
    }
    out.invoiceDate = std::max(from, day);
    out.amountCents = each * static_cast<int64_t>(periods.size());
    out.period = first;
    // Each period invoiced, one invoice each: more than one is an imported member's catch-up.
    for (const auto& p : periods) {
        out.periods.push_back({p.start, p.end, each});
    }
    return out;
}

std::vector<Subscription> BillingService::subscriptions(const Actor& actor,
                                                        const std::string& associationId) {
    return subscriptions(associations_.access(actor, associationId, Permission::ViewBilling));
}

std::vector<Subscription> BillingService::subscriptions(const AssociationAccess& access) {
    access.require(Permission::ViewBilling);
    auto s = db_.session();
    return SubscriptionRepository(s).ofAssociation(access.id());
}

Subscription BillingService::authorizedSubscription(const Actor& actor, const std::string& id,
                                                    Permission permission) {
    std::optional<Subscription> sub;
    {
        auto s = db_.session();
        sub = SubscriptionRepository(s).find(id);
    }
    if (!sub) {
        throw Error::notFound("Subscription " + id);
    }
    associations_.authorize(actor, sub->associationId, permission);
    return *sub;
}

namespace {

struct ChangePlan {
    Offer offer;
    std::string interval;
    bool upgrade = false;  // at once, prorated
    Period period;         // the current period
    std::string effective;
    int days = 0;
    int periodDays = 0;
    int64_t amountCents = 0;
};

ChangePlan planChange(Session& s, const Association& a, const Subscription& sub, const std::string& plan,
                      const std::optional<std::string>& interval, const std::optional<int64_t>& price,
                      const std::string& today) {
    ChangePlan c{offerOf(s, a, plan, interval.value_or(sub.interval), price),
                 interval.value_or(sub.interval),
                 false,
                 {},
                 "",
                 0,
                 0,
                 0};
    const int64_t before = sub.priceCents + sub.membershipCents;
    const int64_t after = c.offer.priceCents + c.offer.price.membershipCents;
    if (c.offer.plan.slug == sub.planSlug && c.offer.plan.version == sub.planVersion &&
        c.interval == sub.interval && c.offer.priceCents == sub.priceCents) {
        throw Error(ErrorKind::Conflict, "no_change", "The subscription is already on this plan and price.");
    }
    if (today < sub.anchorDate) {
        // In the trial: nothing billed yet, the change applies at once.
        c.upgrade = true;
        c.effective = today;
        c.period = {today, sub.anchorDate};
        return c;
    }
    c.period = periodContaining(sub.anchorDate, intervalFromString(sub.interval), today);
    c.upgrade = c.interval == sub.interval && after > before;
    if (c.upgrade) {
        c.effective = today;
        c.days = daysBetween(today, c.period.end);
        c.periodDays = daysBetween(c.period.start, c.period.end);
        c.amountCents = prorate(after - before, c.days, c.periodDays);
    } else {
        c.effective = c.period.end;
    }
    return c;
}

}  // namespace

ChangeQuote BillingService::preview(const Actor& actor, const std::string& subscriptionId,
                                    const std::string& plan, const std::optional<std::string>& interval,
                                    const std::optional<int64_t>& priceCents) {
    const Subscription sub = authorizedSubscription(actor, subscriptionId, Permission::ViewBilling);
    auto s = db_.session();
    const Association a = *AssociationRepository(s).find(sub.associationId);
    const ChangePlan c = planChange(s, a, sub, plan, interval, priceCents, today());
    ChangeQuote out;
    out.subscriptionId = sub.id;
    out.plan = c.offer.plan.slug;
    out.interval = c.interval;
    out.upgrade = c.upgrade;
    out.effectiveDate = c.effective;
    out.currentPriceCents = sub.priceCents + sub.membershipCents;
    out.newPriceCents = c.offer.priceCents + c.offer.price.membershipCents;
    out.amountCents = c.amountCents;
    out.period = c.period;
    out.days = c.days;
    out.periodDays = c.periodDays;
    return out;
}

SubscriptionChanged BillingService::change(const Actor& actor, const std::string& subscriptionId,
                                           const ChangeSubscription& command) {
    Subscription sub = authorizedSubscription(actor, subscriptionId, Permission::ManageSubscription);
    FieldErrors errors;
    CommandFields fields(errors);
    const auto plan = fields.text("plan", command.plan, true, 40);
    const auto interval = fields.text("interval", command.interval, false, 10);
    const auto& price = command.priceCents;
    errors.throwIfAny();
    SubscriptionChanged out;
    onLiveSubscription(sub, [&](Session& s, const Association& a, Subscription& sub, const std::string& day,
                                const std::string& at) {
        const ChangePlan c = planChange(s, a, sub, *plan, interval, price, day);
        const std::string changeId = newId("chg");
        const Subscription before = sub;  // what the history says it changed from
        std::optional<Invoice> issued;
        if (c.upgrade) {
            if (c.amountCents > 0) {
                SubscriptionRepository(s).insertProration(sub.id, c.period.start, changeId, at);
                InvoiceLine line;
                line.kind = "proration";
                line.descriptionFr = "Passage à la formule « " + c.offer.plan.name.fr +
                                     " » : différence au prorata, " + std::to_string(c.days) + "/" +
                                     std::to_string(c.periodDays) + " jours, du " + formatDate(day, "fr") +
                                     " au " + formatDate(Calendar::addDays(c.period.end, -1), "fr");
                line.descriptionEn = "Change to plan “" + c.offer.plan.name.en + "”: prorated difference, " +
                                     std::to_string(c.days) + "/" + std::to_string(c.periodDays) + " days, " +
                                     formatDate(day, "en") + " to " +
                                     formatDate(Calendar::addDays(c.period.end, -1), "en");
                line.unitPriceCents = c.amountCents;
                line.amountCents = c.amountCents;
                line.periodStart = day;
                line.periodEnd = c.period.end;
                Invoice invoice;
                invoice.subscriptionId = sub.id;
                invoice.periodStart = day;
                invoice.periodEnd = c.period.end;
                invoice.lines.push_back(line);
                issued = issuer_.issue(s, a, invoice, day, at);
                SubscriptionRepository(s).attachProration(sub.id, changeId, issued->id);
            }
            sub.planSlug = c.offer.plan.slug;
            sub.planVersion = c.offer.plan.version;
            sub.priceCents = c.offer.priceCents;
            sub.membershipCents = c.offer.price.membershipCents;
            sub.pending.reset();
            AssociationRepository(s).setPlan(a.id, sub.planSlug, at);
        } else {
            sub.pending = PendingChange{changeId,   c.offer.plan.slug,  c.offer.plan.version,
                                        c.interval, c.offer.priceCents, c.offer.price.membershipCents};
        }
        sub.updatedAt = at;
        SubscriptionRepository(s).update(sub);
        const std::string kind = c.upgrade ? "upgrade" : "downgrade";
        SubscriptionRepository(s).recordChange(
            {changeId, sub.id, kind, c.effective, before.planSlug, before.planVersion, before.priceCents,
             c.offer.plan.slug, c.offer.plan.version, c.offer.priceCents, c.interval, actor.label, at});
        Poco::JSON::Object details;
        details.set("kind", kind);
        details.set("plan", c.offer.plan.slug);
        details.set("interval", c.interval);
        details.set("effective_date", c.effective);
        details.set("prorated_cents", c.amountCents);
        AuditLog::record(s, actor, at, "subscription.change", "subscription", sub.id, a.id, details);
        out.subscription = sub;
        out.invoice = issued;
    });
    return out;
}

Subscription BillingService::cancel(const Actor& actor, const std::string& subscriptionId) {
    Subscription sub = authorizedSubscription(actor, subscriptionId, Permission::ManageSubscription);
    onLiveSubscription(sub, [&](Session& s, const Association& a, Subscription& sub, const std::string&,
                                const std::string& at) {
        sub.cancelAt = sub.billedThrough;
        sub.pending.reset();
        sub.updatedAt = at;
        SubscriptionRepository(s).update(sub);
        SubscriptionRepository(s).recordChange({newId("chg"), sub.id, "cancel", *sub.cancelAt, sub.planSlug,
                                                sub.planVersion, sub.priceCents, std::nullopt, std::nullopt,
                                                std::nullopt, std::nullopt, actor.label, at});
        Poco::JSON::Object details;
        details.set("ends_on", *sub.cancelAt);
        AuditLog::record(s, actor, at, "subscription.cancel", "subscription", sub.id, a.id, details);
    });
    return sub;
}

void BillingService::onLiveSubscription(Subscription& sub, const LiveChange& change) {
    if (sub.status != SubscriptionStatus::Active || sub.cancelAt) {
        throw Error(ErrorKind::Conflict, "subscription_ended",
                    "This subscription is ended or cancelled: subscribe again instead.");
    }
    std::lock_guard lock(runMutex_);
    auto s = db_.session();
    Transaction tx = Transaction::durable(s);
    const Association a = *AssociationRepository(s).find(sub.associationId);
    sub = *SubscriptionRepository(s).find(sub.id);
    const std::string day = today();
    const std::string at = nowText();
    RunSummary summary;
    SubscriptionBiller(issuer_, day, at).bring(s, a, sub, day, summary);  // the current period first
    change(s, a, sub, day, at);
    tx.commit();
}

RunSummary BillingService::run(const Actor& actor, const std::optional<std::string>& asOf) {
    associations_.authorizeGlobal(actor, Permission::RecordPayments);
    return bringUpToDate(actor, asOf);
}

RunSummary BillingService::scheduledRun(const std::optional<std::string>& asOf) {
    return bringUpToDate(Actor::system("billing"), asOf);
}

RunSummary BillingService::bringUpToDate(const Actor& actor, const std::optional<std::string>& asOf) {
    const std::string day = today();
    if (asOf && !Calendar::isDate(*asOf)) {
        throw invalidField("as_of", "invalid_date",
                           "as_of is a date written YYYY-MM-DD, not '" + *asOf + "'.");
    }
    if (asOf && *asOf > day) {
        throw invalidField("as_of", "in_future",
                           "as_of cannot be after today (" + day + "): nothing is billed ahead.");
    }
    std::lock_guard lock(runMutex_);
    RunSummary summary;
    summary.asOf = asOf.value_or(day);
    const std::string at = nowText();
    // One connection for the whole run.
    auto s = db_.session();
    // Read with the run lock held, which every change of a subscription takes too: the rows stay
    // as read until the run reaches them.
    std::vector<Subscription> due = SubscriptionRepository(s).due(summary.asOf);
    SubscriptionBiller biller(issuer_, day, at);
    for (auto& sub : due) {
        // One transaction per subscription: a crash keeps what was done and loses nothing else.
        Transaction tx = Transaction::durable(s);
        const auto a = AssociationRepository(s).find(sub.associationId);
        if (!a) {
            continue;
        }
        biller.bring(s, *a, sub, summary.asOf, summary);
        tx.commit();
        ++summary.subscriptions;
    }
    bool queued = false;
    {
        Transaction tx = Transaction::durable(s);
        for (auto& draft : InvoiceRepository(s).draftsToFinalize(day)) {
            issuer_.finalize(s, *AssociationRepository(s).find(draft.associationId), draft, day, at);
            ++summary.finalized;
        }
        Dunning dunning(issuer_, associations_);
        queued |= dunning.run(s, summary.asOf, at, summary);
        for (const auto& id : InvoiceRepository(s).associationsSuspendedFor("unpaid")) {
            queued |= dunning.release(s, *AssociationRepository(s).find(id), summary.asOf, at);
        }
        queued |= SubscriptionGrace(settings_, associations_).run(s, summary.asOf, at, summary);
        Poco::JSON::Object details;
        details.set("as_of", summary.asOf);
        details.set("invoices", summary.invoices);
        details.set("total_cents", summary.totalCents);
        details.set("reminders", summary.reminders);
        details.set("suspended", summary.suspended);
        details.set("unsubscribed", summary.unsubscribed);
        AuditLog::record(s, actor, at, "billing.run", "billing", summary.asOf, std::nullopt, details);
        tx.commit();
    }
    if (queued) {
        jobQueued_();
    }
    return summary;
}

}  // namespace chatiere::manager
