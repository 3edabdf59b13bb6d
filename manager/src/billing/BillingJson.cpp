#include "billing/BillingJson.h"

#include <Poco/JSON/Array.h>

namespace chatiere::manager {

namespace {

Poco::Dynamic::Var orNull(const std::optional<std::string>& v) {
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

Poco::JSON::Array strings(const std::vector<std::string>& items) {
    Poco::JSON::Array out;
    for (const auto& i : items) {
        out.add(i);
    }
    return out;
}

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
    out.set("status", wireName(s.status));
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

Poco::JSON::Object invoiceSummaryToJson(const Invoice& i) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("id", i.id);
    out.set("kind", i.kind);
    out.set("number", orNull(i.number));
    out.set("status", wireName(i.status));
    out.set("total_cents", i.totalInclCents);
    out.set("currency", "EUR");
    out.set("period_start", orNull(i.periodStart));
    out.set("period_end", orNull(i.periodEnd));
    out.set("issue_date", orNull(i.issueDate));
    out.set("due_date", orNull(i.dueDate));
    return out;
}

Poco::JSON::Object invoiceToJson(const Invoice& i, int64_t allocatedCents) {
    Poco::JSON::Object out = invoiceSummaryToJson(i);
    out.set("association_id", i.associationId);
    out.set("subscription_id", orNull(i.subscriptionId));
    out.set("credited_invoice_id", orNull(i.creditedInvoiceId));
    out.set("total_excl_tax_cents", i.totalCents);
    out.set("vat_cents", i.vatCents);
    out.set("paid_cents", allocatedCents);
    out.set("due_cents", i.kind == "invoice" && i.status != InvoiceStatus::Cancelled
                             ? i.totalInclCents - allocatedCents
                             : 0);
    out.set("reason", orNull(i.reason));
    out.set("finalize_on", orNull(i.finalizeOn));
    out.set("created_at", i.createdAt);
    out.set("finalized_at", orNull(i.finalizedAt));
    out.set("paid_at", orNull(i.paidAt));
    Poco::JSON::Object buyer(Poco::JSON_PRESERVE_KEY_ORDER);
    buyer.set("name", i.buyer.name);
    buyer.set("address", strings(i.buyer.addressLines));
    out.set("buyer", buyer);
    Poco::JSON::Array lines;
    for (const auto& l : i.lines) {
        Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
        line.set("kind", l.kind);
        Poco::JSON::Object description;
        description.set("fr", l.descriptionFr);
        description.set("en", l.descriptionEn);
        line.set("description", description);
        line.set("quantity_milli", l.quantityMilli);
        line.set("unit", l.unit);
        line.set("unit_price_cents", l.unitPriceCents);
        line.set("vat_rate_bp", l.vatRateBasisPoints);
        line.set("amount_cents", l.amountCents);
        line.set("period_start", orNull(l.periodStart));
        line.set("period_end", orNull(l.periodEnd));
        lines.add(line);
    }
    out.set("lines", lines);
    return out;
}

}  // namespace chatiere::manager
