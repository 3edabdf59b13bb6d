#include "monitoring/QuotaLadder.h"

#include "billing/UsagePeriod.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"
#include "hosting/ServiceManager.h"
#include "monitoring/QuotaDecision.h"
#include "store/Alerts.h"
#include "store/Services.h"
#include "store/Usage.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace chatiere::manager {

namespace {

struct MetricLabel {
    const char* fr;
    const char* en;
    const char* unit;
};

const std::map<std::string, MetricLabel> kLabels = {
    {"disk_gib", {"données stockées", "stored data", "GiB"}},
    {"transfer_gib", {"données transférées", "data transferred", "GiB"}},
    {"memory_mib", {"mémoire allouée", "allocated memory", "MiB"}},
    {"vcpus", {"processeurs virtuels", "virtual CPUs", "vCPU"}},
    {"services", {"services", "services", ""}},
};

std::string number(double value, bool french) {
    char buffer[32];
    if (value == static_cast<double>(static_cast<long long>(value))) {
        std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(value));
    } else {
        std::snprintf(buffer, sizeof buffer, "%.2f", value);
    }
    std::string out = buffer;
    if (french) {
        std::replace(out.begin(), out.end(), '.', ',');
    }
    return out;
}

// A quota_levels row: the ladder's state of one metric (QuotaState is the store's QuotaLevel).
using LevelRow = QuotaState;

std::string stepText(const QuotaStep& step, const std::string& metric, bool french) {
    const bool measured = enforcedMetric(metric);
    const std::string p = std::to_string(step.percent) + (french ? "\u202f%" : " %");
    if (step.bound == "included") {
        if (step.percent >= 100) {
            return french
                       ? p + " de ce que comprend votre formule : au-delà, le dépassement peut être facturé "
                             "selon votre formule"
                       : p + " of what your plan includes: beyond it, overage may be billed as your plan "
                             "says";
        }
        return french ? p + " de ce que comprend votre formule" : p + " of what your plan includes";
    }
    if (step.percent >= 100) {
        if (metric == "transfer_gib") {
            return french
                       ? "la limite de votre formule : vos sites ne sont ni ralentis ni coupés, mais le "
                         "dépassement peut être facturé selon votre formule"
                       : "your plan's limit: your websites are neither slowed down nor cut off, but overage "
                         "may be billed as your plan says";
        }
        if (measured) {
            return french ? "la limite de votre formule : libérez de la place, sinon vos sites web seront "
                            "suspendus "
                            "à la fin du délai de grâce"
                          : "your plan's limit: free some space, or your websites will be suspended when the "
                            "grace "
                            "period ends";
        }
        return french ? "la limite de votre formule : vous ne pouvez pas en ajouter davantage"
                      : "your plan's limit: you cannot add more";
    }
    return french ? p + " de la limite de votre formule" : p + " of your plan's limit";
}

}  // namespace

QuotaLadder::QuotaLadder(Database& db, base::Clock& clock, const templates::Catalogue& catalogue,
                         AssociationService& associations, LadderSettings settings,
                         std::function<void()> jobQueued)
    : db_(db),
      clock_(clock),
      catalogue_(catalogue),
      associations_(associations),
      settings_(std::move(settings)),
      calendar_(settings_.timeZone),
      jobQueued_(std::move(jobQueued)) {}

