// The plans' service over a real SQLite file: the admin creates and versions plans from typed
// definitions; each rule of a plan refuses by its field with today's codes and writes nothing; a
// PUT replaces the whole plan; the store reads a saved body back as it was saved, in the format of
// earlier versions too.

#include "domain/PlanService.h"

#include "ServiceFixture.h"
#include "api/Commands.h"

#include <sstream>

using namespace chatiere::manager;
using chatiere::manager::testing::ServiceFixture;

namespace {

LocalizedInput perLanguage(const std::string& fr, const std::string& en) {
    LocalizedInput in;
    in.form = LocalizedInput::Form::PerLanguage;
    in.fr = fr;
    in.en = en;
    return in;
}

LocalizedInput oneText(const std::string& text) {
    LocalizedInput in;
    in.form = LocalizedInput::Form::OneText;
    in.text = text;
    return in;
}

PlanDefinition good() {
    PlanDefinition d;
    d.slug = "asso-web";
    d.name = perLanguage("Site web", "Website");
    d.description = oneText(" Un site ");
    d.templates = {"website"};
    d.prices = std::vector<PriceInput>{{"month", "association", 1000, 200, std::nullopt},
                                       {"year", "association", 10000, std::nullopt, 500}};
    d.quotas["services"] = {2, 3};
    d.quotas["disk_gib"] = {1, 5};
    d.overageUnitCents["disk_gib"] = 50;
    d.trialDays = 14;
    return d;
}

std::string text(const Plan& plan) {
    Plan copy = plan;
    copy.version = 0;
    copy.createdAt.clear();
    std::ostringstream out;
    planToJson(copy).stringify(out);
    return out.str();
}

class PlanServiceTest : public ServiceFixture {
protected:
    PlanService plans{db, clock};

    // The field errors (field → code) of checking `d`; empty when it is accepted.
    static std::map<std::string, std::string> errorsOf(const PlanDefinition& d,
                                                       const std::optional<std::string>& slugInPath = {}) {
        try {
            checkPlanDefinition(d, slugInPath);
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::Validation);
            std::map<std::string, std::string> out;
            for (const auto& f : e.fields()) {
                out[f.field] = f.code;
            }
            return out;
        }
        return {};
    }

    void plant(const std::string& slug, const std::string& body) {
        auto s = db.session();
        s.execute("INSERT INTO plans (slug, version, created_at, updated_at) VALUES (?, 1, 'x', 'x')", slug);
        s.execute("INSERT INTO plan_versions (slug, version, body, created_at) VALUES (?, 1, ?, 'x')", slug,
                  body);
    }
};

TEST_F(PlanServiceTest, TheAdminCreatesAPlanSavedInTheSameBodyAsBefore) {
    const Plan plan = plans.create(admin(), good());
    EXPECT_EQ(plan.slug, "asso-web");
    EXPECT_EQ(plan.version, 1);
    EXPECT_EQ(plan.description.fr, "Un site");
    EXPECT_EQ(plan.description.en, "Un site");
    ASSERT_EQ(plan.prices.size(), 2u);
    EXPECT_EQ(plan.prices[0].membershipCents, 200);
    EXPECT_EQ(plan.prices[1].membershipCents, 0);
    EXPECT_EQ(plan.prices[1].floorCents, 500);
    EXPECT_EQ(plan.overageCents.at("disk_gib"), 50);
    EXPECT_EQ(plan.trialDays, 14);
    EXPECT_EQ(db.session().text("SELECT body FROM plan_versions WHERE slug = 'asso-web'"),
              R"({"slug":"asso-web","version":1,"name":{"en":"Website","fr":"Site web"},)"
              R"("description":{"en":"Un site","fr":"Un site"},"templates":["website"],"free":false,)"
              R"("prices":[{"interval":"month","kind":"association","amount_cents":1000,)"
              R"("membership_cents":200,"currency":"EUR"},{"interval":"year","kind":"association",)"
              R"("amount_cents":10000,"floor_cents":500,"currency":"EUR"}],)"
              R"("quotas":{"disk_gib":{"included":1,"limit":5},"services":{"included":2,"limit":3}},)"
              R"("overage":{"disk_gib":{"unit_cents":50}},"trial_days":14})");
    EXPECT_EQ(text(plans.get("asso-web")), text(plan));
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action = 'plan.create'"), 1);
}

