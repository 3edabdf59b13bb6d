// An association's data export on the real server: one zip with its records as JSON, its invoices
// as PDF (and its websites' content where a volume holds some); managers and the admin only, 404
// for another association, audited.

#include "Browser.h"
#include "TestDaemon.h"
#include "Unzip.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <map>
#include <sstream>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
    "quotas": {"services": {"included": 2, "limit": 2}, "disk_gib": {"included": 1, "limit": 5}}})";

TEST(Export, AManagerDownloadsEverythingOfTheAssociation) {
    TestDaemon d;
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);
    const std::string a = d.approvedAssociation(admin, "Jardin partagé", "camille@jardin.test", "asso-web");
    const std::string b = d.approvedAssociation(admin, "Chorale", "dominique@chorale.test", "asso-web");
    ASSERT_EQ(admin
                  .post("/api/v1/associations/" + a + "/subscriptions",
                        R"({"plan": "asso-web", "interval": "month"})")
                  .status,
              201);
    ASSERT_EQ(
        admin.post("/api/v1/associations/" + a + "/services", R"({"template": "website", "name": "site"})")
            .status,
        202);
    ApiClient camille = d.login("camille@jardin.test", "correct horse battery");

    const auto r = camille.get("/api/v1/associations/" + a + "/export");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.at("Content-Type"), "application/zip");
    EXPECT_NE(r.headers.at("Content-Disposition").find("attachment; filename=\"chatiere-" + a + ".zip\""),
              std::string::npos);
    const auto files = unzip(r.body);
    ASSERT_TRUE(files.count("README.txt"));
    ASSERT_TRUE(files.count("association.json"));
    const std::string number = camille.get("/api/v1/invoices?association=" + a)
                                   .json()
                                   ->getArray("invoices")
                                   ->getObject(0)
                                   ->getValue<std::string>("number");
    ASSERT_TRUE(files.count("invoices/" + number + ".pdf")) << number;
    for (const auto& [name, content] : files) {
        if (name.rfind("invoices/", 0) == 0) {
            EXPECT_EQ(content.substr(0, 5), "%PDF-") << name;
        }
    }
    const auto record =
        Poco::JSON::Parser().parse(files.at("association.json")).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(record->getValue<std::string>("format"), "chatiere-export/1");
    EXPECT_EQ(record->getObject("association")->getValue<std::string>("name"), "Jardin partagé");
    EXPECT_EQ(record->getArray("members")->size(), 1u);
    EXPECT_EQ(record->getArray("services")->size(), 1u);
    EXPECT_EQ(record->getArray("subscriptions")->size(), 1u);
    ASSERT_EQ(record->getArray("invoices")->size(), 1u);
    EXPECT_EQ(record->getArray("invoices")->getObject(0)->getValue<int64_t>("total_cents"), 1000);
    EXPECT_EQ(record->getArray("invoices")->getObject(0)->getArray("lines")->size(), 1u);
    EXPECT_TRUE(record->isArray("usage_daily"));
    // Nothing of another association in it.
    EXPECT_EQ(files.at("association.json").find("Chorale"), std::string::npos);

    // Audited; another association's manager, or nobody, gets nothing.
    {
        auto s = d.daemon().database().session();
        int n = 0;
        s << "SELECT COUNT(*) FROM audit_log WHERE action = 'association.export'", into(n), now;
        EXPECT_EQ(n, 1);
    }
    ApiClient dominique = d.login("dominique@chorale.test", "correct horse battery");
    EXPECT_EQ(dominique.get("/api/v1/associations/" + a + "/export").status, 404);
    EXPECT_EQ(d.client().get("/api/v1/associations/" + a + "/export").status, 401);
    EXPECT_EQ(dominique.get("/api/v1/associations/" + b + "/export").status, 200);

    // The dashboard links to it, with the page's session.
    Browser page(d.daemon().port());
    page.get("/login");
    page.post("/login", {{"email", "camille@jardin.test"}, {"password", "correct horse battery"}});
    const auto dashboard = page.get("/associations/" + a);
    EXPECT_NE(dashboard.body.find("href=\"/api/v1/associations/" + a + "/export?lang=fr\" download"),
              std::string::npos);
    EXPECT_EQ(page.get("/api/v1/associations/" + a + "/export").status, 200);
}

// A day whose stored bytes are unknown (the volume could not be read: NULL in the usage tables) is
// exported with that figure as null — not 0, not an error.
TEST(Export, AnUnknownFigureIsExportedAsNull) {
    TestDaemon d;
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);
    const std::string a = d.approvedAssociation(admin, "Jardin partagé", "camille@jardin.test", "asso-web");
    {
        auto s = d.daemon().database().session();
        s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, memory_kib_avg, "
             "memory_kib_max, stored_bytes_avg, stored_bytes_max) VALUES (?, '2026-11-30', 12, 3000000000, "
             "NULL, NULL, NULL, NULL), (?, '2026-12-01', 24, 6000000000, 1024, 2048, 4096, 8192)",
            bind(a), bind(a), now;
    }
    ApiClient camille = d.login("camille@jardin.test", "correct horse battery");

    const auto r = camille.get("/api/v1/associations/" + a + "/export");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto record =
        Poco::JSON::Parser().parse(unzip(r.body).at("association.json")).extract<Poco::JSON::Object::Ptr>();
    const auto days = record->getArray("usage_daily");
    ASSERT_EQ(days->size(), 2u);
    const auto unknown = days->getObject(0);
    EXPECT_EQ(unknown->getValue<std::string>("day"), "2026-11-30");
    EXPECT_EQ(unknown->getValue<int64_t>("samples"), 12);
    ASSERT_TRUE(unknown->has("stored_bytes_avg"));
    EXPECT_TRUE(unknown->isNull("stored_bytes_avg"));
    EXPECT_TRUE(unknown->isNull("stored_bytes_max"));
    const auto known = days->getObject(1);
    EXPECT_EQ(known->getValue<int64_t>("stored_bytes_avg"), 4096);
    EXPECT_EQ(known->getValue<int64_t>("stored_bytes_max"), 8192);
}

}  // namespace
