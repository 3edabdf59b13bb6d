#include "billing/BillingRun.h"

#include "billing/DueToday.h"
#include "billing/DunningDecision.h"
#include "billing/Money.h"
#include "billing/Periods.h"
#include "chatiere/manager/Error.h"
#include "domain/AuditLog.h"
#include "hosting/ServiceManager.h"
#include "store/Usage.h"

#include <cmath>
#include <set>

namespace chatiere::manager {

namespace {

// "du 31/01/2027 au 27/02/2027" / "31 January 2027 to 27 February 2027": `end` is exclusive.
std::string span(const std::string& start, const std::string& end, const std::string& lang) {
    const std::string last = Calendar::addDays(end, -1);
    return lang == "fr" ? "du " + formatDate(start, "fr") + " au " + formatDate(last, "fr")
                        : formatDate(start, "en") + " to " + formatDate(last, "en");
}

}  // namespace

std::vector<InvoiceLine> SubscriptionBiller::feeLines(const Subscription& sub, const Plan& plan,
                                                      const std::string& seller, const std::string& start,
                                                      const std::string& end) {
    std::vector<InvoiceLine> lines;
    if (sub.priceCents > 0) {
        InvoiceLine fee;
        fee.kind = "fee";
        fee.descriptionFr = "Formule « " + plan.name.fr + " », " + span(start, end, "fr");
        fee.descriptionEn = "Plan “" + plan.name.en + "”, " + span(start, end, "en");
        fee.unitPriceCents = sub.priceCents;
        fee.amountCents = lineAmount(fee.quantityMilli, fee.unitPriceCents);
        fee.periodStart = start;
        fee.periodEnd = end;
        lines.push_back(fee);
    }
    if (sub.membershipCents > 0) {
        InvoiceLine membership;
        membership.kind = "membership";
        membership.descriptionFr = "Adhésion à " + seller + ", " + span(start, end, "fr");
        membership.descriptionEn = "Membership of " + seller + ", " + span(start, end, "en");
        membership.unitPriceCents = sub.membershipCents;
        membership.amountCents = lineAmount(membership.quantityMilli, membership.unitPriceCents);
        membership.periodStart = start;
        membership.periodEnd = end;
        lines.push_back(membership);
    }
    return lines;
}

std::vector<InvoiceLine> SubscriptionBiller::overageLines(Session& s, const Subscription& sub,
                                                          const Plan& plan, const std::string& start,
                                                          const std::string& end) {
    std::vector<InvoiceLine> lines;
    const auto priced = [&plan](const std::string& metric) -> std::optional<std::pair<int64_t, int64_t>> {
        const auto price = plan.overageCents.find(metric);
        const auto quota = plan.quotas.find(metric);
        if (price == plan.overageCents.end() || price->second <= 0 || quota == plan.quotas.end()) {
            return std::nullopt;
        }
        return std::make_pair(price->second, quota->second.included);
    };
    const auto disk = priced("disk_gib");
    const auto transfer = priced("transfer_gib");
    if (!disk && !transfer) {
        return lines;
    }
    const StoredFigures stored = storedOver(s, sub.associationId, start, end);
    const auto add = [&](int64_t overMilli, int64_t unitCents, std::string fr, std::string en) {
        InvoiceLine line;
        line.kind = "overage";
        line.descriptionFr = std::move(fr) + ", " + span(start, end, "fr");
        line.descriptionEn = std::move(en) + ", " + span(start, end, "en");
        line.quantityMilli = overMilli;
        line.unit = "GiB";
        line.unitPriceCents = unitCents;
        line.amountCents = lineAmount(overMilli, unitCents);
        line.periodStart = start;
        line.periodEnd = end;
        lines.push_back(std::move(line));
    };
    if (disk && stored.averageGib) {
        const auto [unitCents, includedGib] = *disk;
        const int64_t averageMilli = std::llround(*stored.averageGib * 1000.0);
        const int64_t overMilli = averageMilli - includedGib * 1000;
        if (overMilli > 0) {
            const std::string included = std::to_string(includedGib);
            add(overMilli, unitCents,
                "Données stockées au-delà des " + included + " Gio inclus (moyenne " +
                    formatQuantity(averageMilli, "fr") + " Gio)",
                "Stored data above the " + included + " GiB included (average " +
                    formatQuantity(averageMilli, "en") + " GiB)");
        }
    }
    if (transfer) {
        // The period's total in thousandths of a GiB, rounded, in integers (no overflow below 8 EiB).
        constexpr int64_t kGiB = int64_t{1} << 30;
        const int64_t bytes = stored.transferBytes;
        const int64_t totalMilli = bytes / kGiB * 1000 + (bytes % kGiB * 1000 + kGiB / 2) / kGiB;
        const auto [unitCents, includedGib] = *transfer;
        const int64_t overMilli = totalMilli - includedGib * 1000;
        if (overMilli > 0) {
            const std::string included = std::to_string(includedGib);
            add(overMilli, unitCents,
                "Données transférées au-delà des " + included + " Gio inclus (total " +
                    formatQuantity(totalMilli, "fr") + " Gio)",
                "Data transferred above the " + included + " GiB included (total " +
                    formatQuantity(totalMilli, "en") + " GiB)");
        }
    }
    return lines;
}

const Plan& SubscriptionBiller::planOf(Session& s, const std::string& slug, int version) {
    auto key = std::make_pair(slug, version);
    if (const auto it = plans_.find(key); it != plans_.end()) {
        return it->second;
    }
    auto plan = PlanRepository(s).findVersion(slug, version);
    if (!plan) {
        throw Error(ErrorKind::Internal, "plan_missing",
                    "plan " + slug + " version " + std::to_string(version) + " is missing");
    }
    return plans_.emplace(std::move(key), std::move(*plan)).first->second;
}

bool SubscriptionBiller::claim(Session& s, const Subscription& sub, const std::string& periodStart,
                               const std::string& kind, const std::string& ref) {
    return SubscriptionRepository(s).claimEvent(sub.id, periodStart, kind, ref, at_);
}

void SubscriptionBiller::attach(Session& s, const Subscription& sub, const std::string& periodStart,
                                const std::string& kind, const std::string& ref,
                                const std::string& invoiceId) {
    SubscriptionRepository(s).attachEvent(sub.id, periodStart, kind, ref, invoiceId);
}

std::optional<std::string> SubscriptionBiller::previousPeriodStart(Session& s, const Subscription& sub,
                                                                   const std::string& before) {
    return SubscriptionRepository(s).previousFeeStart(sub.id, before);
}

void SubscriptionBiller::bring(Session& s, const Association& a, Subscription& sub, const std::string& asOf,
                               RunSummary& summary) {
    const std::string seller = issuer_.settings().billing.sellerName;
    const auto issue = [&](std::vector<InvoiceLine> lines, const std::string& start, const std::string& end,
                           const std::vector<std::tuple<std::string, std::string>>& events) {
        if (lines.empty()) {
            return;
        }
        Invoice invoice;
        invoice.subscriptionId = sub.id;
        invoice.periodStart = start;
        invoice.periodEnd = end;
        invoice.lines = std::move(lines);
        const Invoice issued = issuer_.issue(s, a, invoice, today_, at_);
        for (const auto& [periodStart, kind] : events) {
            attach(s, sub, periodStart, kind, "", issued.id);
        }
        ++summary.invoices;
        summary.totalCents += issued.totalInclCents;
    };

    for (const DuePeriod& due : dueToday(sub, asOf)) {
        const std::string& start = due.start;
        const auto previous = previousPeriodStart(s, sub, start);
        const Plan& current = planOf(s, sub.planSlug, sub.planVersion);
        // The period that just ended: its overage, in arrears, under the plan it ended with.
        std::vector<InvoiceLine> lines;
        std::vector<std::tuple<std::string, std::string>> events;
        const std::string& arrears = due.arrearsKind;
        if (previous && claim(s, sub, *previous, arrears, "")) {
            events.emplace_back(*previous, arrears);
            for (auto& line : overageLines(s, sub, current, *previous, start)) {
                lines.push_back(std::move(line));
            }
        }
        if (due.ending) {
            // Cancelled: no new period; the last one's overage goes on a final invoice.
            issue(lines, previous.value_or(start), start, events);
            sub.status = SubscriptionStatus::Ended;
            sub.endedAt = at_;
            AuditLog::record(s, Actor::system("billing"), at_, "subscription.end", "subscription", sub.id,
                             a.id);
            ++summary.ended;
            break;
        }
        if (due.applyPending) {
            // A downgrade or a change of interval, asked for during the period that ends here.
            applyPendingChange(sub, start);
            AssociationRepository(s).setPlan(a.id, sub.planSlug, at_);
            Poco::JSON::Object details;
            details.set("plan", sub.planSlug);
            details.set("interval", sub.interval);
            AuditLog::record(s, Actor::system("billing"), at_, "subscription.change_applied", "subscription",
                             sub.id, a.id, details);
        }
        const Period& period = due.period;
        const Plan& plan = planOf(s, sub.planSlug, sub.planVersion);
        if (claim(s, sub, start, "fee", "")) {
            events.emplace_back(start, "fee");
            for (auto& line : feeLines(sub, plan, seller, period.start, period.end)) {
                lines.push_back(line);
            }
        }
        issue(lines, period.start, period.end, events);
        sub.billedThrough = period.end;
    }
    sub.updatedAt = at_;
    SubscriptionRepository(s).update(sub);
}

bool Dunning::owesPastDelay(Session& s, const std::string& associationId, const std::string& date) {
    const std::string limit = Calendar::addDays(date, -issuer_.settings().billing.suspendDays);
    for (const auto& invoice : InvoiceRepository(s).open(associationId)) {
        if (invoice.dueDate && *invoice.dueDate <= limit && InvoiceIssuer::dueOf(s, invoice) > 0) {
            return true;
        }
    }
    return false;
}

bool Dunning::setUnpaid(Session& s, const std::string& associationId, bool add, const std::string& at) {
    bool queued = false;
    for (auto& service : ServiceRepository(s).ofAssociation(associationId)) {
        if (service.state == ServiceState::Deleting || service.state == ServiceState::Deleted) {
            continue;
        }
        if (add || service.suspendedFor.count("unpaid")) {
            queued |= ServiceManager::changeReason(s, Actor::system("billing"), service, "unpaid", add, at);
        }
    }
    return queued;
}

bool Dunning::release(Session& s, const Association& a, const std::string& date, const std::string& at) {
    bool suspended = false;
    for (const auto& service : ServiceRepository(s).ofAssociation(a.id)) {
        suspended |= service.suspendedFor.count("unpaid") > 0;
    }
    if (!suspended || owesPastDelay(s, a.id, date)) {
        return false;
    }
    const bool queued = setUnpaid(s, a.id, false, at);
    AuditLog::record(s, Actor::system("billing"), at, "dunning.release", "association", a.id, a.id);
    associations_.notifyManagers(
        s, a, "unpaid_resumed",
        {{"link", issuer_.settings().publicUrl + "/associations/" + a.id}});  // its services and invoices
    associations_.mailQueued();
    return queued;
}

bool Dunning::run(Session& s, const std::string& date, const std::string& at, RunSummary& summary) {
    const BillingSettings& b = issuer_.settings().billing;
    bool queued = false;
    InvoiceRepository repo(s);
    // An association with several invoices past the delay is told once that its services stop.
    std::set<std::string> suspendedNow;
    for (const auto& invoice : repo.overdue(date)) {
        const int64_t due = InvoiceIssuer::dueOf(s, invoice);
        if (due <= 0) {
            continue;
        }
        auto a = AssociationRepository(s).find(invoice.associationId);
        if (!a) {
            continue;
        }
        const int late = daysBetween(*invoice.dueDate, date);
        const std::map<std::string, std::string> vars = {
            {"number", invoice.number.value_or("")},
            {"due_amount_fr", formatMoney(due, "fr")},
            {"due_amount_en", formatMoney(due, "en")},
            {"due_fr", formatDate(*invoice.dueDate, "fr")},
            {"due_en", formatDate(*invoice.dueDate, "en")},
            {"suspend_days", std::to_string(b.suspendDays)},
            {"link", issuer_.settings().publicUrl + "/associations/" + a->id + "/invoices/" + invoice.id}};
        // Every step reached is recorded; a run that catches up on several mails only the last.
        const DunningSteps steps = dunningStepsAt(late, b.reminderDays, b.suspendDays);
        bool remind = false;
        for (const std::string& step : steps.reminders) {
            remind |= repo.recordDunningStep(invoice.id, step, at);
        }
        bool suspend = false;
        if (steps.suspend) {
            suspend = repo.recordDunningStep(invoice.id, "suspend", at);
        }
        Poco::JSON::Object details;
        details.set("number", invoice.number.value_or(""));
        details.set("days_late", late);
        details.set("due_cents", due);
        const DunningMail mail = dunningMail(remind, suspend);
        if (mail == DunningMail::Suspension) {
            AuditLog::record(s, Actor::system("billing"), at, "dunning.suspend", "invoice", invoice.id, a->id,
                             details);
            if (suspendedNow.insert(a->id).second) {
                associations_.notifyManagers(s, *a, "unpaid_suspended", vars);
                ++summary.suspended;
            }
        } else if (mail == DunningMail::Reminder) {
            AuditLog::record(s, Actor::system("billing"), at, "dunning.reminder", "invoice", invoice.id,
                             a->id, details);
            associations_.notifyManagers(s, *a, "invoice_reminder", vars);
            ++summary.reminders;
        }
        if (steps.suspend) {
            // Services created since keep following the reason too.
            queued |= setUnpaid(s, a->id, true, at);
        }
    }
    if (summary.reminders + summary.suspended > 0) {
        associations_.mailQueued();
    }
    return queued;
}

}  // namespace chatiere::manager
