#include "billing/SubscriptionGrace.h"

#include "billing/Money.h"
#include "billing/Subscriptions.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Error.h"
#include "domain/AuditLog.h"
#include "domain/Plans.h"
#include "hosting/ServiceManager.h"

#include <Poco/Data/Statement.h>

#include <set>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

namespace {

constexpr const char* kReason = "no_subscription";
constexpr int kReminderDaysBefore = 3;

bool live(const Service& service) {
    return service.state != "deleting" && service.state != "deleted";
}

struct GraceRow {
    std::optional<std::string> since;  // nullopt: from the next pass (an upgraded installation)
    bool startMailed = false;
    bool reminderMailed = false;
};

std::optional<GraceRow> findGrace(Session& s, const std::string& associationId) {
    std::vector<std::string> since;
    std::vector<int> startMailed, reminderMailed;
    s << "SELECT COALESCE(since, ''), start_mailed, reminder_mailed FROM subscription_grace WHERE "
         "association_id = ?",
        bind(associationId), into(since), into(startMailed), into(reminderMailed), now;
    if (since.empty()) {
        return std::nullopt;
    }
    return GraceRow{since.front().empty() ? std::nullopt : std::optional<std::string>(since.front()),
                    startMailed.front() != 0, reminderMailed.front() != 0};
}

void deleteGrace(Session& s, const std::string& associationId) {
    s << "DELETE FROM subscription_grace WHERE association_id = ?", bind(associationId), now;
}

}  // namespace

bool SubscriptionGrace::onFreePlan(Session& s, const Association& a) {
    if (!a.planSlug) {
        return false;
    }
    const auto plan = PlanRepository(s).find(*a.planSlug);
    return plan && plan->free;
}

bool SubscriptionGrace::cover(Session& s, const std::string& associationId,
                              const std::string& at) {
    deleteGrace(s, associationId);
    bool queued = false;
    for (auto& service : ServiceRepository(s).ofAssociation(associationId)) {
        if (live(service) && service.suspendedFor.count(kReason)) {
            queued |= ServiceManager::changeReason(s, Actor::system("billing"), service, kReason, false, at);
        }
    }
    return queued;
}

bool SubscriptionGrace::run(Session& s, const std::string& date, const std::string& at,
                            RunSummary& summary) {
    // Every association that has services, a grace under way, or services stopped for this reason.
    std::vector<std::string> ids;
    s << "SELECT DISTINCT association_id FROM services WHERE state NOT IN ('deleting', 'deleted') "
         "UNION SELECT association_id FROM subscription_grace",
        into(ids), now;
    bool queued = false;
    for (const auto& id : ids) {
        const auto a = AssociationRepository(s).find(id);
        if (a) {
            queued |= pass(s, *a, date, at, summary);
        }
    }
    return queued;
}

bool SubscriptionGrace::pass(Session& s, const Association& a, const std::string& date,
                             const std::string& at, RunSummary& summary) {
    if (SubscriptionRepository(s).activeOf(a.id) || onFreePlan(s, a)) {
        return cover(s, a.id, at);
    }
    std::vector<Service> services;
    for (auto& service : ServiceRepository(s).ofAssociation(a.id)) {
        if (live(service)) {
            services.push_back(service);
        }
    }
    if (services.empty()) {
        deleteGrace(s, a.id);  // nothing runs unpaid: nothing to wait for
        return false;
    }
    auto grace = findGrace(s, a.id);
    if (!grace || !grace->since) {
        if (!grace) {
            grace = GraceRow{};
            s << "INSERT INTO subscription_grace (association_id, since, created_at) VALUES (?, ?, ?)",
                bind(a.id), bind(date), bind(at), now;
        } else {
            s << "UPDATE subscription_grace SET since = ? WHERE association_id = ?", bind(date), bind(a.id),
                now;
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
        s << "UPDATE subscription_grace SET start_mailed = 1 WHERE association_id = ?", bind(a.id), now;
        mailed = true;
    } else if (!grace->reminderMailed && date >= Calendar::addDays(ends, -kReminderDaysBefore) &&
               date < ends) {
        associations_.notifyManagers(s, a, "unsubscribed_reminder", vars);
        s << "UPDATE subscription_grace SET reminder_mailed = 1 WHERE association_id = ?", bind(a.id), now;
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
