#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "domain/Actor.h"
#include "store/Plans.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A plan's name or description as given: absent, one text for both languages, or a text per
// language (either may be "" : the other stands in for it).
struct LocalizedInput {
    enum class Form { Absent, OneText, PerLanguage };
    Form form = Form::Absent;
    std::string text;  // OneText
    std::string fr;    // PerLanguage
    std::string en;
};

// A price as given; an amount is nullopt when not given.
struct PriceInput {
    std::string interval;  // month | year
    std::string kind;      // association | individual | other
    std::optional<int64_t> amountCents;
    std::optional<int64_t> membershipCents;
    std::optional<int64_t> floorCents;
};

struct QuotaInput {
    std::optional<int64_t> included;
    std::optional<int64_t> limit;
};

// POST /api/v1/plans, PUT /api/v1/plans/{slug} and the plans editor. A PUT replaces the whole
// plan (a new version): what is not given takes its default, not the previous version's value.
// `prices` is nullopt when not given (required unless the plan is free); `quotas` and
// `overageUnitCents` by metric name, in name order (an unknown name is refused by name).
struct PlanDefinition {
    std::string slug;  // "" when not given: required on create, the address's on update
    LocalizedInput name;
    LocalizedInput description;
    std::vector<std::string> templates;
    std::optional<bool> free;
    std::optional<std::vector<PriceInput>> prices;
    std::map<std::string, QuotaInput> quotas;
    std::map<std::string, std::optional<int64_t>> overageUnitCents;  // nullopt: unit_cents not given
    std::optional<int64_t> trialDays;
    std::optional<bool> externalForwards;
};

// The metrics a plan may limit (quotaMetrics()), and bill above included (disk_gib, transfer_gib).
bool isQuotaMetric(const std::string& metric);
bool isOverageMetric(const std::string& metric);

// The plan a definition describes, checked: throws a Validation error listing every bad field
// (by its JSON path: "prices.0.amount_cents"). `slugInPath` (update) must agree with the
// definition's slug when it gives one.
Plan checkPlanDefinition(const PlanDefinition& definition, const std::optional<std::string>& slugInPath);

// The catalogue of plans: anyone reads it, the admin writes it (each change is a new version).
class PlanService {
public:
    PlanService(Database& db, base::Clock& clock) : db_(db), clock_(clock) {}
    std::vector<Plan> list();
    Plan get(const std::string& slug);
    Plan create(const Actor& actor, const PlanDefinition& definition);
    Plan update(const Actor& actor, const std::string& slug, const PlanDefinition& definition);

private:
    Database& db_;
    base::Clock& clock_;
};

}  // namespace chatiere::manager
