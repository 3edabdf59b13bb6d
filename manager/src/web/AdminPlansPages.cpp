// The admin console's plans: the catalogue with each plan's version and prices, and the editor —
// names and descriptions in both languages, the services it offers, the trial, a price per
// interval and kind of structure (with an optional membership part and a pay-what-you-can
// floor), the quotas and the disk and transfer overage. Saving an existing plan makes a new version:
// subscriptions keep theirs. Amounts are typed in euros; each refusal is said by its field.

#include "billing/Money.h"
#include "web/Web.h"

#include <Poco/NumberParser.h>

#include <algorithm>
#include <map>
#include <regex>

namespace chatiere::manager::web {

namespace {

using Values = std::map<std::string, std::string>;
using Errors = std::map<std::string, std::string>;

const std::vector<std::string> kIntervals = {"month", "year"};
const std::vector<std::string> kKinds = {"association", "individual", "other"};
// The metrics billed above what the plan includes (PlanService's isOverageMetric).
const std::vector<std::string> kOverageMetrics = {"disk_gib", "transfer_gib"};
const std::vector<std::string> kPriceParts = {"amount", "membership", "floor"};

std::string euros(int64_t cents) {
    return formatMoney(cents, "en").substr(3);  // "€1,234.50" → "1,234.50"
}

Values valuesOf(const Plan& plan) {
    Values v;
    v["slug"] = plan.slug;
    v["name_fr"] = plan.name.fr;
    v["name_en"] = plan.name.en;
    v["description_fr"] = plan.description.fr;
    v["description_en"] = plan.description.en;
    v["trial_days"] = std::to_string(plan.trialDays);
    if (plan.externalForwards) {
        v["external_forwards"] = "yes";
    }
    if (plan.free) {
        v["free"] = "yes";
    }
    for (const auto& t : plan.templates) {
        v["template_" + t] = "yes";
    }
    for (const auto& p : plan.prices) {
        const std::string row = "price_" + p.interval + "_" + p.kind + "_";
        v[row + "amount"] = euros(p.amountCents);
        if (p.membershipCents) {
            v[row + "membership"] = euros(p.membershipCents);
        }
        if (p.floorCents) {
            v[row + "floor"] = euros(*p.floorCents);
        }
    }
    for (const auto& [metric, q] : plan.quotas) {
        v["quota_" + metric + "_included"] = std::to_string(q.included);
        v["quota_" + metric + "_limit"] = std::to_string(q.limit);
    }
    for (const auto& metric : kOverageMetrics) {
        if (const auto it = plan.overageCents.find(metric); it != plan.overageCents.end()) {
            v["overage_" + metric] = euros(it->second);
        }
    }
    return v;
}

// Cents from a euros field (thousands separators allowed); an error by the field otherwise.
std::optional<int64_t> cents(const Values& v, const std::string& id, Errors& errors,
                             const std::string& message) {
    const auto it = v.find(id);
    if (it == v.end() || it->second.empty()) {
        return std::nullopt;
    }
    std::string text = it->second;
    text.erase(std::remove(text.begin(), text.end(), ','), text.end());  // "1,234.50" as shown
    const auto c = parseEuros(text.find('.') == std::string::npos ? it->second : text);
    if (!c) {
        errors[id] = message;
    }
    return c;
}

// The plan's definition from the form; `priceRows` gets the form row of each price, in order.
PlanDefinition definitionOf(const Values& v, bool isNew, const templates::Catalogue& catalogue,
                            Errors& errors, const std::string& amountMessage,
                            std::vector<std::string>& priceRows) {
    const auto get = [&](const std::string& id) {
        const auto it = v.find(id);
        return it == v.end() ? std::string() : it->second;
    };
    PlanDefinition d;
    if (isNew) {
        d.slug = get("slug");
    }
    using Text = std::pair<std::string, LocalizedInput*>;
    for (const auto& [field, target] : {Text{"name", &d.name}, Text{"description", &d.description}}) {
        target->form = LocalizedInput::Form::PerLanguage;
        target->fr = get(field + "_fr");
        target->en = get(field + "_en");
    }
    for (const auto& m : catalogue.all()) {
        if (get("template_" + m.name) == "yes") {
            d.templates.push_back(m.name);
        }
    }
    Poco::Int64 trial = 0;
    if (!get("trial_days").empty() && !Poco::NumberParser::tryParse64(get("trial_days"), trial)) {
        trial = -1;  // said by the plan's own check
    }
    d.trialDays = trial;
    d.free = get("free") == "yes";
    d.externalForwards = get("external_forwards") == "yes";
    d.prices.emplace();
    for (const auto& interval : kIntervals) {
        for (const auto& kind : kKinds) {
            const std::string row = "price_" + interval + "_" + kind + "_";
            const auto amount = cents(v, row + "amount", errors, amountMessage);
            const auto membership = cents(v, row + "membership", errors, amountMessage);
            const auto floor = cents(v, row + "floor", errors, amountMessage);
            if (!amount) {
                continue;  // not offered
            }
            d.prices->push_back({interval, kind, amount, membership.value_or(0), floor});
            priceRows.push_back(row);
        }
    }
    for (const auto& metric : quotaMetrics()) {
        const std::string included = get("quota_" + metric + "_included");
        const std::string limit = get("quota_" + metric + "_limit");
        if (included.empty() && limit.empty()) {
            continue;
        }
        Poco::Int64 n = 0;
        QuotaInput& q = d.quotas[metric];
        q.included = Poco::NumberParser::tryParse64(included, n) ? n : -1;
        q.limit = Poco::NumberParser::tryParse64(limit.empty() ? included : limit, n) ? n : -1;
    }
    for (const auto& metric : kOverageMetrics) {
        if (const auto unit = cents(v, "overage_" + metric, errors, amountMessage)) {
            d.overageUnitCents[metric] = unit;
        }
    }
    return d;
}

// The form field of an error path of the plan's check ("prices.2.floor_cents", "quotas.vcpus.limit").
std::string fieldOf(const std::string& path, const std::vector<std::string>& priceRows) {
    std::smatch m;
    if (std::regex_match(path, m,
                         std::regex(R"(prices\.(\d+)(?:\.(amount|membership|floor)_cents)?(?:\..*)?)"))) {
        const auto i = static_cast<std::size_t>(std::stoul(m[1].str()));
        return i < priceRows.size() ? priceRows[i] + (m[2].matched ? m[2].str() : "amount") : "prices";
    }
    if (std::regex_match(path, m, std::regex(R"(quotas\.([a-z_]+?)(?:\.(included|limit))?)"))) {
        return "quota_" + m[1].str() + "_" + (m[2].matched ? m[2].str() : "limit");
    }
    if (std::regex_match(path, m, std::regex(R"(overage\.([a-z_]+?)(?:\..*)?)"))) {
        return "overage_" + m[1].str();
    }
    if (path.rfind("templates", 0) == 0) {
        return "templates";
    }
    return std::regex_replace(path, std::regex("\\."), "_");  // name.fr → name_fr
}

mstch::map input(const std::string& id, const std::string& label, const std::string& type, const Values& v,
                 const Errors& errors, bool required = false) {
    mstch::map field;
    field.emplace("id", id);
    field.emplace("label", label);
    field.emplace("type", type);
    field.emplace("required", required);
    const auto value = v.find(id);
    field.emplace("value", value == v.end() ? std::string() : value->second);
    if (const auto e = errors.find(id); e != errors.end()) {
        field.emplace("error", e->second);
        field.emplace("described", id + "-error");
    }
    return field;
}

void renderEditor(Pages& pages, http::Request& r, int status, const std::optional<Plan>& plan,
                  const Values& v, const Errors& errors, const std::vector<std::string>& general) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    const auto t = [&](const std::string& key) { return words.text(lang, key); };
    mstch::map data;
    data.emplace("is_new", !plan.has_value());
    data.emplace("action", plan ? "/admin/plans/" + plan->slug : std::string("/admin/plans"));
    if (plan) {
        data.emplace("slug", plan->slug);
        data.emplace("version", std::to_string(plan->version));
    }
    data.emplace("slug_field", input("slug", t("plans_slug"), "text", v, errors, true));
    mstch::map texts;
    for (const char* id : {"name_fr", "name_en", "description_fr", "description_en"}) {
        texts.emplace(id, input(id, t(std::string("plans_") + id), "text", v, errors,
                                std::string(id).rfind("name", 0) == 0));
    }
    data.emplace("texts", std::move(texts));
    data.emplace("trial", input("trial_days", t("plans_trial_days"), "number", v, errors));
    data.emplace("free", v.count("free") > 0 && v.at("free") == "yes");
    data.emplace("external_forwards", v.count("external_forwards") > 0 && v.at("external_forwards") == "yes");
    mstch::array templates;
    for (const auto& m : pages.app().catalogue.all()) {
        mstch::map o;
        o.emplace("id", "template_" + m.name);
        o.emplace("label", lang == "en" ? m.title.en : m.title.fr);
        o.emplace("checked", v.count("template_" + m.name) > 0 && v.at("template_" + m.name) == "yes");
        templates.push_back(std::move(o));
    }
    data.emplace("templates", std::move(templates));
    if (const auto e = errors.find("templates"); e != errors.end()) {
        data.emplace("templates_error", e->second);
    }
    mstch::array prices;
    for (const auto& interval : kIntervals) {
        for (const auto& kind : kKinds) {
            const std::string row = "price_" + interval + "_" + kind + "_";
            mstch::map group;
            group.emplace("legend", t("plan_price_" + interval) + " — " + t("plan_kind_" + kind));
            mstch::array cells;
            for (const auto& part : kPriceParts) {
                cells.push_back(input(row + part, t("plans_price_" + part), "text", v, errors));
            }
            group.emplace("cells", std::move(cells));
            prices.push_back(std::move(group));
        }
    }
    data.emplace("prices", std::move(prices));
    mstch::array quotas;
    for (const auto& metric : quotaMetrics()) {
        mstch::map group;
        group.emplace("legend", t("plan_quota_" + metric));
        mstch::array cells;
        cells.push_back(
            input("quota_" + metric + "_included", t("plans_quota_included"), "number", v, errors));
        cells.push_back(input("quota_" + metric + "_limit", t("plans_quota_limit"), "number", v, errors));
        group.emplace("cells", std::move(cells));
        quotas.push_back(std::move(group));
    }
    data.emplace("quotas", std::move(quotas));
    mstch::array overage;
    for (const auto& metric : kOverageMetrics) {
        overage.push_back(input("overage_" + metric, t("plans_overage_" + metric), "text", v, errors));
    }
    data.emplace("overage", std::move(overage));
    mstch::array messages;
    for (const auto& g : general) {
        messages.push_back(g);
    }
    data.emplace("has_errors", !errors.empty() || !general.empty());
    data.emplace("general", std::move(messages));
    pages.send(r, status, "admin_plan", plan ? "plans_edit_title" : "plans_new_title", std::move(data));
}

void save(Pages& pages, http::Request& r, const std::optional<Plan>& plan) {
    const auto post = pages.staffForm(r);
    if (!post) {
        return;
    }
    const std::string lang = pages.language(r);
    Values v;
    for (const auto& [name, value] : post->form) {
        v[name] = value;
    }
    Errors errors;
    std::vector<std::string> general;
    std::vector<std::string> priceRows;
    const PlanDefinition definition = definitionOf(v, !plan, pages.app().catalogue, errors,
                                                   pages.words().error(lang, "invalid_amount"), priceRows);
    if (errors.empty()) {
        try {
            const Plan saved = plan ? pages.app().plans.update(post->actor, plan->slug, definition)
                                    : pages.app().plans.create(post->actor, definition);
            pages.redirect(r, "/admin/plans?done=" + saved.slug);
            return;
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Conflict) {
                throw;
            }
            if (e.fields().empty()) {
                general.push_back(pages.words().error(lang, e.code()));
            }
            for (const auto& f : e.fields()) {
                const std::string id = fieldOf(f.field, priceRows);
                if (id == "prices") {
                    general.push_back(pages.words().error(lang, f.code));
                } else {
                    errors.emplace(id, pages.words().error(lang, f.code));
                }
            }
        }
    }
    renderEditor(pages, r, 400, plan, v, errors, general);
}

}  // namespace

