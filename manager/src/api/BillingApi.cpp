#include "api/Api.h"
#include "api/Commands.h"
#include "billing/InvoiceDocument.h"

#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>

namespace chatiere::manager::api {

namespace {

Poco::JSON::Object summaryJson(const RunSummary& s) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("as_of", s.asOf);
    o.set("subscriptions", s.subscriptions);
    o.set("invoices", s.invoices);
    o.set("total_cents", s.totalCents);
    o.set("currency", "EUR");
    o.set("drafts_finalized", s.finalized);
    o.set("reminders", s.reminders);
    o.set("suspended", s.suspended);
    o.set("ended", s.ended);
    o.set("unsubscribed", s.unsubscribed);
    return o;
}

// An optional JSON body: none (or empty) is an empty object.
Poco::JSON::Object::Ptr optionalBody(http::Request& r) {
    if (r.header("Content-Length").value_or("0") == "0" && !r.header("Transfer-Encoding")) {
        return new Poco::JSON::Object;
    }
    return r.jsonBody();
}

std::optional<int64_t> priceQuery(http::Request& r) {
    const auto text = r.query("price_cents");
    if (!text) {
        return std::nullopt;
    }
    Poco::Int64 value = 0;
    if (!Poco::NumberParser::tryParse64(*text, value)) {
        throw Error(ErrorKind::Validation, "invalid_fields", "price_cents must be a whole number of cents.",
                    {{"price_cents", "invalid_amount", "A whole number of cents."}});
    }
    return value;
}

Poco::JSON::Object periodJson(const Period& p) {
    Poco::JSON::Object period;
    period.set("start", p.start);
    period.set("end", p.end);
    return period;
}

Poco::JSON::Object quoteJson(const SubscriptionQuote& q) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("association_id", q.associationId);
    out.set("plan", q.plan);
    out.set("interval", q.interval);
    out.set("kind", "new");
    out.set("price_cents", q.priceCents);
    out.set("membership_cents", q.membershipCents);
    out.set("new_price_cents", q.newPriceCents);
    if (q.trialEnd) {
        out.set("trial_end", *q.trialEnd);
    }
    out.set("invoice_date", q.invoiceDate);
    out.set("amount_cents", q.amountCents);
    out.set("currency", "EUR");
    out.set("period", periodJson(q.period));
    Poco::JSON::Array invoiced;
    for (const auto& p : q.periods) {
        Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
        item.set("start", p.start);
        item.set("end", p.end);
        item.set("amount_cents", p.amountCents);
        invoiced.add(item);
    }
    out.set("periods", invoiced);
    return out;
}

Poco::JSON::Object changeQuoteJson(const ChangeQuote& q) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("subscription_id", q.subscriptionId);
    out.set("plan", q.plan);
    out.set("interval", q.interval);
    out.set("kind", q.upgrade ? "upgrade" : "downgrade");
    out.set("effective_date", q.effectiveDate);
    out.set("current_price_cents", q.currentPriceCents);
    out.set("new_price_cents", q.newPriceCents);
    out.set("amount_cents", q.amountCents);
    out.set("currency", "EUR");
    out.set("period", periodJson(q.period));
    out.set("days", q.days);
    out.set("period_days", q.periodDays);
    return out;
}

Poco::JSON::Object changedJson(const SubscriptionChanged& c) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("subscription", subscriptionToJson(c.subscription));
    out.set("invoice",
            c.invoice ? Poco::Dynamic::Var(invoiceSummaryToJson(*c.invoice)) : Poco::Dynamic::Var());
    return out;
}

}  // namespace

Poco::JSON::Object invoiceDetailsJson(const InvoiceDetails& d) {
    Poco::JSON::Object out = invoiceToJson(d.invoice, d.allocatedCents);
    if (d.paymentId) {
        out.set("payment_id", *d.paymentId);
    }
    out.set("credit_balance_cents", d.creditBalanceCents);
    return out;
}

