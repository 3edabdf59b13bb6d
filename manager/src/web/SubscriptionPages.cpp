// The association's subscription: what it has (plan, price, current period, a change waiting for
// the period's end, a cancellation), the offers its kind may take, and — before anything is
// confirmed — what a choice costs: a new subscription's first invoice, an upgrade's prorated
// amount billed now, or the date a downgrade takes effect. Then subscribe, change or cancel.

#include "billing/Money.h"
#include "domain/Access.h"
#include "web/Web.h"

#include "billing/Periods.h"
#include "domain/CommandFields.h"

#include <Poco/NumberParser.h>

#include <algorithm>

namespace chatiere::manager::web {

namespace {

// A choice of the form: a plan, an interval, and the price the subscriber chose (pay-what-you-can).
struct Choice {
    std::string plan;
    std::string interval;
    std::optional<int64_t> priceCents;
};

std::string planName(const Plan& plan, const std::string& lang) {
    return lang == "en" ? plan.name.en : plan.name.fr;
}

// The offer field is "PLAN:INTERVAL"; the price, in euros, only counts for pay-what-you-can plans.
// Throws a Validation error naming the field.
Choice choiceOf(const std::string& offer, const std::string& price, Pages& pages, const std::string& kind) {
    const auto colon = offer.find(':');
    if (colon == std::string::npos) {
        throw Error(ErrorKind::Validation, "invalid_fields", "Choose an offer.",
                    {{"offer", "missing", "Choose an offer."}});
    }
    Choice c{offer.substr(0, colon), offer.substr(colon + 1), std::nullopt};
    const auto plans = pages.app().plans.list();
    const auto plan =
        std::find_if(plans.begin(), plans.end(), [&](const Plan& p) { return p.slug == c.plan; });
    const PlanPrice* p = plan == plans.end() ? nullptr : findPrice(*plan, c.interval, kind);
    if (p && p->floorCents && !trim(price).empty()) {
        c.priceCents = parseEuros(price);
        if (!c.priceCents) {
            throw Error(ErrorKind::Validation, "invalid_fields", "An amount in euros.",
                        {{"price_cents", "invalid_amount", "An amount in euros."}});
        }
    }
    return c;
}

std::optional<Subscription> activeSubscription(Pages& pages, const Actor& actor,
                                               const std::string& associationId) {
    for (const auto& sub : pages.app().billing.subscriptions(actor, associationId)) {
        if (sub.status == SubscriptionStatus::Active) {
            return sub;
        }
    }
    return std::nullopt;
}

std::string dateRange(const Period& period, const std::string& lang) {
    return formatDate(period.start, lang) + " – " + formatDate(Calendar::addDays(period.end, -1), lang);
}

mstch::map currentView(Pages& pages, const Subscription& sub, const std::string& today,
                       const std::string& lang) {
    const auto& words = pages.words();
    mstch::map view;
    view.emplace("plan", planName(pages.app().plans.get(sub.planSlug), lang));
    view.emplace("price", formatMoney(sub.priceCents + sub.membershipCents, lang));
    view.emplace("interval", words.text(lang, "plan_price_" + sub.interval));
    if (sub.trialEnd && today < *sub.trialEnd) {
        view.emplace("trial_end", formatDate(*sub.trialEnd, lang));
    } else {
        const Period p = periodContaining(sub.anchorDate, intervalFromString(sub.interval), today);
        view.emplace("period",
                     formatDate(p.start, lang) + " – " + formatDate(Calendar::addDays(p.end, -1), lang));
        view.emplace("next_invoice", formatDate(p.end, lang));
    }
    if (sub.pending) {
        mstch::map pending;
        pending.emplace("plan", planName(pages.app().plans.get(sub.pending->plan), lang));
        pending.emplace("price", formatMoney(sub.pending->priceCents + sub.pending->membershipCents, lang));
        pending.emplace("interval", words.text(lang, "plan_price_" + sub.pending->interval));
        const Period p = periodContaining(sub.anchorDate, intervalFromString(sub.interval),
                                          std::max(today, sub.anchorDate));
        pending.emplace("date", formatDate(p.end, lang));
        view.emplace("pending", std::move(pending));
    }
    if (sub.cancelAt) {
        view.emplace("cancel_at", formatDate(*sub.cancelAt, lang));
    }
    return view;
}

// What the choice costs, from the same previews as the API's.
mstch::map previewView(Pages& pages, const Actor& actor, const std::string& associationId,
                       const std::optional<Subscription>& sub, const Choice& c, const std::string& lang) {
    auto& billing = pages.app().billing;
    const auto& words = pages.words();
    mstch::map view;
    if (!sub) {
        const SubscriptionQuote q =
            billing.previewSubscription(actor, associationId, c.plan, c.interval, c.priceCents);
        view.emplace("price", formatMoney(q.newPriceCents, lang));
        view.emplace("interval", words.text(lang, "plan_price_" + q.interval));
        view.emplace("explanation", words.text(lang, "sub_preview_new"));
        view.emplace("due_date", formatDate(q.invoiceDate, lang));
        view.emplace("due", formatMoney(q.amountCents, lang));
        view.emplace("due_period", dateRange(q.period, lang));
        if (q.trialEnd) {
            view.emplace("trial_end", formatDate(*q.trialEnd, lang));
        }
    } else {
        const ChangeQuote q = billing.preview(actor, sub->id, c.plan, c.interval, c.priceCents);
        view.emplace("price", formatMoney(q.newPriceCents, lang));
        view.emplace("interval", words.text(lang, "plan_price_" + q.interval));
        view.emplace("explanation",
                     words.text(lang, std::string("sub_preview_") + (q.upgrade ? "upgrade" : "downgrade")));
        if (q.upgrade) {
            view.emplace("due_date", formatDate(q.effectiveDate, lang));
            view.emplace("due", formatMoney(q.amountCents, lang));
            view.emplace("due_period", formatDate(q.effectiveDate, lang) + " – " +
                                           formatDate(Calendar::addDays(q.period.end, -1), lang));
        } else {
            view.emplace("effective", formatDate(q.effectiveDate, lang));
        }
    }
    // Named once the preview has refused an unknown plan (400 by its field, not a 404).
    view.emplace("plan", planName(pages.app().plans.get(c.plan), lang));
    view.emplace("offer", c.plan + ":" + c.interval);
    view.emplace("price_cents", c.priceCents ? std::to_string(*c.priceCents) : std::string());
    return view;
}

void renderSubscription(Pages& pages, http::Request& r, const Actor& actor, const std::string& associationId,
                        int status, mstch::map data, const std::optional<Choice>& chosen) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    auto& api = pages.app();
    const Association a = api.associations.authorize(actor, associationId, Permission::ViewBilling);
    const bool canManage =
        decide(actor.staffRole, pages.roleIn(actor, a.id), Permission::ManageSubscription) == Decision::Allow;
    const std::string today = pages.today();
    const auto current = activeSubscription(pages, actor, a.id);
    data.emplace("id", a.id);
    data.emplace("name", a.name);
    if (current) {
        data.emplace("subscription", currentView(pages, *current, today, lang));
    }
    data.emplace("can_manage",
                 canManage && a.status == AssociationStatus::Active && !(current && current->cancelAt));
    data.emplace("can_cancel", canManage && current && !current->cancelAt);
    mstch::array offers;
    bool payWhatYouCan = false;
    bool preselected = false;
    for (const auto& plan : api.plans.list()) {
        for (const auto& price : plan.prices) {
            if (price.kind != a.kind) {
                continue;
            }
            const std::string value = plan.slug + ":" + price.interval;
            mstch::map offer;
            offer.emplace("value", value);
            offer.emplace("dom_id", "offer-" + plan.slug + "-" + price.interval);
            offer.emplace("plan", planName(plan, lang));
            offer.emplace("price", formatMoney(price.amountCents + price.membershipCents, lang));
            offer.emplace("interval", words.text(lang, "plan_price_" + price.interval));
            if (price.floorCents) {
                payWhatYouCan = true;
                offer.emplace("floor", formatMoney(*price.floorCents + price.membershipCents, lang));
            }
            offer.emplace("current",
                          current && current->planSlug == plan.slug && current->interval == price.interval);
            // The choice being previewed; or, for a first subscription, the plan chosen at sign-up.
            const bool checked = chosen ? chosen->plan == plan.slug && chosen->interval == price.interval
                                        : !current && !preselected && a.planSlug == plan.slug;
            preselected = preselected || checked;
            offer.emplace("checked", checked);
            offers.push_back(std::move(offer));
        }
    }
    data.emplace("has_offers", !offers.empty());
    data.emplace("offers", std::move(offers));
    data.emplace("pay_what_you_can", payWhatYouCan);
    if (chosen && status == 200 && canManage) {
        data.emplace("preview", previewView(pages, actor, a.id, current, *chosen, lang));
    }
    pages.send(r, status, "subscription", "sub_title", std::move(data));
}

// Shows the page again with the error by its field (the offer, or the price).
void renderRefusal(Pages& pages, http::Request& r, const Actor& actor, const std::string& associationId,
                   const Error& e, const std::string& price) {
    if (e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Conflict) {
        throw e;
    }
    const std::string lang = pages.language(r);
    mstch::map data;
    data.emplace("new_price", price);
    bool placed = false;
    for (const auto& f : e.fields()) {
        if (f.field == "price_cents") {
            data.emplace("price_error", pages.words().error(lang, f.code));
            placed = true;
        }
    }
    if (!placed) {
        const std::string code = e.fields().empty() ? e.code() : e.fields().front().code;
        data.emplace("offer_error", pages.words().error(lang, code));
    }
    renderSubscription(pages, r, actor, associationId, httpStatusOf(e.kind()), std::move(data), std::nullopt);
}

}  // namespace

