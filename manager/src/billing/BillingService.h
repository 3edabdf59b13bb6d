#pragma once

#include "billing/BillingRun.h"
#include "billing/InvoiceDocument.h"
#include "billing/InvoiceIssuer.h"
#include "billing/Periods.h"
#include "chatiere/base/Clock.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "store/Invoices.h"
#include "store/Subscriptions.h"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A new subscription: a plan's price of `interval`. `startDate` (admin only, may be past) and
// `paidThrough` (admin only: the first invoice covers the period that contains it) import a
// member; "" for none. `priceCents`: pay-what-you-can.
struct Subscribe {
    std::string plan;
    std::string interval;
    std::string startDate;
    std::string paidThrough;
    std::optional<int64_t> priceCents;
};

// A change of plan (and of interval: "" keeps it; and of price, pay-what-you-can).
struct ChangeSubscription {
    std::string plan;
    std::string interval;
    std::optional<int64_t> priceCents;
};

// A payment received for an invoice; `reference` and `date` ("" for today) optional.
struct RecordPayment {
    std::optional<int64_t> amountCents;
    std::string method;  // transfer | cheque | cash | card | helloasso
    std::string reference;
    std::string date;
};

// A credit note for an invoice: the whole remaining amount without `amountCents`.
struct IssueCreditNote {
    std::optional<int64_t> amountCents;
    std::string reason;
};

// One period invoiced and its amount.
struct PeriodAmount {
    std::string start;
    std::string end;
    int64_t amountCents = 0;
};

// What subscribing to a plan would cost: the first period and its invoice's amount, on the day
// it is issued; with an import's dates, every period invoiced at once (`amountCents` their sum).
struct SubscriptionQuote {
    std::string associationId;
    std::string plan;
    std::string interval;
    int64_t priceCents = 0;
    int64_t membershipCents = 0;
    int64_t newPriceCents = 0;
    std::optional<std::string> trialEnd;
    std::string invoiceDate;
    int64_t amountCents = 0;
    Period period;  // the first one
    std::vector<PeriodAmount> periods;
};

// What changing a subscription would cost now: an upgrade at once, prorated over the `days` left
// of the period's `periodDays`; a downgrade (or a change of interval) at the period's end.
struct ChangeQuote {
    std::string subscriptionId;
    std::string plan;
    std::string interval;
    bool upgrade = false;
    std::string effectiveDate;
    int64_t currentPriceCents = 0;
    int64_t newPriceCents = 0;
    int64_t amountCents = 0;
    Period period;
    int days = 0;
    int periodDays = 0;
};

// A subscription after a change, with the prorated invoice of an upgrade.
struct SubscriptionChanged {
    Subscription subscription;
    std::optional<Invoice> invoice;
};

// One invoice with what was paid of it, and its association's credit balance; after a payment,
// the payment's id.
struct InvoiceDetails {
    Invoice invoice;
    int64_t allocatedCents = 0;
    int64_t creditBalanceCents = 0;
    std::optional<std::string> paymentId;

    // What remains to pay (0 for a credit note or a cancelled invoice).
    int64_t dueCents() const {
        return invoice.kind == "invoice" && invoice.status != InvoiceStatus::Cancelled
                   ? invoice.totalInclCents - allocatedCents
                   : 0;
    }
};

// Subscriptions, billing runs, invoices, payments and credit notes: what the API and the CLI call.
// Every change is one transaction with its audit entry; mails go through the outbox.
class BillingService {
public:
    BillingService(Database& db, base::Clock& clock, const Calendar& calendar, const Settings& settings,
                   AssociationService& associations, std::function<void()> jobQueued);