TEST_F(PlanServiceTest, TransferHasQuotasAndAnOveragePriceLikeStoredData) {
    PlanDefinition d = good();
    d.quotas["transfer_gib"] = {100, 500};
    d.overageUnitCents["transfer_gib"] = 2;
    const Plan plan = plans.create(admin(), d);
    EXPECT_EQ(plan.quotas.at("transfer_gib").included, 100);
    EXPECT_EQ(plan.quotas.at("transfer_gib").limit, 500);
    EXPECT_EQ(plan.overageCents.at("transfer_gib"), 2);
    EXPECT_EQ(text(plans.get("asso-web")), text(plan));
}

TEST_F(PlanServiceTest, EachBadFieldIsRefusedWithItsCodeAndNothingIsWritten) {
    using Errors = std::map<std::string, std::string>;
    const auto with = [](auto change) {
        PlanDefinition d = good();
        change(d);
        return d;
    };
    const std::vector<std::pair<PlanDefinition, Errors>> cases = {
        {with([](PlanDefinition& d) { d.slug = " "; }), {{"slug", "missing"}}},
        {with([](PlanDefinition& d) { d.slug = "Pas Bon"; }), {{"slug", "invalid_slug"}}},
        {with([](PlanDefinition& d) { d.slug = std::string(41, 'a'); }), {{"slug", "too_long"}}},
        {with([](PlanDefinition& d) { d.name = {}; }), {{"name", "missing"}}},
        {with([](PlanDefinition& d) { d.name = oneText(""); }), {{"name", "missing"}}},
        {with([](PlanDefinition& d) { d.name = perLanguage("", "Website"); }), {{"name.fr", "missing"}}},
        {with([](PlanDefinition& d) { d.name = oneText(std::string(121, 'x')); }), {{"name", "too_long"}}},
        {with([](PlanDefinition& d) { d.description = perLanguage("", std::string(2001, 'x')); }),
         {{"description.en", "too_long"}}},
        {with([](PlanDefinition& d) {
             d.templates = {"website", "Pas Bon"};
         }),
         {{"templates.1", "invalid_template"}}},
        {with([](PlanDefinition& d) { d.prices.reset(); }), {{"prices", "missing"}}},
        {with([](PlanDefinition& d) { d.free = true; }), {{"prices", "free_with_prices"}}},
        {with([](PlanDefinition& d) { d.prices->at(0) = PriceInput{}; }),
         {{"prices.0.interval", "missing"},
          {"prices.0.kind", "missing"},
          {"prices.0.amount_cents", "missing"}}},
        {with([](PlanDefinition& d) {
             d.prices->at(0).interval = "week";
             d.prices->at(0).kind = "club";
         }),
         {{"prices.0.interval", "invalid_interval"}, {"prices.0.kind", "invalid_kind"}}},
        {with([](PlanDefinition& d) { d.prices->at(0).amountCents = -1; }),
         {{"prices.0.amount_cents", "invalid_amount"}}},
        {with([](PlanDefinition& d) { d.prices->at(0).amountCents = kMaxPriceCents + 1; }),
         {{"prices.0.amount_cents", "invalid_amount"}}},
        {with([](PlanDefinition& d) { d.prices->at(0).membershipCents = -1; }),
         {{"prices.0.membership_cents", "invalid_amount"}}},
        {with([](PlanDefinition& d) { d.prices->at(1).floorCents = 10001; }),
         {{"prices.1.floor_cents", "invalid_floor"}}},
        {with([](PlanDefinition& d) { d.prices->at(1).interval = "month"; }),
         {{"prices.1", "duplicate_price"}}},
        {with([](PlanDefinition& d) { d.quotas["bananas"] = {}; }), {{"quotas.bananas", "unknown_metric"}}},
        {with([](PlanDefinition& d) { d.quotas["vcpus"] = {}; }),
         {{"quotas.vcpus.included", "missing"}, {"quotas.vcpus.limit", "missing"}}},
        {with([](PlanDefinition& d) {
             d.quotas["vcpus"] = {-1, 1'000'001};
         }),
         {{"quotas.vcpus.included", "invalid_quota"}, {"quotas.vcpus.limit", "invalid_quota"}}},
        {with([](PlanDefinition& d) {
             d.quotas["vcpus"] = {3, 2};
         }),
         {{"quotas.vcpus", "included_above_limit"}}},
        {with([](PlanDefinition& d) { d.overageUnitCents["vcpus"] = 5; }),
         {{"overage.vcpus", "unknown_metric"}}},
        {with([](PlanDefinition& d) { d.overageUnitCents["disk_gib"] = std::nullopt; }),
         {{"overage.disk_gib.unit_cents", "missing"}}},
        {with([](PlanDefinition& d) { d.overageUnitCents["disk_gib"] = -1; }),
         {{"overage.disk_gib.unit_cents", "invalid_amount"}}},
        {with([](PlanDefinition& d) { d.trialDays = 367; }), {{"trial_days", "invalid_trial"}}},
    };
    admin();
    const std::string before = dump();
    for (std::size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(errorsOf(cases[i].first), cases[i].second) << "case " << i;
        expectError([&] { plans.create(admin(), cases[i].first); }, ErrorKind::Validation, "invalid_fields");
    }
    EXPECT_EQ(dump(), before);
    EXPECT_EQ(errorsOf(good()), Errors{});
}

