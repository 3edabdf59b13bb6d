#pragma once

#include "store/Invoices.h"
#include "store/Subscriptions.h"

#include <Poco/JSON/Object.h>

#include <cstdint>

namespace chatiere::manager {

// The billing records as the API shows them.
Poco::JSON::Object subscriptionToJson(const Subscription& s);
Poco::JSON::Object invoiceSummaryToJson(const Invoice& invoice);
// Every field and line, with what is paid and due.
Poco::JSON::Object invoiceToJson(const Invoice& invoice, int64_t allocatedCents);

}  // namespace chatiere::manager
