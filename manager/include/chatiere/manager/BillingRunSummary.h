#pragma once

#include <cstdint>
#include <string>

namespace chatiere::manager {

// What a billing run did: the billing service's answer, and Daemon::runBilling's.
struct BillingRunSummary {
    std::string asOf;
    int subscriptions = 0;   // looked at
    int invoices = 0;        // issued (finalized or kept as drafts)
    int64_t totalCents = 0;  // what they ask for
    int finalized = 0;       // drafts finalized at the end of their review
    int reminders = 0;       // reminder mails
    int suspended = 0;       // associations whose services got the `unpaid` reason
    int ended = 0;           // subscriptions that ended (cancelled at period end)
    int unsubscribed = 0;    // associations whose services got `no_subscription` (grace over)
};

}  // namespace chatiere::manager