TEST_F(PlanServiceTest, MessagesAndOrderAreThoseOfTheJsonChecks) {
    PlanDefinition d = good();
    d.slug = "Pas Bon";
    d.prices->at(0).amountCents = -5;
    try {
        checkPlanDefinition(d, std::nullopt);
        FAIL() << "accepted";
    } catch (const Error& e) {
        ASSERT_EQ(e.fields().size(), 2u);
        EXPECT_EQ(e.fields()[0].field, "slug");
        EXPECT_EQ(e.fields()[0].message, "2 to 40 characters: lower-case letters, digits and hyphens.");
        EXPECT_EQ(e.fields()[1].field, "prices.0.amount_cents");
        EXPECT_EQ(e.fields()[1].message, "A price in cents from 0 to 10000000.");
    }
}

TEST_F(PlanServiceTest, AnUpdateReplacesThePlanWhateverItLeavesOut) {
    plans.create(admin(), good());
    PlanDefinition d;  // no slug: the address's; no description, trial, free, quota or overage
    d.name = oneText("Site");
    d.prices = std::vector<PriceInput>{{"year", "individual", 3000, std::nullopt, std::nullopt}};
    const Plan v2 = plans.update(admin(), "asso-web", d);
    EXPECT_EQ(v2.slug, "asso-web");
    EXPECT_EQ(v2.version, 2);
    EXPECT_EQ(v2.name.en, "Site");
    EXPECT_EQ(v2.description.fr, "");
    EXPECT_TRUE(v2.templates.empty());
    EXPECT_FALSE(v2.free);
    EXPECT_EQ(v2.trialDays, 0);
    EXPECT_TRUE(v2.quotas.empty());
    EXPECT_TRUE(v2.overageCents.empty());
    ASSERT_EQ(v2.prices.size(), 1u);
    EXPECT_EQ(text(plans.get("asso-web")), text(v2));

    d.slug = "asso-web";  // given, the same: accepted
    EXPECT_EQ(plans.update(admin(), "asso-web", d).version, 3);
    d.slug = "autre";
    EXPECT_EQ(errorsOf(d, std::string("asso-web")),
              (std::map<std::string, std::string>{{"slug", "slug_mismatch"}}));
    d.slug.clear();
    d.prices.reset();
    EXPECT_EQ(errorsOf(d, std::string("asso-web")),
              (std::map<std::string, std::string>{{"prices", "missing"}}));
    d.free = true;  // a free plan needs no prices
    const Plan free = plans.update(admin(), "asso-web", d);
    EXPECT_TRUE(free.free);
    EXPECT_TRUE(free.prices.empty());
    EXPECT_EQ(plans.get("asso-web").version, 4);
    PlanDefinition other = good();
    other.slug.clear();
    expectRefused([&] { plans.update(admin(), "nope", other); }, ErrorKind::NotFound, "not_found");
}

