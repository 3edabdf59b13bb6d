// The plans editor on the real server: the admin creates a plan from the form (prices in euros per
// interval and kind, a membership part, a pay-what-you-can floor, quotas, overage), edits it into
// a new version, and each refusal is said by its field with what was typed kept and the catalogue
// unchanged. Others get 404.

#include "Browser.h"
#include "TestDaemon.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields planForm() {
    return {{"slug", "asso-site"},
            {"name_fr", "Site associatif"},
            {"name_en", "Association website"},
            {"description_fr", "Un site statique"},
            {"description_en", "A static site"},
            {"template_website", "yes"},
            {"trial_days", "14"},
            {"price_month_association_amount", "3"},
            {"price_year_association_amount", "35"},
            {"price_year_association_membership", "15"},
            {"price_year_individual_amount", "20"},
            {"price_year_individual_floor", "5,50"},
            {"quota_services_included", "1"},
            {"quota_services_limit", "2"},
            {"quota_disk_gib_included", "1"},
            {"quota_disk_gib_limit", "5"},
            {"overage_disk_gib", "0,50"}};
}

Fields with(Fields fields, const std::string& name, const std::string& value) {
    for (auto& [k, v] : fields) {
        if (k == name) {
            v = value;
            return fields;
        }
    }
    fields.emplace_back(name, value);
    return fields;
}

class AdminPlans : public ::testing::Test {
protected:
    std::string plans() {
        auto s = d_.daemon().database().session();
        std::string out;
        s << "SELECT COALESCE(group_concat(slug || ':' || version, ','), '') FROM plans", into(out), now;
        return out;
    }

    TestDaemon d_;
};

TEST_F(AdminPlans, TheAdminCreatesAPlanFromTheFormThenANewVersion) {
    d_.staffClient("admin@chatons.test");
    Browser admin = signedInBrowser(d_.daemon().port(), "admin@chatons.test", "correct horse battery",
                                    d_.nextTotpCode("admin@chatons.test"));
    ASSERT_EQ(admin.get("/admin/plans").status, 200);
    ASSERT_EQ(admin.get("/admin/plans/new").status, 200);
    auto r = admin.post("/admin/plans", planForm());
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers.at("Location"), "/admin/plans?done=asso-site");

    const auto plan = d_.client().get("/api/v1/plans/asso-site").json();
    EXPECT_EQ(plan->getObject("name")->getValue<std::string>("en"), "Association website");
    EXPECT_EQ(plan->getValue<int>("trial_days"), 14);
    const auto prices = plan->getArray("prices");
    ASSERT_EQ(prices->size(), 3u);
    EXPECT_EQ(prices->getObject(1)->getValue<int>("amount_cents"), 3500);
    EXPECT_EQ(prices->getObject(1)->getValue<int>("membership_cents"), 1500);
    EXPECT_EQ(prices->getObject(2)->getValue<int>("floor_cents"), 550);
    EXPECT_EQ(plan->getObject("quotas")->getObject("disk_gib")->getValue<int>("limit"), 5);
    EXPECT_EQ(plan->getObject("overage")->getObject("disk_gib")->getValue<int>("unit_cents"), 50);

    // The editor shows what was saved, in euros; saving makes version 2.
    r = admin.get("/admin/plans/asso-site");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(
        r.body.find("id=\"price_year_individual_floor\" name=\"price_year_individual_floor\" type=\"text\" "
                    "value=\"5.50\""),
        std::string::npos)
        << r.body;
    EXPECT_EQ(r.body.find("id=\"slug\""), std::string::npos) << "the identifier never changes";
    Fields edit = planForm();
    edit.erase(edit.begin());  // no slug
    r = admin.post("/admin/plans/asso-site", with(edit, "price_month_association_amount", "4"));
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(plans(), "asso-site:2");
    EXPECT_NE(admin.get("/admin/plans").body.find("4,00\u202f€ par mois"), std::string::npos);
}

TEST_F(AdminPlans, EachRefusalIsSaidByItsFieldAndTheCatalogueIsUnchanged) {
    ApiClient api = d_.staffClient("admin@chatons.test");
    d_.staffClient("tresorier@chatons.test", "treasurer");
    ASSERT_EQ(api.post("/api/v1/plans", R"({"slug": "pris", "name": "Pris", "prices": []})").status, 201);
    Browser admin = signedInBrowser(d_.daemon().port(), "admin@chatons.test", "correct horse battery",
                                    d_.nextTotpCode("admin@chatons.test"));
    const std::string before = plans();
    struct Case {
        Fields form;
        std::string field;
    };
    for (const auto& c : std::vector<Case>{
             {with(planForm(), "price_month_association_amount", "trois"), "price_month_association_amount"},
             {with(planForm(), "price_year_individual_floor", "25"), "price_year_individual_floor"},
             {with(planForm(), "quota_disk_gib_included", "9"), "quota_disk_gib_limit"},
             {with(planForm(), "quota_services_limit", "beaucoup"), "quota_services_limit"},
             {with(planForm(), "trial_days", "400"), "trial_days"},
             {with(planForm(), "name_fr", ""), "name_fr"},
             {with(planForm(), "slug", "Pas Bon"), "slug"},
             {with(planForm(), "slug", "pris"), "slug"},
         }) {
        const auto r = admin.post("/admin/plans", c.form);
        EXPECT_EQ(r.status, 400) << c.field << r.body.substr(0, 200);
        EXPECT_NE(r.body.find("id=\"" + c.field + "-error\""), std::string::npos) << c.field << "\n"
                                                                                  << r.body;
        EXPECT_NE(r.body.find("value=\"Association website\""), std::string::npos)
            << "what was typed is kept";
    }
    EXPECT_EQ(admin.post("/admin/plans", planForm(), false).status, 403);
    EXPECT_EQ(plans(), before);

    Browser treasurer = signedInBrowser(d_.daemon().port(), "tresorier@chatons.test", "correct horse battery",
                                        d_.nextTotpCode("tresorier@chatons.test"));
    EXPECT_EQ(treasurer.post("/admin/plans", planForm()).status, 403);
    EXPECT_EQ(plans(), before);
    const auto s = d_.signup("Chorale", "dominique@chorale.test");
    (void)s;
    Browser manager = signedInBrowser(d_.daemon().port(), "dominique@chorale.test");
    EXPECT_EQ(manager.get("/admin/plans").status, 404);
    EXPECT_EQ(manager.post("/admin/plans", planForm()).status, 404);
    EXPECT_EQ(plans(), before);
}

}  // namespace