    // A past start without paid_through invoices every period since the start. Ends the
    // association's grace without a subscription: its services lose `no_subscription`.
    Subscription subscribe(const Actor& actor, const std::string& associationId, const Subscribe& command);
    // What subscribing to `plan` would cost: the first period and its invoice's amount, on the day
    // it is issued (today, or the end of the plan's trial); with the admin's start_date and
    // paid_through, every period invoiced at once (`periods`, `amount_cents` their sum).
    SubscriptionQuote previewSubscription(const Actor& actor, const std::string& associationId,
                                          const std::string& plan, const std::string& interval,
                                          const std::optional<int64_t>& priceCents,
                                          const std::optional<std::string>& startDate = std::nullopt,
                                          const std::optional<std::string>& paidThrough = std::nullopt);
    std::vector<Subscription> subscriptions(const Actor& actor, const std::string& associationId);
    std::vector<Subscription> subscriptions(const AssociationAccess& access);
    // What changing to `plan` (and `interval`, default the same) would cost now.
    ChangeQuote preview(const Actor& actor, const std::string& subscriptionId, const std::string& plan,
                        const std::optional<std::string>& interval, const std::optional<int64_t>& priceCents);
    // An upgrade at once with a prorated invoice, a downgrade (or a change of interval) at the
    // period's end.
    SubscriptionChanged change(const Actor& actor, const std::string& subscriptionId,
                               const ChangeSubscription& command);
    // 404 for a subscription or an invoice the caller cannot see, 403 when it may not do `permission`
    // (handlers check before they read a command's fields).
    void authorizeSubscription(const Actor& actor, const std::string& subscriptionId, Permission permission) {
        authorizedSubscription(actor, subscriptionId, permission);
    }
    void authorizeInvoice(const Actor& actor, const std::string& invoiceId, Permission permission) {
        authorizedInvoice(actor, invoiceId, permission);
    }
    // Ends at the end of the current period; the last period's overage on a final invoice.
    Subscription cancel(const Actor& actor, const std::string& subscriptionId);

    // Brings billing up to date as of `asOf` (default: today), then dunning and drafts due.
    RunSummary run(const Actor& actor, const std::optional<std::string>& asOf);
    // The daemon's own run, as of today (or of an earlier day), in the audit log as "billing".
    RunSummary scheduledRun(const std::optional<std::string>& asOf = std::nullopt);

    std::vector<Invoice> invoices(const Actor& actor, const std::optional<std::string>& associationId,
                                  int limit);
    // The association's invoices (its drafts to the staff only).
    std::vector<Invoice> invoices(const AssociationAccess& access, int limit);
    // One invoice with its lines and allocations, and the association's credit balance.
    InvoiceDetails invoice(const Actor& actor, const std::string& invoiceId);
    // What the association has paid or been credited beyond its invoices, for the next ones.
    int64_t creditBalance(const Actor& actor, const std::string& associationId);
    int64_t creditBalance(const AssociationAccess& access);
    // The document: "pdf" or "html", in `language`.
    std::string document(const Actor& actor, const std::string& invoiceId, const std::string& format,
                         const std::string& language);
    Invoice finalizeDraft(const Actor& actor, const std::string& invoiceId);
    // The invoice after the payment, with the payment's id.
    InvoiceDetails recordPayment(const Actor& actor, const std::string& invoiceId,
                                 const RecordPayment& command);
    Invoice creditNote(const Actor& actor, const std::string& invoiceId, const IssueCreditNote& command);
    // CSV of the invoices and credit notes issued, or the payments received, in [from, to).
    std::string exportCsv(const Actor& actor, const std::string& what, const std::string& from,
                          const std::string& to);

private:
    std::string today() const;
    RunSummary bringUpToDate(const Actor& actor, const std::optional<std::string>& asOf);
    std::string nowText() const;
    Subscription authorizedSubscription(const Actor& actor, const std::string& id, Permission permission);
    Invoice authorizedInvoice(const Actor& actor, const std::string& id, Permission permission);
    // Runs `change` in one transaction, the run lock held, once the subscription's billing is up to
    // date as of today; an ended or cancelled subscription is refused (409).
    using LiveChange = std::function<void(Session&, const Association&, Subscription&,
                                          const std::string& today, const std::string& now)>;
    void onLiveSubscription(Subscription& sub, const LiveChange& change);
    InvoiceDocument documentOf(const Invoice& invoice, const std::string& language);

    Database& db_;
    base::Clock& clock_;
    const Calendar& calendar_;
    const Settings& settings_;
    AssociationService& associations_;
    std::function<void()> jobQueued_;
    InvoiceIssuer issuer_;
    std::mutex runMutex_;
};

}  // namespace chatiere::manager