LadderReport QuotaLadder::evaluate() {
    LadderReport report;
    const auto nowPoint = clock_.now();
    const std::string at = formatTime(nowPoint);
    const std::string today = calendar_.dateOf(nowPoint);
    const Actor system = Actor::system("quota");
    auto s = db_.session();
    UsageRepository repository(s);
    const auto usage = repository.current();
    std::vector<std::string> ids;
    for (auto& association : repository.associationsWithPlans()) {
        ids.push_back(std::move(association.first));
    }
    bool mailed = false;
    bool queued = false;

    for (const auto& id : ids) {
        Transaction tx(s);
        const auto association = AssociationRepository(s).find(id);
        const auto plan = association ? PlanRepository(s).find(*association->planSlug) : std::nullopt;
        if (!plan) {
            continue;
        }
        const auto exceptionUntil = repository.exceptionUntil(id, at);
        const auto used = usage.find(id);
        const Period period = usagePeriod(s, id, today);
        // Transfer counts over the usage period (from the daily figures, today's included).
        std::optional<double> transferGib;

        const std::vector<std::string> tracked = repository.trackedMetrics(id);
        std::map<std::string, QuotaLimit> quotas = plan->quotas;
        for (const auto& metric : tracked) {
            // A metric the plan no longer limits: its ladder is reset (and any enforcement lifted).
            quotas.try_emplace(metric, QuotaLimit{0, 0});
        }
        bool enforceAny = false;
        for (const auto& [metric, quota] : quotas) {
            if (metric == "transfer_gib" && !transferGib) {
                transferGib =
                    static_cast<double>(repository.storedOver(id, period.start, period.end).transferBytes) /
                    kBytesPerGiB;
            }
            const double value = metric == "transfer_gib"     ? *transferGib
                                 : used == usage.end()        ? 0.0
                                 : used->second.count(metric) ? used->second.at(metric)
                                                              : 0.0;
            const auto label = kLabels.count(metric) ? kLabels.at(metric) : MetricLabel{"", "", ""};
            const LevelRow before = repository.level(id, metric);
            const QuotaDecision decision =
                decideQuota(metric, value, quota, before, period.start, exceptionUntil.has_value(), nowPoint,
                            {settings_.includedPercents, settings_.limitPercents, settings_.grace,
                             settings_.hysteresisPercent});
            const LevelRow& row = decision.next;

            Poco::JSON::Object details;
            details.set("metric", metric);
            details.set("used", value);
            details.set("included", quota.included);
            details.set("limit", quota.limit);
            if (decision.reached) {
                const QuotaStep& step = *decision.reached;
                details.set("step", step.name);
                AuditLog::record(s, system, at, "quota.step", "association", id, id, details);
                associations_.notifyManagers(s, *association,
                                             metric == "transfer_gib" ? "quota_transfer_step" : "quota_step",
                                             {{"metric_fr", label.fr},
                                              {"metric_en", label.en},
                                              {"unit", label.unit},
                                              {"used_fr", number(value, true)},
                                              {"used_en", number(value, false)},
                                              {"included", std::to_string(quota.included)},
                                              {"limit", std::to_string(quota.limit)},
                                              {"step_fr", stepText(step, metric, true)},
                                              {"step_en", stepText(step, metric, false)},
                                              {"link", settings_.publicUrl + "/associations/" + id}});
                ++report.notices;
                mailed = true;
            } else if (decision.cleared) {
                details.set("step", row.level);
                AuditLog::record(s, system, at, "quota.step_cleared", "association", id, id, details);
            }

            const bool atLimit = decision.atLimit;
            const bool excepted = exceptionUntil.has_value();
            const std::string alertKey = "quota:" + id + ":" + metric;
            AlertBook alerts(s);
            if (atLimit) {
                const std::string sinceText = row.atLimitSince.value_or(at);
                std::string message = association->name + " is at its plan's limit of " +
                                      std::to_string(quota.limit) + " " + label.unit + " of " + label.en +
                                      " since " + sinceText + ". ";
                message +=
                    metric == "transfer_gib" ? "Transfer is never throttled or cut: the overage is billed "
                                               "where the plan prices it. "
                    : row.enforced
                        ? "Its websites are suspended (the `quota` reason) until it is under the limit. "
                    : excepted ? "An exception until " + *exceptionUntil + " keeps its websites up. "
                               : "Its websites are suspended when the grace period ends. ";
                if (metric != "transfer_gib") {
                    message +=
                        "Stored data cannot be throttled; CPU and memory are capped by each guest's "
                        "allocation.";
                }
                alerts.raise({0, alertKey, "quota", row.enforced ? "critical" : "warning", id, std::nullopt,
                              message, "", "", std::nullopt},
                             at);
            } else {
                alerts.resolve(alertKey, at);
            }

            enforceAny |= row.enforced;
            if (decision.enforcementChange) {
                details.set("reason", *decision.enforcementChange);
                AuditLog::record(s, system, at, row.enforced ? "quota.enforce" : "quota.release",
                                 "association", id, id, details);
                associations_.notifyManagers(s, *association,
                                             row.enforced ? "quota_suspended" : "quota_resumed",
                                             {{"metric_fr", label.fr},
                                              {"metric_en", label.en},
                                              {"unit", label.unit},
                                              {"used_fr", number(value, true)},
                                              {"used_en", number(value, false)},
                                              {"limit", std::to_string(quota.limit)},
                                              {"link", settings_.publicUrl + "/associations/" + id}});
                mailed = true;
                ++(row.enforced ? report.enforced : report.released);
            }
            if (decision.store) {
                repository.storeLevel(id, metric, row, at);
            }
        }
        // Every website service follows the enforcement (new ones too); mail keeps running.
        for (auto& service : ServiceRepository(s).ofAssociation(id)) {
            const auto* manifest = catalogue_.find(service.templateName);
            const bool website = manifest && manifest->kind == "website";
            const auto change = quotaReasonChange(enforceAny, website, wireName(service.state),
                                                  service.suspendedFor.count("quota") > 0);
            if (change) {
                queued |= ServiceManager::changeReason(s, system, service, "quota", *change, at);
            }
        }
        tx.commit();
    }
    if (queued) {
        jobQueued_();
    }
    if (mailed) {
        associations_.mailQueued();
    }
    return report;
}

}  // namespace chatiere::manager
