// A plan as the API gives it: api::parsePlanDefinition reads its JSON types, the domain's
// checkPlanDefinition its rules; parsePlan below is the two in turn, as POST /api/v1/plans does.

#include "api/Commands.h"
#include "chatiere/manager/Error.h"
#include "domain/PlanService.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

using namespace chatiere::manager;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& json) {
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

Plan parsePlan(const Poco::JSON::Object::Ptr& body, const std::optional<std::string>& slugInPath) {
    return checkPlanDefinition(api::parsePlanDefinition(body), slugInPath);
}

std::map<std::string, std::string> fieldErrorsOf(const std::string& json,
                                                 std::optional<std::string> slug = {}) {
    try {
        parsePlan(parse(json), slug);
    } catch (const Error& e) {
        std::map<std::string, std::string> out;
        for (const auto& f : e.fields()) {
            out[f.field] = f.code;
        }
        return out;
    }
    return {};
}

const char* kGood = R"({
  "slug": "asso-web",
  "name": {"fr": "Site associatif", "en": "Association website"},
  "description": "Un site web statique",
  "templates": ["website"],
  "prices": [{"interval": "month", "kind": "association", "amount_cents": 500},
             {"interval": "year", "kind": "association", "amount_cents": 5000},
             {"interval": "year", "kind": "individual", "amount_cents": 3000}],
  "quotas": {"disk_gib": {"included": 5, "limit": 10}, "services": {"included": 1, "limit": 1}}
})";

}  // namespace

TEST(PlanParsing, ReadsTheDocumentedShape) {
    const Plan plan = parsePlan(parse(kGood), std::nullopt);
    EXPECT_EQ(plan.slug, "asso-web");
    EXPECT_EQ(plan.name.fr, "Site associatif");
    EXPECT_EQ(plan.name.en, "Association website");
    EXPECT_EQ(plan.description.fr, "Un site web statique");
    EXPECT_EQ(plan.description.en, "Un site web statique");
    ASSERT_EQ(plan.prices.size(), 3u);
    EXPECT_EQ(plan.prices[1].amountCents, 5000);
    EXPECT_EQ(plan.quotas.at("disk_gib").included, 5);
    EXPECT_EQ(plan.quotas.at("disk_gib").limit, 10);
    EXPECT_EQ(plan.templates, std::vector<std::string>{"website"});
}

TEST(PlanParsing, PlainStringNameServesBothLanguages) {
    const Plan plan = parsePlan(
        parse(
            R"({"slug": "p1", "name": "Découverte", "prices": [{"interval": "month", "kind": "other", "amount_cents": 0}]})"),
        std::nullopt);
    EXPECT_EQ(plan.name.fr, "Découverte");
    EXPECT_EQ(plan.name.en, "Découverte");
}

TEST(PlanParsing, JsonRoundTrip) {
    const Plan plan = parsePlan(parse(kGood), std::nullopt);
    std::ostringstream first;
    planToJson(plan).stringify(first);
    auto json = *parse(first.str());
    json.remove("version");
    auto prices = json.getArray("prices");
    for (std::size_t i = 0; i < prices->size(); ++i) {
        EXPECT_EQ(prices->getObject(static_cast<unsigned>(i))->getValue<std::string>("currency"), "EUR");
        prices->getObject(static_cast<unsigned>(i))->remove("currency");
    }
    std::ostringstream text;
    json.stringify(text);
    const Plan again = parsePlan(parse(text.str()), std::nullopt);
    EXPECT_EQ(again.prices.size(), plan.prices.size());
    EXPECT_EQ(again.quotas.size(), plan.quotas.size());
    EXPECT_EQ(again.name.en, plan.name.en);
}

TEST(PlanParsing, EveryBadFieldIsNamed) {
    // A JSON type is refused first, by the API's parser, before the plan's rules are checked.
    const auto types = fieldErrorsOf(R"({
      "slug": "Bad Slug!",
      "templates": ["ok", 3],
      "quotas": {"disk_gib": {"included": 20, "limit": 10}, "bananas": {"included": 1, "limit": 1},
                 "vcpus": {"included": 1.5, "limit": 2}}
    })");
    EXPECT_EQ(types, (std::map<std::string, std::string>{{"templates.1", "invalid_template"},
                                                         {"quotas.vcpus.included", "wrong_type"}}));
    const auto errors = fieldErrorsOf(R"({
      "slug": "Bad Slug!",
      "templates": ["ok", "Not A Template"],
      "prices": [{"interval": "week", "kind": "club", "amount_cents": -5},
                 {"interval": "month", "kind": "association", "amount_cents": 99999999999},
                 {"interval": "month", "kind": "association", "amount_cents": 100}],
      "quotas": {"disk_gib": {"included": 20, "limit": 10}, "bananas": {"included": 1, "limit": 1},
                 "vcpus": {"included": 1, "limit": 2}}
    })");
    EXPECT_EQ(errors.at("slug"), "invalid_slug");
    EXPECT_EQ(errors.at("name"), "missing");
    EXPECT_EQ(errors.at("templates.1"), "invalid_template");
    EXPECT_EQ(errors.at("prices.0.interval"), "invalid_interval");
    EXPECT_EQ(errors.at("prices.0.kind"), "invalid_kind");
    EXPECT_EQ(errors.at("prices.0.amount_cents"), "invalid_amount");
    EXPECT_EQ(errors.at("prices.1.amount_cents"), "invalid_amount");
    EXPECT_EQ(errors.at("prices.2"), "duplicate_price");
    EXPECT_EQ(errors.at("quotas.disk_gib"), "included_above_limit");
    EXPECT_EQ(errors.at("quotas.bananas"), "unknown_metric");
}

TEST(PlanParsing, PricesAreRequired) {
    EXPECT_EQ(fieldErrorsOf(R"({"slug": "p1", "name": "x"})").at("prices"), "missing");
}

TEST(PlanParsing, AFreePlanHasNoPrice) {
    const Plan free = parsePlan(parse(R"({"slug": "hote", "name": "Hôte", "free": true})"), std::nullopt);
    EXPECT_TRUE(free.free);
    EXPECT_TRUE(free.prices.empty());
    std::ostringstream json;
    planToJson(free).stringify(json);
    EXPECT_TRUE(parsePlan(parse(json.str()), std::nullopt).free) << json.str();
    EXPECT_EQ(fieldErrorsOf(R"({"slug": "p1", "name": "x", "free": true,
        "prices": [{"interval": "month", "kind": "other", "amount_cents": 100}]})")
                  .at("prices"),
              "free_with_prices");
    EXPECT_EQ(fieldErrorsOf(R"({"slug": "p1", "name": "x", "free": "oui", "prices": []})").at("free"),
              "wrong_type");
    EXPECT_FALSE(parsePlan(parse(R"({"slug": "p1", "name": "x", "prices": []})"), std::nullopt).free);
}

TEST(PlanParsing, SlugInPathWins) {
    EXPECT_EQ(fieldErrorsOf(R"({"slug": "other", "name": "x", "prices": []})", std::string("p1")).at("slug"),
              "slug_mismatch");
    const Plan plan = parsePlan(parse(R"({"name": "x", "prices": []})"), std::string("p1"));
    EXPECT_EQ(plan.slug, "p1");
}
