#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/templates/Catalogue.h"
#include "domain/AssociationService.h"
#include "monitoring/QuotaDecision.h"
#include "store/Plans.h"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace chatiere::manager {

struct LadderSettings {
    std::vector<int> includedPercents{80, 100};
    std::vector<int> limitPercents{90};
    std::chrono::seconds grace{72 * 3600};  // at the limit this long → websites suspended
    std::string publicUrl;                  // the mails link to the association's space there
    std::string timeZone = "Europe/Paris";  // what a day is, for the usage period
    int hysteresisPercent = 95;             // a rung is left only under this % of it (no mail storm)
};

struct LadderReport {
    int notices = 0;   // rungs reached, each mailed
    int enforced = 0;  // associations whose websites got the `quota` reason
    int released = 0;  // associations whose `quota` reason was removed
};

// The gentle enforcement ladder, evaluated after each usage collection: each association's usage
// against its plan's quotas. Reaching a rung mails the managers once (a rung is reached again only
// after usage fell 5 % under it); stored data at the limit for the grace period adds the `quota`
// suspension reason to the association's website services (mail keeps running), removed as soon as
// usage is back under the limit, the plan allows more, or the admin granted an exception. The rungs
// are per usage period (usagePeriod(): the subscription's, else the calendar month): a new period
// starts the ladder again, so a rung still reached is mailed once in each period; enforcement
// does not wait for a period to end or restart with one. Every
// step is audited, mailed through the outbox and, at the limit, an alert for the admin.
class QuotaLadder {
public:
    QuotaLadder(Database& db, base::Clock& clock, const templates::Catalogue& catalogue,
                AssociationService& associations, LadderSettings settings, std::function<void()> jobQueued);

    LadderReport evaluate();

private:
    Database& db_;
    base::Clock& clock_;
    const templates::Catalogue& catalogue_;
    AssociationService& associations_;
    LadderSettings settings_;
    Calendar calendar_;
    std::function<void()> jobQueued_;
};

}  // namespace chatiere::manager
