#include "store/Plans.h"

#include <Poco/JSON/Parser.h>
#include "chatiere/manager/Error.h"
#include "domain/JsonFields.h"

#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

namespace chatiere::manager {

namespace {

const std::set<std::string> kIntervals = {"month", "year"};
const std::set<std::string> kKinds = {"association", "individual", "other"};
const std::set<std::string> kMetrics = {"disk_gib", "memory_mib", "vcpus", "services"};
constexpr int64_t kMaxQuota = 1'000'000;

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

// "name": "Site web" serves both languages.
LocalizedText localizedFromString(JsonFields& fields, const std::string& key, bool required,
                                  std::size_t maxLength) {
    LocalizedText out;
    if (auto text = fields.string(key, required, maxLength)) {
        out.fr = out.en = *text;
    }
    return out;
}

}  // namespace

Plan parsePlan(const Poco::JSON::Object::Ptr& body, const std::optional<std::string>& slugInPath) {
    FieldErrors errors;
    JsonFields fields(body, errors);
    Plan plan;

    const auto slug = fields.string("slug", !slugInPath.has_value(), 40);
    if (slug && !isSlug(*slug)) {
        errors.add("slug", "invalid_slug", "2 to 40 characters: lower-case letters, digits and hyphens.");
    }
    if (slug && slugInPath && *slug != *slugInPath) {
        errors.add("slug", "slug_mismatch", "The slug cannot be changed; it must match the address.");
    }
    plan.slug = slugInPath.value_or(slug.value_or(""));

    for (const auto& [key, target, maxLength] :
         {std::tuple<std::string, LocalizedText*, std::size_t>{"name", &plan.name, 120},
          std::tuple<std::string, LocalizedText*, std::size_t>{"description", &plan.description, 2000}}) {
        const bool required = key == "name";
        if (!fields.has(key)) {
            if (required) {
                errors.add(key, "missing", "This field is required.");
            }
            continue;
        }
        if (body->get(key).isString()) {
            *target = localizedFromString(fields, key, required, maxLength);
            continue;
        }
        auto object = fields.object(key, required);
        if (!object) {
            continue;
        }
        JsonFields inner(object, errors, key);
        const auto fr = inner.string("fr", required, maxLength);
        const auto en = inner.string("en", false, maxLength);
        target->fr = fr.value_or(en.value_or(""));
        target->en = en.value_or(target->fr);
    }

    if (auto templates = fields.array("templates", false)) {
        for (std::size_t i = 0; i < templates->size(); ++i) {
            const Poco::Dynamic::Var v = templates->get(static_cast<unsigned>(i));
            const std::string path = "templates." + std::to_string(i);
            if (!v.isString() || !isSlug(v.extract<std::string>())) {
                errors.add(path, "invalid_template",
                           "A template name: lower-case letters, digits and hyphens.");
                continue;
            }
            plan.templates.push_back(v.extract<std::string>());
        }
    }

    // A free plan (the host's own association, a partner): no price, no invoice, and its
    // associations need no subscription for their services.
    plan.free = fields.boolean("free", false).value_or(false);
    if (auto prices = fields.array("prices", !plan.free)) {
        if (plan.free && prices->size() > 0) {
            errors.add("prices", "free_with_prices", "A free plan has no price: leave prices empty.");
        }
        std::set<std::pair<std::string, std::string>> seen;
        for (std::size_t i = 0; i < prices->size(); ++i) {
            const std::string path = "prices." + std::to_string(i);
            auto item = prices->getObject(static_cast<unsigned>(i));
            if (!item) {
                errors.add(path, "wrong_type", "Expected an object.");
                continue;
            }
            JsonFields price(item, errors, path);
            PlanPrice p;
            const auto interval = price.string("interval", true, 10);
            const auto kind = price.string("kind", true, 20);
            const auto amount = price.integer("amount_cents", true);
            const auto membership = price.integer("membership_cents", false);
            const auto floor = price.integer("floor_cents", false);
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
            p.interval = interval.value_or("");
            p.kind = kind.value_or("");
            p.amountCents = amount.value_or(0);
            p.membershipCents = membership.value_or(0);
            p.floorCents = floor;
            plan.prices.push_back(p);
        }
    }

    if (auto quotas = fields.object("quotas", false)) {
        for (const auto& [metric, value] : *quotas) {
            const std::string path = "quotas." + metric;
            if (!kMetrics.count(metric)) {
                errors.add(path, "unknown_metric", "Known metrics: disk_gib, memory_mib, vcpus, services.");
                continue;
            }
            auto object = quotas->getObject(metric);
            if (!object) {
                errors.add(path, "wrong_type", "Expected {\"included\", \"limit\"}.");
                continue;
            }
            JsonFields q(object, errors, path);
            const auto included = q.integer("included", true);
            const auto limit = q.integer("limit", true);
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
    }

    if (auto overage = fields.object("overage", false)) {
        for (const auto& [metric, value] : *overage) {
            const std::string path = "overage." + metric;
            if (metric != "disk_gib") {
                errors.add(path, "unknown_metric",
                           "Only disk_gib (stored data) is measured and billed above included.");
                continue;
            }
            auto object = overage->getObject(metric);
            if (!object) {
                errors.add(path, "wrong_type", "Expected {\"unit_cents\"}.");
                continue;
            }
            JsonFields o(object, errors, path);
            const auto unit = o.integer("unit_cents", true);
            if (unit && (*unit < 0 || *unit > kMaxPriceCents)) {
                errors.add(path + ".unit_cents", "invalid_amount",
                           "A price per unit in cents from 0 to " + std::to_string(kMaxPriceCents) + ".");
            }
            plan.overageCents[metric] = unit.value_or(0);
        }
    }
    if (const auto trial = fields.integer("trial_days", false)) {
        if (*trial < 0 || *trial > 366) {
            errors.add("trial_days", "invalid_trial", "A number of days from 0 to 366.");
        }
        plan.trialDays = static_cast<int>(*trial);
    }

    errors.throwIfAny();
    return plan;
}

const PlanPrice* findPrice(const Plan& plan, const std::string& interval, const std::string& kind) {
    for (const auto& p : plan.prices) {
        if (p.interval == interval && p.kind == kind) {
            return &p;
        }
    }
    return nullptr;
}

Poco::JSON::Object planToJson(const Plan& plan) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("slug", plan.slug);
    out.set("version", plan.version);
    Poco::JSON::Object name;
    name.set("fr", plan.name.fr);
    name.set("en", plan.name.en);
    out.set("name", name);
    Poco::JSON::Object description;
    description.set("fr", plan.description.fr);
    description.set("en", plan.description.en);
    out.set("description", description);
    Poco::JSON::Array templates;
    for (const auto& t : plan.templates) {
        templates.add(t);
    }
    out.set("templates", templates);
    Poco::JSON::Array prices;
    for (const auto& p : plan.prices) {
        Poco::JSON::Object price(Poco::JSON_PRESERVE_KEY_ORDER);
        price.set("interval", p.interval);
        price.set("kind", p.kind);
        price.set("amount_cents", p.amountCents);
        if (p.membershipCents > 0) {
            price.set("membership_cents", p.membershipCents);
        }
        if (p.floorCents) {
            price.set("floor_cents", *p.floorCents);
        }
        price.set("currency", "EUR");
        prices.add(price);
    }
    out.set("free", plan.free);
    out.set("prices", prices);
    Poco::JSON::Object quotas;
    for (const auto& [metric, q] : plan.quotas) {
        Poco::JSON::Object quota;
        quota.set("included", q.included);
        quota.set("limit", q.limit);
        quotas.set(metric, quota);
    }
    out.set("quotas", quotas);
    Poco::JSON::Object overage;
    for (const auto& [metric, cents] : plan.overageCents) {
        Poco::JSON::Object price;
        price.set("unit_cents", cents);
        overage.set(metric, price);
    }
    out.set("overage", overage);
    out.set("trial_days", plan.trialDays);
    if (!plan.createdAt.empty()) {
        out.set("created_at", plan.createdAt);
        out.set("updated_at", plan.updatedAt);
    }
    return out;
}

namespace {

std::string serialize(const Plan& plan) {
    Plan copy = plan;
    copy.createdAt.clear();
    std::ostringstream out;
    planToJson(copy).stringify(out);
    return out.str();
}

Plan parseBody(const std::string& json) {
    Poco::JSON::Parser parser;
    auto object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    const std::string slug = object->getValue<std::string>("slug");
    object->remove("version");
    object->remove("created_at");
    object->remove("updated_at");
    auto prices = object->getArray("prices");
    for (std::size_t i = 0; prices && i < prices->size(); ++i) {
        prices->getObject(static_cast<unsigned>(i))->remove("currency");
    }
    return parsePlan(object, slug);
}

// A plan version's body, parsed, by its text: parsing is a pure function of the text, and a
// version's body is never rewritten (a change is a new version), so nothing here can go stale.
// The pages and GET …/usage read a plan on every request; its JSON is parsed once per body. The
// lock is held only to look up or keep a result, never while SQL runs or JSON is parsed.
class ParsedBodies {
public:
    Plan get(const std::string& json) {
        {
            const std::lock_guard lock(mutex_);
            if (const auto it = plans_.find(json); it != plans_.end()) {
                return it->second;
            }
        }
        Plan plan = parseBody(json);
        const std::lock_guard lock(mutex_);
        if (plans_.size() >= kMaxBodies) {
            plans_.clear();
        }
        plans_.emplace(json, plan);
        return plan;
    }

private:
    static constexpr std::size_t kMaxBodies = 256;
    std::mutex mutex_;
    std::unordered_map<std::string, Plan> plans_;
};

Plan deserialize(const std::string& json, int version, const std::string& createdAt,
                 const std::string& updatedAt) {
    static ParsedBodies bodies;
    Plan plan = bodies.get(json);
    plan.version = version;
    plan.createdAt = createdAt;
    plan.updatedAt = updatedAt;
    return plan;
}

}  // namespace

void PlanRepository::create(Plan& plan, const std::string& at) {
    if (session_.integer("SELECT COUNT(*) FROM plans WHERE slug = ?", plan.slug).value_or(0) > 0) {
        throw Error(ErrorKind::Conflict, "plan_exists", "A plan with this slug already exists.",
                    {{"slug", "plan_exists", "A plan with this slug already exists."}});
    }
    plan.version = 1;
    plan.createdAt = plan.updatedAt = at;
    session_.execute("INSERT INTO plans (slug, version, created_at, updated_at) VALUES (?, 1, ?, ?)",
                     plan.slug, at, at);
    session_.execute("INSERT INTO plan_versions (slug, version, body, created_at) VALUES (?, 1, ?, ?)",
                     plan.slug, serialize(plan), at);
}

void PlanRepository::update(Plan& plan, const std::string& at) {
    auto current = find(plan.slug);
    if (!current) {
        throw Error::notFound("Plan " + plan.slug);
    }
    plan.version = current->version + 1;
    plan.createdAt = current->createdAt;
    plan.updatedAt = at;
    session_.execute("UPDATE plans SET version = ?, updated_at = ? WHERE slug = ?", plan.version, at,
                     plan.slug);
    session_.execute("INSERT INTO plan_versions (slug, version, body, created_at) VALUES (?, ?, ?, ?)",
                     plan.slug, plan.version, serialize(plan), at);
}

std::optional<Plan> PlanRepository::find(const std::string& slug) {
    auto found = select(slug);
    return found.empty() ? std::nullopt : std::optional<Plan>(std::move(found.front()));
}

std::optional<Plan> PlanRepository::findVersion(const std::string& slug, int version) {
    return session_.first(
        "SELECT p.created_at, v.created_at AS updated_at, v.body FROM plans p JOIN plan_versions v ON "
        "v.slug = p.slug WHERE p.slug = ? AND v.version = ?",
        [version](const Row& r) { return deserialize(r.text(2), version, r.text(0), r.text(1)); }, slug,
        version);
}

std::vector<Plan> PlanRepository::list() {
    return select(std::nullopt);
}

std::vector<Plan> PlanRepository::select(const std::optional<std::string>& slug) {
    return session_.query(
        "SELECT p.slug, p.version, p.created_at, p.updated_at, v.body FROM plans p "
        "JOIN plan_versions v ON v.slug = p.slug AND v.version = p.version "
        "WHERE ? IS NULL OR p.slug = ? ORDER BY p.slug",
        [](const Row& r) {
            return deserialize(r.text(4), static_cast<int>(r.integer(1)), r.text(2), r.text(3));
        },
        slug, slug);
}

}  // namespace chatiere::manager
