#pragma once

#include "billing/Periods.h"

#include "chatiere/manager/Database.h"

#include <string>

namespace chatiere::manager {

// The usage period of an association on the local day `date` ("YYYY-MM-DD"): the period of its
// active subscription that contains that day (from the anchor day, as billing counts it; before
// the anchor — a trial, a start to come — from the start to the anchor), or the calendar month
// without a subscription. What the usage API, the dashboard, the metrics' period ratios, the quota
// ladder and the overage all count over, so that they agree.
Period usagePeriod(Session& session, const std::string& associationId, const std::string& date);

}  // namespace chatiere::manager
