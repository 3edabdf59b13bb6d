#include "store/Plans.h"

#include <Poco/JSON/Parser.h>
#include "chatiere/manager/Error.h"

#include <mutex>
#include <sstream>
#include <unordered_map>

namespace chatiere::manager {

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
    // Only when set: the bodies of plans saved before mail stay byte for byte what they were.
    if (plan.externalForwards) {
        out.set("external_forwards", true);
    }
    if (!plan.createdAt.empty()) {
        out.set("created_at", plan.createdAt);
        out.set("updated_at", plan.updatedAt);
    }
    return out;
}

const std::vector<std::string>& quotaMetrics() {
    static const std::vector<std::string> all = {"services", "disk_gib",  "transfer_gib", "memory_mib",
                                                 "vcpus",    "mailboxes", "mail_gib"};
    return all;
}

namespace {

std::string serialize(const Plan& plan) {
    Plan copy = plan;
    copy.createdAt.clear();
    std::ostringstream out;
    planToJson(copy).stringify(out);
    return out.str();
}

// Reads a plan version's body as serialize() wrote it (and as earlier versions did: members
// added since — free, overage, trial_days, membership_cents, floor_cents, description — may be
// absent). The body was checked before it was saved: nothing is checked again here.
LocalizedText localizedOf(const Poco::JSON::Object::Ptr& object, const std::string& key) {
    LocalizedText out;
    if (!object->has(key) || object->isNull(key)) {
        return out;
    }
    if (object->get(key).isString()) {
        out.fr = out.en = object->getValue<std::string>(key);
        return out;
    }
    const auto text = object->getObject(key);
    out.fr = text->optValue<std::string>("fr", "");
    out.en = text->optValue<std::string>("en", "");
    if (out.fr.empty()) {
        out.fr = out.en;
    }
    if (out.en.empty()) {
        out.en = out.fr;
    }
    return out;
}

Plan parseBody(const std::string& json) {
    Poco::JSON::Parser parser;
    const auto object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    Plan plan;
    plan.slug = object->getValue<std::string>("slug");
    plan.name = localizedOf(object, "name");
    plan.description = localizedOf(object, "description");
    if (const auto templates = object->getArray("templates")) {
        for (std::size_t i = 0; i < templates->size(); ++i) {
            plan.templates.push_back(templates->getElement<std::string>(static_cast<unsigned>(i)));
        }
    }
    plan.free = object->optValue<bool>("free", false);
    if (const auto prices = object->getArray("prices")) {
        for (std::size_t i = 0; i < prices->size(); ++i) {
            const auto item = prices->getObject(static_cast<unsigned>(i));
            PlanPrice p;
            p.interval = item->getValue<std::string>("interval");
            p.kind = item->getValue<std::string>("kind");
            p.amountCents = item->getValue<int64_t>("amount_cents");
            p.membershipCents = item->optValue<int64_t>("membership_cents", 0);
            if (item->has("floor_cents") && !item->isNull("floor_cents")) {
                p.floorCents = item->getValue<int64_t>("floor_cents");
            }
            plan.prices.push_back(p);
        }
    }
    if (const auto quotas = object->getObject("quotas")) {
        for (const auto& [metric, value] : *quotas) {
            const auto q = quotas->getObject(metric);
            plan.quotas[metric] = {q->getValue<int64_t>("included"), q->getValue<int64_t>("limit")};
        }
    }
    if (const auto overage = object->getObject("overage")) {
        for (const auto& [metric, value] : *overage) {
            plan.overageCents[metric] = overage->getObject(metric)->getValue<int64_t>("unit_cents");
        }
    }
    plan.trialDays = object->optValue<int>("trial_days", 0);
    plan.externalForwards = object->optValue<bool>("external_forwards", false);
    return plan;
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
