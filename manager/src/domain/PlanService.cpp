#include "domain/PlanService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"

#include <algorithm>
#include <set>

namespace chatiere::manager {

namespace {

const std::set<std::string> kIntervals = {"month", "year"};
const std::set<std::string> kKinds = {"association", "individual", "other"};
constexpr int64_t kMaxQuota = 1'000'000;

void requireAdmin(const Actor& actor) {
    if (!actor.userId) {
        throw Error::unauthenticated();
    }
    if (decide(actor.staffRole, std::nullopt, Permission::ManagePlans) != Decision::Allow) {
        throw Error::forbidden("Only an admin may change the plans.");
    }
}

bool isSlug(const std::string& s) {
    if (s.size() < 2 || s.size() > 40 || s.front() == '-' || s.back() == '-') {
        return false;
    }
    for (const char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
    }
    return true;
}

// A name or description: one text serves both languages; per language, either stands in for
// the other.
LocalizedText localized(const LocalizedInput& in, const std::string& key, bool required,
                        std::size_t maxLength, FieldErrors& errors) {
    LocalizedText out;
    switch (in.form) {
        case LocalizedInput::Form::Absent:
            if (required) {
                CommandFields(errors).missing(key);
            }
            break;
        case LocalizedInput::Form::OneText:
            if (auto text = CommandFields(errors).text(key, in.text, required, maxLength)) {
                out.fr = out.en = *text;
            }
            break;
        case LocalizedInput::Form::PerLanguage: {
            CommandFields inner(errors, key);
            const auto fr = inner.text("fr", in.fr, required, maxLength);
            const auto en = inner.text("en", in.en, false, maxLength);
            out.fr = fr.value_or(en.value_or(""));
            out.en = en.value_or(out.fr);
            break;
        }
    }
    return out;
}

PlanPrice checkPrice(const PriceInput& in, const std::string& path, FieldErrors& errors,
                     std::set<std::pair<std::string, std::string>>& seen) {
    CommandFields price(errors, path);
    const auto interval = price.text("interval", in.interval, true, 10);
    const auto kind = price.text("kind", in.kind, true, 20);
    const auto amount = price.required("amount_cents", in.amountCents);
    const auto& membership = in.membershipCents;
    const auto& floor = in.floorCents;
    if (interval && !kIntervals.count(*interval)) {
        errors.add(path + ".interval", "invalid_interval", "Expected month or year.");
    }
    if (kind && !kKinds.count(*kind)) {
        errors.add(path + ".kind", "invalid_kind", "Expected association, individual or other.");
    }
    if (amount && (*amount < 0 || *amount > kMaxPriceCents)) {
        errors.add(path + ".amount_cents", "invalid_amount",
                   "A price in cents from 0 to " + std::to_string(kMaxPriceCents) + ".");
    }
    if (membership && (*membership < 0 || *membership > kMaxPriceCents)) {
        errors.add(path + ".membership_cents", "invalid_amount",
                   "A membership fee in cents from 0 to " + std::to_string(kMaxPriceCents) + ".");
    }
    if (floor && (*floor < 0 || (amount && *floor > *amount))) {
        errors.add(path + ".floor_cents", "invalid_floor",
                   "The pay-what-you-can floor is from 0 to the suggested amount_cents.");
    }
    if (interval && kind && !seen.insert({*interval, *kind}).second) {
        errors.add(path, "duplicate_price", "Only one price per interval and kind.");
    }
    PlanPrice p;
    p.interval = interval.value_or("");
    p.kind = kind.value_or("");
    p.amountCents = amount.value_or(0);
    p.membershipCents = membership.value_or(0);
    p.floorCents = floor;
    return p;
}

}  // namespace

bool isQuotaMetric(const std::string& metric) {
    const auto& all = quotaMetrics();
    return std::find(all.begin(), all.end(), metric) != all.end();
}

bool isOverageMetric(const std::string& metric) {
    return metric == "disk_gib" || metric == "transfer_gib";
}

Plan checkPlanDefinition(const PlanDefinition& definition, const std::optional<std::string>& slugInPath) {
    FieldErrors errors;
    CommandFields fields(errors);
    Plan plan;

    const auto slug = fields.text("slug", definition.slug, !slugInPath.has_value(), 40);
    if (slug && !isSlug(*slug)) {
        errors.add("slug", "invalid_slug", "2 to 40 characters: lower-case letters, digits and hyphens.");
    }
    if (slug && slugInPath && *slug != *slugInPath) {
        errors.add("slug", "slug_mismatch", "The slug cannot be changed; it must match the address.");
    }
    plan.slug = slugInPath.value_or(slug.value_or(""));

    plan.name = localized(definition.name, "name", true, 120, errors);
    plan.description = localized(definition.description, "description", false, 2000, errors);

    for (std::size_t i = 0; i < definition.templates.size(); ++i) {
        const std::string& name = definition.templates[i];
        if (!isSlug(name)) {
            errors.add("templates." + std::to_string(i), "invalid_template",
                       "A template name: lower-case letters, digits and hyphens.");
            continue;
        }
        plan.templates.push_back(name);
    }

    // A free plan (the host's own association, a partner): no price, no invoice, and its
    // associations need no subscription for their services.
    plan.free = definition.free.value_or(false);
    if (const auto& prices = plan.free ? definition.prices : fields.required("prices", definition.prices)) {
        if (plan.free && !prices->empty()) {
            errors.add("prices", "free_with_prices", "A free plan has no price: leave prices empty.");
        }
        std::set<std::pair<std::string, std::string>> seen;
        for (std::size_t i = 0; i < prices->size(); ++i) {
            plan.prices.push_back(checkPrice((*prices)[i], "prices." + std::to_string(i), errors, seen));
        }
    }

    for (const auto& [metric, quota] : definition.quotas) {
        const std::string path = "quotas." + metric;
        if (!isQuotaMetric(metric)) {
            errors.add(path, "unknown_metric",
                       "Known metrics: services, disk_gib, transfer_gib, memory_mib, vcpus, mailboxes, "
                       "mail_gib.");
            continue;
        }
        CommandFields q(errors, path);
        const auto included = q.required("included", quota.included);
        const auto limit = q.required("limit", quota.limit);
        if (included && (*included < 0 || *included > kMaxQuota)) {
            errors.add(path + ".included", "invalid_quota", "A whole number from 0 to 1000000.");
        }
        if (limit && (*limit < 0 || *limit > kMaxQuota)) {
            errors.add(path + ".limit", "invalid_quota", "A whole number from 0 to 1000000.");
        }
        if (included && limit && *included > *limit) {
            errors.add(path, "included_above_limit", "`included` cannot be above `limit`.");
        }
        plan.quotas[metric] = {included.value_or(0), limit.value_or(0)};
    }

    for (const auto& [metric, unitCents] : definition.overageUnitCents) {
        const std::string path = "overage." + metric;
        if (!isOverageMetric(metric)) {
            errors.add(path, "unknown_metric",
                       "Only disk_gib (stored data) and transfer_gib (data sent) are measured and billed "
                       "above included.");
            continue;
        }
        const auto unit = CommandFields(errors, path).required("unit_cents", unitCents);
        if (unit && (*unit < 0 || *unit > kMaxPriceCents)) {
            errors.add(path + ".unit_cents", "invalid_amount",
                       "A price per unit in cents from 0 to " + std::to_string(kMaxPriceCents) + ".");
        }
        plan.overageCents[metric] = unit.value_or(0);
    }

    plan.externalForwards = definition.externalForwards.value_or(false);
    if (const auto& trial = definition.trialDays) {
        if (*trial < 0 || *trial > 366) {
            errors.add("trial_days", "invalid_trial", "A number of days from 0 to 366.");
        }
        plan.trialDays = static_cast<int>(*trial);
    }

    errors.throwIfAny();
    return plan;
}

std::vector<Plan> PlanService::list() {
    auto s = db_.session();
    return PlanRepository(s).list();
}

Plan PlanService::get(const std::string& slug) {
    auto s = db_.session();
    auto plan = PlanRepository(s).find(slug);
    if (!plan) {
        throw Error::notFound("Plan " + slug);
    }
    return *plan;
}

Plan PlanService::create(const Actor& actor, const PlanDefinition& definition) {
    requireAdmin(actor);
    Plan plan = checkPlanDefinition(definition, std::nullopt);
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = formatTime(clock_.now());
    PlanRepository(s).create(plan, at);
    AuditLog::record(s, actor, at, "plan.create", "plan", plan.slug, std::nullopt, planToJson(plan));
    tx.commit();
    return plan;
}

Plan PlanService::update(const Actor& actor, const std::string& slug, const PlanDefinition& definition) {
    requireAdmin(actor);
    Plan plan = checkPlanDefinition(definition, slug);
    auto s = db_.session();
    Transaction tx(s);
    const std::string at = formatTime(clock_.now());
    PlanRepository(s).update(plan, at);
    AuditLog::record(s, actor, at, "plan.update", "plan", plan.slug, std::nullopt, planToJson(plan));
    tx.commit();
    return plan;
}

}  // namespace chatiere::manager