TEST_F(PlanServiceTest, OnlyTheAdminChangesPlans) {
    admin();
    const Actor treasurer{"usr_t", "t@host.test", StaffRole::Treasurer, "127.0.0.1"};
    const Actor nobody{std::nullopt, "", std::nullopt, "127.0.0.1"};
    expectRefused([&] { plans.create(treasurer, good()); }, ErrorKind::Forbidden, "forbidden");
    expectRefused([&] { plans.create(nobody, good()); }, ErrorKind::Unauthenticated, "unauthenticated");
    plans.create(admin(), good());
    expectRefused([&] { plans.update(treasurer, "asso-web", good()); }, ErrorKind::Forbidden, "forbidden");
    expectRefused([&] { plans.create(admin(), good()); }, ErrorKind::Conflict, "plan_exists");
}

TEST_F(PlanServiceTest, TheStoreReadsBackEachBodyAsTheJsonChecksDid) {
    // Bodies as this version writes them and as earlier ones did (no free, overage, trial_days or
    // description; a name as one text): read by the store's own reader, each gives the plan that
    // checking it again as a request gives (how the store read them before).
    const std::vector<std::string> bodies = {
        R"({"slug": "bench", "name": {"fr": "Site web", "en": "Website"}, "templates": ["website"],
            "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000, "membership_cents": 200}],
            "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}},
            "overage": {"disk_gib": {"unit_cents": 50}}})",
        R"({"slug": "asso", "name": {"fr": "Asso", "en": "Asso"}, "templates": [], "prices": [],
            "quotas": {}, "free": true})",
        R"({"slug": "texte", "name": "Découverte", "prices": [{"interval": "year", "kind": "other",
            "amount_cents": 0, "floor_cents": 0, "currency": "EUR"}], "trial_days": 30})",
        R"({"slug":"asso-web","version":1,"name":{"en":"Website","fr":"Site web"},)"
        R"("description":{"en":"Un site","fr":"Un site"},"templates":["website"],"free":false,)"
        R"("prices":[{"interval":"year","kind":"association","amount_cents":10000,"floor_cents":500,)"
        R"("currency":"EUR"}],"quotas":{"disk_gib":{"included":1,"limit":5}},)"
        R"("overage":{"disk_gib":{"unit_cents":50}},"trial_days":14})",
    };
    for (const auto& body : bodies) {
        const auto json = ServiceFixture::json(body);
        const std::string slug = json->getValue<std::string>("slug");
        plant(slug, body);
        const Plan read = plans.get(slug);
        EXPECT_EQ(read.version, 1);
        EXPECT_EQ(read.createdAt, "x");
        EXPECT_EQ(text(read), text(checkPlanDefinition(api::parsePlanDefinition(json), slug))) << body;
    }
    const Plan old = plans.get("bench");
    EXPECT_FALSE(old.free);
    EXPECT_EQ(old.trialDays, 0);
    EXPECT_EQ(old.description.fr, "");
    EXPECT_FALSE(old.prices[0].floorCents);
    EXPECT_EQ(plans.get("texte").name.en, "Découverte");
}

}  // namespace
