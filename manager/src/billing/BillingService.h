#pragma once

#include "billing/BillingRun.h"
#include "billing/InvoiceDocument.h"
#include "billing/InvoiceIssuer.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/provisioning/Clock.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "store/Invoices.h"
#include "store/Subscriptions.h"

#include <Poco/JSON/Object.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// Subscriptions, billing runs, invoices, payments and credit notes: what the API and the CLI call.
// Every change is one transaction with its audit entry; mails go through the outbox.
class BillingService {
public:
    BillingService(Database& db, provisioning::Clock& clock, const Calendar& calendar,
                   const Settings& settings, AssociationService& associations,
                   std::function<void()> jobQueued);

    // {"plan", "interval", "start_date"? (admin only, may be past), "paid_through"? (admin only: the
    // first invoice covers the period that contains it), "price_cents"? (pay-what-you-can)}. A past
    // start without paid_through invoices every period since the start. Ends the association's
    // grace without a subscription: its services lose `no_subscription`.
    Subscription subscribe(const Actor& actor, const std::string& associationId,
                           const Poco::JSON::Object::Ptr& body);
    // What subscribing to `plan` would cost: the first period and its invoice's amount, on the day
    // it is issued (today, or the end of the plan's trial); with the admin's start_date and
    // paid_through, every period invoiced at once (`periods`, `amount_cents` their sum).
    Poco::JSON::Object previewSubscription(const Actor& actor, const std::string& associationId,
                                           const std::string& plan, const std::string& interval,
                                           const std::optional<int64_t>& priceCents,
                                           const std::optional<std::string>& startDate = std::nullopt,
                                           const std::optional<std::string>& paidThrough = std::nullopt);
    std::vector<Subscription> subscriptions(const Actor& actor, const std::string& associationId);
    // What changing to `plan` (and `interval`, default the same) would cost now.
    Poco::JSON::Object preview(const Actor& actor, const std::string& subscriptionId, const std::string& plan,
                               const std::optional<std::string>& interval,
                               const std::optional<int64_t>& priceCents);
    // {"plan", "interval"?, "price_cents"?}: an upgrade at once with a prorated invoice, a downgrade
    // (or a change of interval) at the period's end. Returns {"subscription", "invoice"?}.
    Poco::JSON::Object change(const Actor& actor, const std::string& subscriptionId,
                              const Poco::JSON::Object::Ptr& body);
    // Ends at the end of the current period; the last period's overage on a final invoice.
    Subscription cancel(const Actor& actor, const std::string& subscriptionId);

    // Brings billing up to date as of `asOf` (default: today), then dunning and drafts due.
    RunSummary run(const Actor& actor, const std::optional<std::string>& asOf);
    // The daemon's own run, as of today, in the audit log as "billing".
    RunSummary scheduledRun();

    std::vector<Invoice> invoices(const Actor& actor, const std::optional<std::string>& associationId,
                                  int limit);
    // One invoice with its lines and allocations, and the association's credit balance.
    Poco::JSON::Object invoice(const Actor& actor, const std::string& invoiceId);
    // What the association has paid or been credited beyond its invoices, for the next ones.
    int64_t creditBalance(const Actor& actor, const std::string& associationId);
    // The document: "pdf" or "html", in `language`.
    std::string document(const Actor& actor, const std::string& invoiceId, const std::string& format,
                         const std::string& language);
    Invoice finalizeDraft(const Actor& actor, const std::string& invoiceId);
    // {"amount_cents", "method", "reference"?, "date"?} → the invoice as JSON, with the payment.
    Poco::JSON::Object recordPayment(const Actor& actor, const std::string& invoiceId,
                                     const Poco::JSON::Object::Ptr& body);
    // {"amount_cents"?, "reason"}: the whole remaining amount by default.
    Invoice creditNote(const Actor& actor, const std::string& invoiceId, const Poco::JSON::Object::Ptr& body);
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
    provisioning::Clock& clock_;
    const Calendar& calendar_;
    const Settings& settings_;
    AssociationService& associations_;
    std::function<void()> jobQueued_;
    InvoiceIssuer issuer_;
    std::mutex runMutex_;
};

}  // namespace chatiere::manager
