#include "billing/UsagePeriod.h"

#include "chatiere/manager/Calendar.h"
#include "store/Subscriptions.h"

namespace chatiere::manager {

Period usagePeriod(Session& session, const std::string& associationId, const std::string& date) {
    const auto sub = SubscriptionRepository(session).activeOf(associationId);
    if (!sub) {
        return {Calendar::monthStart(date), Calendar::nextMonthStart(date)};
    }
    if (date < sub->anchorDate) {
        if (sub->startDate <= date && sub->startDate < sub->anchorDate) {
            return {sub->startDate, sub->anchorDate};
        }
        return {Calendar::monthStart(date), Calendar::nextMonthStart(date)};
    }
    return periodContaining(sub->anchorDate, intervalFromString(sub->interval), date);
}

}  // namespace chatiere::manager
