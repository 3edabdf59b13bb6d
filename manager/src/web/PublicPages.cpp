// The public pages: home with the plans and their prices, terms of service, the host's promises,
// and the stylesheet.

#include "billing/Money.h"
#include "web/Web.h"
#include "web/WebSecurity.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::manager::web {

namespace {

const std::vector<std::string> kQuotaOrder = {"services", "disk_gib", "memory_mib", "vcpus"};

mstch::map planView(const Plan& plan, const std::string& lang, const Translations& words) {
    mstch::map view;
    view.emplace("slug", plan.slug);
    view.emplace("name", lang == "en" ? plan.name.en : plan.name.fr);
    mstch::array prices;
    for (const auto& p : plan.prices) {
        mstch::map price;
        price.emplace("amount", formatMoney(p.amountCents + p.membershipCents, lang));
        price.emplace("interval", words.text(lang, "plan_price_" + p.interval));
        price.emplace("kind", words.text(lang, "plan_kind_" + p.kind));
        if (p.membershipCents > 0) {
            price.emplace("membership", formatMoney(p.membershipCents, lang));
        }
        if (p.floorCents) {
            price.emplace("floor", formatMoney(*p.floorCents + p.membershipCents, lang));
        }
        prices.push_back(std::move(price));
    }
    view.emplace("prices", std::move(prices));
    mstch::array quotas;
    for (const auto& metric : kQuotaOrder) {
        const auto it = plan.quotas.find(metric);
        if (it == plan.quotas.end()) {
            continue;
        }
        mstch::map quota;
        quota.emplace("label", words.text(lang, "plan_quota_" + metric));
        quota.emplace("included", std::to_string(it->second.included));
        if (it->second.limit > it->second.included) {
            quota.emplace("limit", std::to_string(it->second.limit));
        }
        if (const auto overage = plan.overageCents.find(metric); overage != plan.overageCents.end()) {
            quota.emplace("overage", formatMoney(overage->second, lang));
        }
        quotas.push_back(std::move(quota));
    }
    view.emplace("quotas", std::move(quotas));
    if (plan.trialDays > 0) {
        view.emplace("trial_days", std::to_string(plan.trialDays));
    }
    return view;
}

// web.dir/assets: a name of letters, digits, '-', '_' and one '.', with a known type.
void sendAsset(http::Request& r, const std::string& webDir) {
    const std::string& name = r.param("name");
    static const std::map<std::string, std::string> kTypes = {{".css", "text/css; charset=utf-8"},
                                                              {".js", "text/javascript; charset=utf-8"},
                                                              {".svg", "image/svg+xml"},
                                                              {".png", "image/png"}};
    const auto safe =
        !name.empty() && name.size() <= 64 && name.front() != '.' &&
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos &&
        std::count(name.begin(), name.end(), '.') == 1;
    const auto type = safe ? kTypes.find(std::filesystem::path(name).extension().string()) : kTypes.end();
    std::ifstream in(std::filesystem::path(webDir) / "assets" / name, std::ios::binary);
    if (type == kTypes.end() || !in) {
        throw Error::notFound("Asset " + name);
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    addSecurityHeaders(r.response());
    r.response().set("Cache-Control", "public, max-age=3600");
    r.sendText(200, type->second, bytes.str());
}

}  // namespace

void registerPublicPages(http::Router& router, Pages& pages) {
    router.add("GET", "/", pages.page([&pages](http::Request& r) {
        const std::string lang = pages.language(r);
        mstch::array plans;
        for (const auto& plan : pages.api().plans.list()) {
            plans.push_back(planView(plan, lang, pages.words()));
        }
        mstch::map data;
        data.emplace("plans", std::move(plans));
        pages.send(r, 200, "home", "home_title", std::move(data));
    }));
    router.add("GET", "/terms", pages.page([&pages](http::Request& r) {
        const std::string lang = pages.language(r);
        mstch::array paragraphs;
        std::istringstream text(api::readTerms(pages.api().settings, lang));
        std::string line, paragraph;
        const auto flush = [&] {
            if (!paragraph.empty()) {
                paragraphs.push_back(paragraph);
                paragraph.clear();
            }
        };
        // Markdown kept simple: blank lines part paragraphs; heading marks are dropped.
        while (std::getline(text, line)) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) {
                flush();
                continue;
            }
            const auto start = line.find_first_not_of("# ");
            paragraph += (paragraph.empty() ? "" : " ") + line.substr(start == std::string::npos ? 0 : start);
        }
        flush();
        mstch::map data;
        data.emplace("heading", pages.words().text(lang, "terms_title"));
        data.emplace("paragraphs", std::move(paragraphs));
        pages.send(r, 200, "text", "terms_title", std::move(data));
    }));
    router.add("GET", "/promises", pages.page([&pages](http::Request& r) {
        pages.send(r, 200, "promises", "promises_title", {});
    }));
    router.add("GET", "/assets/{name}",
               pages.page([&pages](http::Request& r) { sendAsset(r, pages.api().settings.webDir); }));
}

}  // namespace chatiere::manager::web