void registerAdminPlansPages(http::Router& router, Pages& pages) {
    router.add("GET", "/admin/plans", pages.page([&pages](http::Request& r) {
        const auto actor = pages.staff(r);
        if (!actor) {
            return;
        }
        const std::string lang = pages.language(r);
        const auto& words = pages.words();
        mstch::array rows;
        for (const auto& plan : pages.app().plans.list()) {
            mstch::map row;
            row.emplace("slug", plan.slug);
            row.emplace("name", lang == "en" ? plan.name.en : plan.name.fr);
            row.emplace("version", std::to_string(plan.version));
            std::string prices;
            for (const auto& p : plan.prices) {
                prices += (prices.empty() ? "" : " · ") +
                          formatMoney(p.amountCents + p.membershipCents, lang) + " " +
                          words.text(lang, "plan_price_" + p.interval) + " (" +
                          words.text(lang, "plan_kind_" + p.kind) + ")";
            }
            row.emplace("prices", plan.free ? words.text(lang, "plans_free") : prices);
            rows.push_back(std::move(row));
        }
        mstch::map data;
        data.emplace("has_plans", !rows.empty());
        data.emplace("plans", std::move(rows));
        if (const auto done = r.query("done")) {
            data.emplace("notice", words.text(lang, "plans_saved") + " " + *done);
        }
        pages.send(r, 200, "admin_plans", "plans_title", std::move(data));
    }));
    router.add("GET", "/admin/plans/new", pages.page([&pages](http::Request& r) {
        if (pages.staff(r)) {
            renderEditor(pages, r, 200, std::nullopt, {{"template_website", "yes"}, {"trial_days", "0"}}, {},
                         {});
        }
    }));
    router.add("POST", "/admin/plans",
               pages.page([&pages](http::Request& r) { save(pages, r, std::nullopt); }));
    router.add("GET", "/admin/plans/{slug}", pages.page([&pages](http::Request& r) {
        if (pages.staff(r)) {
            const Plan plan = pages.app().plans.get(r.param("slug"));
            renderEditor(pages, r, 200, plan, valuesOf(plan), {}, {});
        }
    }));
    router.add("POST", "/admin/plans/{slug}", pages.page([&pages](http::Request& r) {
        save(pages, r, pages.app().plans.get(r.param("slug")));
    }));
}

}  // namespace chatiere::manager::web
