#pragma once

#include <Poco/JSON/Object.h>
#include "chatiere/manager/Database.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

struct LocalizedText {
    std::string fr;
    std::string en;
};

struct PlanPrice {
    std::string interval;               // month | year
    std::string kind;                   // association | individual | other
    int64_t amountCents = 0;            // the service fee of a period (the suggested one, pay-what-you-can)
    int64_t membershipCents = 0;        // an optional membership fee, its own invoice line
    std::optional<int64_t> floorCents;  // pay-what-you-can: the least a subscriber may choose
};

struct QuotaLimit {
    int64_t included = 0;
    int64_t limit = 0;
};

// An offer of the catalogue. Changing a plan makes a new version; the billing work builds on it.
struct Plan {
    std::string slug;
    int version = 1;
    LocalizedText name;
    LocalizedText description;
    std::vector<std::string> templates;
    std::vector<PlanPrice> prices;
    std::map<std::string, QuotaLimit> quotas;  // by metric: quotaMetrics()
    // Overage: cents per unit above `included` a period (disk_gib: per GiB stored, averaged over
    // the period). A metric without a price is never billed above `included`.
    std::map<std::string, int64_t> overageCents;
    int trialDays = 0;  // a new subscription's free days before its first period
    bool free = false;  // no price, no invoice: its associations' services need no subscription
    bool externalForwards = false;  // mail aliases may forward to addresses of other domains
    std::string createdAt;
    std::string updatedAt;
};

// The metrics a plan may limit, in the order the pages show them: services, disk_gib, transfer_gib,
// memory_mib, vcpus, and mail's mailboxes (a count) and mail_gib (the mailboxes' quotas, allocated).
const std::vector<std::string>& quotaMetrics();

inline constexpr int64_t kMaxPriceCents = 10'000'000;  // 100 000 € a period: anything above is a typo

// The plan's JSON shape: what the API sends, and (without its dates) the body a plan
// version is saved as. A plan is checked by the domain (PlanService) before it is saved.
Poco::JSON::Object planToJson(const Plan& plan);
// The price of `interval` for an association of `kind`; nullopt when the plan has none.
const PlanPrice* findPrice(const Plan& plan, const std::string& interval, const std::string& kind);

class PlanRepository {
public:
    explicit PlanRepository(Session& session) : session_(session) {}
    // Throws Conflict when the slug exists.
    void create(Plan& plan, const std::string& at);
    // A new version; throws NotFound when there is no such plan.
    void update(Plan& plan, const std::string& at);
    std::optional<Plan> find(const std::string& slug);
    // A given version (subscriptions keep theirs); nullopt when there is none.
    std::optional<Plan> findVersion(const std::string& slug, int version);
    std::vector<Plan> list();

private:
    std::vector<Plan> select(const std::optional<std::string>& slug);
    Session& session_;
};

}  // namespace chatiere::manager
