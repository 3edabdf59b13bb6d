// The public pages: home with the plans and their prices, terms of service, the host's promises,
// the status page (availability per kind of service, incidents), and the stylesheet.

#include "app/Terms.h"
#include "billing/Money.h"
#include "chatiere/manager/Time.h"
#include "web/Web.h"
#include "web/WebSecurity.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::manager::web {

namespace {

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
    for (const auto& metric : quotaMetrics()) {
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

// "99,95 %" (fr, a narrow no-break space) or "99.95%", floored to the hundredth: 100 % means
// that every check passed.
std::string formatPercent(int64_t ok, int64_t checks, const std::string& lang) {
    const int64_t hundredths = ok * 10000 / checks;
    return formatQuantity(hundredths * 10, lang) + (lang == "en" ? "%" : "\u202f%");
}

// The date, then the local time: "03/12/2026 14:05" / "3 December 2026 14:05".
std::string formatMoment(const std::string& rfc3339, const Calendar& calendar, const std::string& lang) {
    const auto t = parseTime(rfc3339);
    return t ? formatDate(calendar.dateOf(*t), lang) + " " + calendar.timeOf(*t) : rfc3339;
}

std::string kindTitle(const templates::Catalogue& catalogue, const std::string& kind,
                      const std::string& lang) {
    for (const auto& m : catalogue.all()) {
        if (m.kind == kind) {
            return lang == "en" ? m.title.en : m.title.fr;
        }
    }
    return kind;
}

mstch::map statusView(const Status& status, Pages& pages, const std::string& lang) {
    const auto& words = pages.words();
    const auto& catalogue = pages.app().catalogue;
    const auto& calendar = pages.app().calendar;
    const std::string colon = lang == "en" ? ": " : " : ";
    mstch::array kinds;
    for (const auto& k : status.kinds) {
        mstch::array days;
        for (const auto& d : k.days) {
            std::string level = "none", glyph = "\u2013";
            std::string value = words.text(lang, "status_no_data");
            if (d.checks > 0) {
                const int64_t hundredths = d.ok * 10000 / d.checks;
                level = hundredths == 10000 ? "ok" : hundredths >= 9000 ? "degraded" : "down";
                glyph = hundredths == 10000 ? "\u2713" : hundredths >= 9000 ? "!" : "\u2715";
                value = formatPercent(d.ok, d.checks, lang);
            }
            mstch::map day;
            day.emplace("level", level);
            day.emplace("glyph", glyph);
            day.emplace("label", formatDate(d.day, lang) + colon + value);
            days.push_back(std::move(day));
        }
        mstch::map kind;
        kind.emplace("kind", k.kind);
        kind.emplace("title", lang == "en" ? k.title.en : k.title.fr);
        kind.emplace("percent",
                     k.checks > 0 ? formatPercent(k.ok, k.checks, lang) : words.text(lang, "status_no_data"));
        kind.emplace("days", std::move(days));
        kinds.push_back(std::move(kind));
    }
    mstch::array incidents;
    bool ongoing = false;
    for (const auto& i : status.incidents) {
        mstch::map incident;
        incident.emplace("started_at", i.startedAt);
        incident.emplace("start", formatMoment(i.startedAt, calendar, lang));
        if (i.endedAt) {
            incident.emplace("ended_at", *i.endedAt);
            incident.emplace("end", formatMoment(*i.endedAt, calendar, lang));
        }
        ongoing = ongoing || !i.endedAt;
        incident.emplace("severity", words.text(lang, "status_severity_" + i.severity));
        incident.emplace("what", i.kind == "host" ? words.text(lang, "status_kind_host")
                                 : i.serviceKind  ? kindTitle(catalogue, *i.serviceKind, lang)
                                                  : words.text(lang, "status_kind_service"));
        incidents.push_back(std::move(incident));
    }
    mstch::map data;
    data.emplace("period", formatDate(status.from, lang) + " \u2013 " + formatDate(status.to, lang));
    data.emplace("kinds", std::move(kinds));
    data.emplace("ongoing", ongoing);
    data.emplace("has_incidents", !incidents.empty());
    data.emplace("incidents", std::move(incidents));
    return data;
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
        for (const auto& plan : pages.app().plans.list()) {
            plans.push_back(planView(plan, lang, pages.words()));
        }
        mstch::map data;
        data.emplace("plans", std::move(plans));
        pages.send(r, 200, "home", "home_title", std::move(data));
    }));
    router.add("GET", "/terms", pages.page([&pages](http::Request& r) {
        const std::string lang = pages.language(r);
        mstch::array paragraphs;
        std::istringstream text(app::readTerms(pages.app().settings, lang));
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
    router.add("GET", "/status", pages.page([&pages](http::Request& r) {
        const std::string lang = pages.language(r);
        pages.send(r, 200, "status", "status_title", statusView(pages.app().status.build(), pages, lang));
    }));
    router.add("GET", "/assets/{name}",
               pages.page([&pages](http::Request& r) { sendAsset(r, pages.app().settings.webDir); }));
}

}  // namespace chatiere::manager::web