void registerBillingRoutes(http::Router& router, ApiContext& ctx) {
    router.add("POST", "/api/v1/associations/{id}/subscriptions", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = r.jsonBody();
        // 404 or 403 before the fields are looked at.
        ctx.associations.authorize(actor, r.param("id"), Permission::ManageSubscription);
        const Subscribe command = parseSubscribe(body);
        r.sendJson(201, subscriptionToJson(ctx.billing.subscribe(actor, r.param("id"), command)));
    });
    router.add("GET", "/api/v1/associations/{id}/subscriptions", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array items;
        for (const auto& s : ctx.billing.subscriptions(actor, r.param("id"))) {
            items.add(subscriptionToJson(s));
        }
        Poco::JSON::Object out;
        out.set("subscriptions", items);
        r.sendJson(200, out);
    });
    router.add("GET", "/api/v1/associations/{id}/subscriptions/preview", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto plan = r.query("plan");
        const auto interval = r.query("interval");
        if (!plan || !interval) {
            FieldErrors errors;
            for (const auto& [name, value] : {std::pair{"plan", plan}, std::pair{"interval", interval}}) {
                if (!value) {
                    errors.add(name, "missing", "This parameter is required.");
                }
            }
            errors.throwIfAny();
        }
        r.sendJson(200, quoteJson(ctx.billing.previewSubscription(actor, r.param("id"), *plan, *interval,
                                                                  priceQuery(r), r.query("start_date"),
                                                                  r.query("paid_through"))));
    });
    router.add("GET", "/api/v1/subscriptions/{id}/preview", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto plan = r.query("plan");
        if (!plan) {
            throw Error(ErrorKind::Validation, "invalid_fields", "Name the plan to preview: ?plan=SLUG.",
                        {{"plan", "missing", "This parameter is required."}});
        }
        r.sendJson(200, changeQuoteJson(ctx.billing.preview(actor, r.param("id"), *plan, r.query("interval"),
                                                            priceQuery(r))));
    });
    router.add("POST", "/api/v1/subscriptions/{id}/change", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = r.jsonBody();
        ctx.billing.authorizeSubscription(actor, r.param("id"), Permission::ManageSubscription);
        const ChangeSubscription command = parseChangeSubscription(body);
        r.sendJson(200, changedJson(ctx.billing.change(actor, r.param("id"), command)));
    });
    router.add("POST", "/api/v1/subscriptions/{id}/cancel", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        optionalBody(r);
        r.sendJson(200, subscriptionToJson(ctx.billing.cancel(actor, r.param("id"))));
    });
    router.add("POST", "/api/v1/billing/run", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = optionalBody(r);
        std::optional<std::string> asOf;
        if (body->has("as_of") && !body->isNull("as_of")) {
            if (!body->get("as_of").isString()) {
                throw Error(ErrorKind::Validation, "invalid_fields", "as_of is a date written YYYY-MM-DD.",
                            {{"as_of", "wrong_type", "Expected a string."}});
            }
            asOf = body->getValue<std::string>("as_of");
        }
        r.sendJson(200, summaryJson(ctx.billing.run(actor, asOf)));
    });
    router.add("GET", "/api/v1/billing/export", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const std::string what = r.query("what").value_or("invoices");
        const std::string csv =
            ctx.billing.exportCsv(actor, what, r.query("from").value_or(""), r.query("to").value_or(""));
        r.sendText(200, "text/csv; charset=utf-8", csv);
    });
    router.add("GET", "/api/v1/invoices", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Page page = pageOf(r);
        Poco::JSON::Array items;
        for (const auto& i : ctx.billing.invoices(actor, r.query("association"), page.limit)) {
            items.add(invoiceSummaryToJson(i));
        }
        Poco::JSON::Object out;
        out.set("invoices", items);
        if (const auto association = r.query("association")) {
            out.set("credit_balance_cents", ctx.billing.creditBalance(actor, *association));
        }
        r.sendJson(200, out);
    });
    router.add("GET", "/api/v1/invoices/{id}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, invoiceDetailsJson(ctx.billing.invoice(actor, r.param("id"))));
    });
    router.add("GET", "/api/v1/invoices/{id}/pdf", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const std::string pdf = ctx.billing.document(actor, r.param("id"), "pdf", languageOf(r));
        // Saved under its number (a draft, which has none yet, under its id).
        const auto number = ctx.billing.invoice(actor, r.param("id")).invoice.number;
        r.response().set("Content-Disposition",
                         "attachment; filename=\"" + number.value_or(r.param("id")) + ".pdf\"");
        r.sendText(200, "application/pdf", pdf);
    });
    router.add("GET", "/api/v1/invoices/{id}/html", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const std::string html = ctx.billing.document(actor, r.param("id"), "html", languageOf(r));
        // The pages' policy, with the invoice's own <style> let through by its hash.
        http::addPageSecurityHeaders(r.response(), {invoiceHtmlStyle()});
        r.sendText(200, "text/html; charset=utf-8", html);
    });
    router.add("POST", "/api/v1/invoices/{id}/finalize", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        optionalBody(r);
        const Invoice i = ctx.billing.finalizeDraft(actor, r.param("id"));
        r.sendJson(200, invoiceSummaryToJson(i));
    });
    router.add("POST", "/api/v1/invoices/{id}/payments", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = r.jsonBody();
        ctx.billing.authorizeInvoice(actor, r.param("id"), Permission::RecordPayments);
        const RecordPayment command = parseRecordPayment(body);
        r.sendJson(201, invoiceDetailsJson(ctx.billing.recordPayment(actor, r.param("id"), command)));
    });
    router.add("POST", "/api/v1/invoices/{id}/credit-notes", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = optionalBody(r);
        ctx.billing.authorizeInvoice(actor, r.param("id"), Permission::RecordPayments);
        const Invoice note = ctx.billing.creditNote(actor, r.param("id"), parseIssueCreditNote(body));
        r.sendJson(201, invoiceSummaryToJson(note));
    });
}

}  // namespace chatiere::manager::api
