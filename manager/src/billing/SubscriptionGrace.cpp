#include "billing/SubscriptionGrace.h"

#include "billing/Money.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Error.h"
#include "domain/AuditLog.h"
#include "hosting/ServiceManager.h"
#include "store/Plans.h"
#include "store/Subscriptions.h"

#include <set>

namespace chatiere::manager {

namespace {

constexpr const char* kReason = "no_subscription";
constexpr int kReminderDaysBefore = 3;

bool live(const Service& service) {
    return service.state != ServiceState::Deleting && service.state != ServiceState::Deleted;
}

}  // namespace

bool SubscriptionGrace::onFreePlan(Session& s, const Association& a) {
    if (!a.planSlug) {
        return false;
    }
    const auto plan = PlanRepository(s).find(*a.planSlug);
    return plan && plan->free;
}

bool SubscriptionGrace::cover(Session& s, const std::string& associationId, const std::string& at) {
    SubscriptionRepository(s).deleteGrace(associationId);
    bool queued = false;
    for (auto& service : ServiceRepository(s).ofAssociation(associationId)) {
        if (live(service) && service.suspendedFor.count(kReason)) {
            queued |= ServiceManager::changeReason(s, Actor::system("billing"), service, kReason, false, at);
        }
    }
    return queued;
}

bool SubscriptionGrace::run(Session& s, const std::string& date, const std::string& at, RunSummary& summary) {
    // Every association that has services, a grace under way, or services stopped for this reason.
    // (Those with live services all covered by an active subscription have nothing to do.)
    bool queued = false;
    for (const auto& id : SubscriptionRepository(s).graceCandidates(kReason)) {
        const auto a = AssociationRepository(s).find(id);
        if (a) {
            queued |= pass(s, *a, date, at, summary);
        }
    }
    return queued;
}

bool SubscriptionGrace::pass(Session& s, const Association& a, const std::string& date, const std::string& at,
                             RunSummary& summary) {
    SubscriptionRepository repo(s);
    if (repo.activeOf(a.id) || onFreePlan(s, a)) {
        return cover(s, a.id, at);
    }
    std::vector<Service> services;
    for (auto& service : ServiceRepository(s).ofAssociation(a.id)) {
        if (live(service)) {
            services.push_back(service);
        }
    }
    if (services.empty()) {
        repo.deleteGrace(a.id);  // nothing runs unpaid: nothing to wait for
        return false;
    }
    auto grace = repo.findGrace(a.id);
    if (!grace || !grace->since) {
        if (!grace) {
            grace = SubscriptionGraceRow{};
            repo.startGrace(a.id, date, at);
        } else {
            repo.setGraceSince(a.id, date);
        }
        grace->since = date;
        Poco::JSON::Object details;
        details.set("since", date);
        details.set("grace_days", settings_.billing.unsubscribedGraceDays);
        AuditLog::record(s, Actor::system("billing"), at, "subscription.grace_start", "association", a.id,
                         a.id, details);
    }
    const std::string ends = Calendar::addDays(*grace->since, settings_.billing.unsubscribedGraceDays);
    const std::map<std::string, std::string> vars = {
        {"ends_fr", formatDate(ends, "fr")},
        {"ends_en", formatDate(ends, "en")},
        {"grace_days", std::to_string(settings_.billing.unsubscribedGraceDays)},
        {"link", settings_.publicUrl + "/associations/" + a.id + "/subscription"}};
    bool mailed = false;
    if (!grace->startMailed && date < ends) {
        associations_.notifyManagers(s, a, "unsubscribed_grace", vars);
        repo.markGraceStartMailed(a.id);
        mailed = true;
    } else if (!grace->reminderMailed && date >= Calendar::addDays(ends, -kReminderDaysBefore) &&
               date < ends) {
        associations_.notifyManagers(s, a, "unsubscribed_reminder", vars);
        repo.markGraceReminderMailed(a.id);
        mailed = true;
    }
    if (mailed) {
        associations_.mailQueued();
    }
    if (date < ends) {
        return false;
    }
    bool queued = false;
    for (auto& service : services) {
        queued |= ServiceManager::changeReason(s, Actor::system("billing"), service, kReason, true, at);
    }
    if (queued) {
        ++summary.unsubscribed;
    }
    return queued;
}

}  // namespace chatiere::manager