void registerSubscriptionPages(http::Router& router, Pages& pages) {
    // ?offer=PLAN:INTERVAL[&price=EUROS] shows what that choice costs, with the button to confirm it.
    router.add("GET", "/associations/{id}/subscription", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        const std::string id = r.param("id");
        mstch::map data;
        const std::string lang = pages.language(r);
        if (const auto done = r.query("done");
            done == "subscribed" || done == "changed" || done == "cancelled") {
            data.emplace("notice", pages.words().text(lang, "sub_done_" + *done));
        }
        const auto offer = r.query("offer");
        if (!offer) {
            renderSubscription(pages, r, *actor, id, 200, std::move(data), std::nullopt);
            return;
        }
        const std::string price = r.query("price").value_or("");
        try {
            const Association a = pages.app().associations.authorize(*actor, id, Permission::ViewBilling);
            const Choice c = choiceOf(*offer, price, pages, a.kind);
            data.emplace("new_price", price);
            renderSubscription(pages, r, *actor, id, 200, std::move(data), c);
        } catch (const Error& e) {
            renderRefusal(pages, r, *actor, id, e, price);
        }
    }));
    router.add("POST", "/associations/{id}/subscription", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const Actor& actor = post->actor;
        const auto& form = post->form;
        const std::string id = r.param("id");
        auto& billing = pages.app().billing;
        try {
            const Association a = pages.app().associations.authorize(actor, id, Permission::ViewBilling);
            const auto offer = form.get("offer", "");
            const auto colon = offer.find(':');
            const std::string plan = offer.substr(0, colon);
            const std::string interval = colon == std::string::npos ? "" : offer.substr(colon + 1);
            std::optional<int64_t> priceCents;
            if (const std::string cents = form.get("price_cents", ""); !cents.empty()) {
                Poco::Int64 value = 0;
                if (!Poco::NumberParser::tryParse64(cents, value)) {
                    throw Error(ErrorKind::Validation, "invalid_fields", "An amount in cents.",
                                {{"price_cents", "invalid_amount", "An amount in cents."}});
                }
                priceCents = value;
            }
            const auto current = activeSubscription(pages, actor, a.id);
            if (current) {
                billing.change(actor, current->id, ChangeSubscription{plan, interval, priceCents});
            } else {
                Subscribe command;
                command.plan = plan;
                command.interval = interval;
                command.priceCents = priceCents;
                billing.subscribe(actor, a.id, command);
            }
            pages.redirect(
                r, "/associations/" + id + "/subscription?done=" + (current ? "changed" : "subscribed"));
        } catch (const Error& e) {
            renderRefusal(pages, r, actor, id, e, "");
        }
    }));
    router.add("POST", "/associations/{id}/subscription/cancel", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        const auto current = activeSubscription(pages, post->actor, id);
        if (!current) {
            throw Error(ErrorKind::Conflict, "no_subscription",
                        "The association has no subscription to cancel.");
        }
        pages.app().billing.cancel(post->actor, current->id);
        pages.redirect(r, "/associations/" + id + "/subscription?done=cancelled");
    }));
}

}  // namespace chatiere::manager::web
