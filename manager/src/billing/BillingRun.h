#pragma once

#include "billing/InvoiceIssuer.h"
#include "chatiere/manager/BillingRunSummary.h"
#include "chatiere/manager/Calendar.h"
#include "store/Plans.h"
#include "store/Subscriptions.h"

#include "chatiere/manager/Database.h"

#include <functional>
#include <map>
#include <string>

namespace chatiere::manager {

// What a billing run did (public: Daemon::runBilling answers it to tests and benches).
using RunSummary = BillingRunSummary;

// Brings one subscription's billing up to date as of a day, in the caller's transaction: each
// period that started on or before it has its fee invoiced (in advance) with the previous period's
// overage (in arrears); a pending downgrade or a cancellation takes effect at its period end. Every
// billable event is a row of billing_events whose primary key refuses it twice, so a run repeated
// or resumed after a crash never bills twice and never skips.
class SubscriptionBiller {
public:
    SubscriptionBiller(InvoiceIssuer& issuer, const std::string& today, const std::string& at)
        : issuer_(issuer), today_(today), at_(at) {}

    void bring(Session& s, const Association& a, Subscription& sub, const std::string& asOf,
               RunSummary& summary);
    // The overage lines of [start, end) under `plan`: stored data (its average over the period)
    // and transfer (its total), each where the plan prices it and something is over.
    static std::vector<InvoiceLine> overageLines(Session& s, const Subscription& sub, const Plan& plan,
                                                 const std::string& start, const std::string& end);
    // The fee and membership lines of a period.
    static std::vector<InvoiceLine> feeLines(const Subscription& sub, const Plan& plan,
                                             const std::string& seller, const std::string& start,
                                             const std::string& end);

private:
    // Inserts the event; false when it was there already.
    bool claim(Session& s, const Subscription& sub, const std::string& periodStart, const std::string& kind,
               const std::string& ref);
    void attach(Session& s, const Subscription& sub, const std::string& periodStart, const std::string& kind,
                const std::string& ref, const std::string& invoiceId);
    std::optional<std::string> previousPeriodStart(Session& s, const Subscription& sub,
                                                   const std::string& before);
    // A version of a plan, read once per biller (a version never changes once written).
    const Plan& planOf(Session& s, const std::string& slug, int version);

    InvoiceIssuer& issuer_;
    std::map<std::pair<std::string, int>, Plan> plans_;
    std::string today_;
    std::string at_;
};

// Dunning, as of a day: reminders at each configured day after the due date (each mailed once), the
// `unpaid` suspension reason on the association's services past billing.suspend_days, removed
// (that reason only) as soon as nothing of the association is overdue that long.
class Dunning {
public:
    Dunning(InvoiceIssuer& issuer, AssociationService& associations)
        : issuer_(issuer), associations_(associations) {}
    // Returns whether a provisioning job was queued.
    bool run(Session& s, const std::string& date, const std::string& at, RunSummary& summary);
    // Removes `unpaid` from the association's services when nothing is overdue past the delay.
    bool release(Session& s, const Association& a, const std::string& date, const std::string& at);

private:
    bool owesPastDelay(Session& s, const std::string& associationId, const std::string& date);
    bool setUnpaid(Session& s, const std::string& associationId, bool add, const std::string& at);
    InvoiceIssuer& issuer_;
    AssociationService& associations_;
};

}  // namespace chatiere::manager
