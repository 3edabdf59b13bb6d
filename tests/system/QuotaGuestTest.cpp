// The quota ladder on a real QEMU guest: content filling the association's data past 80 % of
// what its plan includes sends a mail that the test SMTP server receives; content that reaches the
// limit, kept past the grace period, adds the `quota` suspension reason and the site stops
// answering; smaller content brings it back. Each step is in the audit log.

#include "Eventually.h"
#include "SystemGuests.h"
#include "TestDaemon.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/DeflatingStream.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

using namespace chatiere::testing;

namespace {

constexpr std::size_t kGiB = std::size_t{1} << 30;

// A site whose data file makes what the volume stores about `fillerBytes` long, gzipped. Not zeros:
// mkfs.ext4 leaves blocks of zeros as holes, which take no space.
std::string siteOf(std::size_t fillerBytes, const std::string& title) {
    std::ostringstream gz;
    {
        Poco::DeflatingOutputStream deflater(gz, Poco::DeflatingStreamBuf::STREAM_GZIP, 1);
        deflater << chatiere::provisioning::makeTar(
            {{"index.html", "<h1>" + title + "</h1>"}, {"data.bin", std::string(fillerBytes, 'x')}});
        deflater.close();
    }
    return gz.str();
}

std::vector<std::string> subjectsTo(TestDaemon& d, const std::string& to) {
    std::vector<std::string> out;
    for (const auto& m : d.sink().messagesTo(to)) {
        out.push_back(m.subject);
    }
    return out;
}

bool anyContains(const std::vector<std::string>& texts, const std::string& part) {
    for (const auto& t : texts) {
        if (t.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST(QuotaGuest, FullerDataMailsThenSuspendsTheSiteAndSmallerContentResumesIt) {
    if (!libvirtdAnswers()) {
        CHATIERE_MISSING_PART(kNoLibvirtd);
    }
    std::string pool;
    TestDaemon d(
        [&pool](chatiere::manager::Settings& s) {
            pool = useRealGuests(s, 22200, 22299);
            s.quotaGraceSeconds = 15;
        },
        /*startSink=*/true, /*realClock=*/true);
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin
                  .post("/api/v1/plans", R"({"slug": "petit", "name": "Petit", "free": true, "prices": [],
        "quotas": {"disk_gib": {"included": 1, "limit": 2}}})")
                  .status,
              201);
    const std::string association =
        d.approvedAssociation(admin, "Jardin partagé", "camille@jardin.test", "petit");
    ApiClient manager = d.login("camille@jardin.test", "correct horse battery");

    const auto created = manager.post("/api/v1/associations/" + association + "/services",
                                      R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    const auto state = [&] {
        return manager.get("/api/v1/services/" + id).json()->getValue<std::string>("state");
    };
    const auto settle = [&](std::chrono::seconds timeout) {
        return eventually(
            [&] {
                const auto s = state();
                return (s == "active" || s == "failed" || s == "suspended") && d.daemon().pendingJobs() == 0;
            },
            timeout);
    };
    ASSERT_TRUE(settle(std::chrono::seconds(240)));
    ASSERT_EQ(state(), "active") << manager.get("/api/v1/services/" + id).body;
    // A site's filesystem fits in its disk, with ext4's metadata beside the files: the site stores
    // less than its disk. A disk of 2 GiB, so that it can hold more than the 1 GiB limit the plan
    // gets below (the guest keeps its template's memory: it serves the site from disk).
    ASSERT_EQ(manager.request("PATCH", "/api/v1/services/" + id, R"({"disk_gib": 2})").status, 202);
    ASSERT_TRUE(settle(std::chrono::seconds(240)));
    ASSERT_EQ(state(), "active") << manager.get("/api/v1/services/" + id).body;
    const std::string endpoint =
        manager.get("/api/v1/services/" + id).json()->getValue<std::string>("endpoint");
    const int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));

    // 1. Past 80 % of the 1 GiB included: a mail, and nothing stops.
    auto uploaded = manager.request("PUT", "/api/v1/services/" + id + "/content",
                                    siteOf(kGiB * 85 / 100 / 512 * 512, "Presque plein"), "application/gzip");
    ASSERT_EQ(uploaded.status, 202) << uploaded.body;
    ASSERT_TRUE(settle(std::chrono::seconds(240)));
    EXPECT_TRUE(
        eventually([&] { return anyContains(subjectsTo(d, "camille@jardin.test"), "données stockées"); },
                   std::chrono::seconds(60)))
        << "no mail at 80 %";
    EXPECT_NE(page(port).value_or("").find("Presque plein"), std::string::npos);
    const auto usage = manager.get("/api/v1/associations/" + association + "/usage");
    EXPECT_GT(usage.json()->getObject("metrics")->getObject("disk_gib")->getValue<double>("used"), 0.84)
        << usage.body;

    // 2. The plan's limit lowered to what it includes (1 GiB), then content past it (1.05 GiB), kept
    // past the 15 s grace period: the `quota` reason, and the site stops answering.
    ASSERT_EQ(admin
                  .request("PUT", "/api/v1/plans/petit", R"({"slug": "petit", "name": "Petit", "free": true,
        "prices": [], "quotas": {"disk_gib": {"included": 1, "limit": 1}}})")
                  .status,
              200);
    uploaded = manager.request("PUT", "/api/v1/services/" + id + "/content",
                               siteOf(kGiB * 105 / 100, "Plein"), "application/gzip");
    ASSERT_EQ(uploaded.status, 202) << uploaded.body;
    EXPECT_TRUE(eventually(
        [&] {
            const auto s = manager.get("/api/v1/services/" + id).json();
            return s->getArray("suspended_for")->size() == 1 &&
                   s->getArray("suspended_for")->getElement<std::string>(0) == "quota";
        },
        std::chrono::seconds(300)))
        << manager.get("/api/v1/services/" + id).body;
    ASSERT_TRUE(settle(std::chrono::seconds(120)));
    EXPECT_EQ(state(), "suspended");
    EXPECT_TRUE(eventually([&] { return !page(port).has_value(); }, std::chrono::seconds(30)))
        << "the site still answers";
    EXPECT_TRUE(eventually([&] { return anyContains(subjectsTo(d, "camille@jardin.test"), "suspendus"); },
                           std::chrono::seconds(30)));
    const auto alerts = admin.get("/api/v1/alerts");
    EXPECT_NE(alerts.body.find("\"quota\""), std::string::npos) << alerts.body;

    // 3. Smaller content (allowed while suspended): back under the limit, the site starts again.
    uploaded = manager.request("PUT", "/api/v1/services/" + id + "/content", siteOf(1024, "Allégé"),
                               "application/gzip");
    ASSERT_EQ(uploaded.status, 202) << uploaded.body;
    EXPECT_TRUE(eventually([&] { return page(port).value_or("").find("All") != std::string::npos; },
                           std::chrono::seconds(300)))
        << manager.get("/api/v1/services/" + id).body;
    EXPECT_TRUE(manager.get("/api/v1/services/" + id).json()->getArray("suspended_for")->size() == 0);
    EXPECT_TRUE(eventually([&] { return anyContains(subjectsTo(d, "camille@jardin.test"), "redémarrent"); },
                           std::chrono::seconds(30)));

    // Each step in the audit log.
    const auto audit = admin.get("/api/v1/audit?association=" + association + "&limit=200");
    ASSERT_EQ(audit.status, 200);
    std::multiset<std::string> actions;
    const auto entries = audit.json()->getArray("entries");
    for (std::size_t i = 0; i < entries->size(); ++i) {
        actions.insert(entries->getObject(static_cast<unsigned>(i))->getValue<std::string>("action"));
    }
    EXPECT_EQ(actions.count("quota.step"), 2u) << audit.body;  // 80 % of included, then the limit
    EXPECT_EQ(actions.count("quota.enforce"), 1u) << audit.body;
    EXPECT_EQ(actions.count("quota.release"), 1u) << audit.body;
    EXPECT_GE(actions.count("service.suspend"), 1u) << audit.body;
    EXPECT_GE(actions.count("service.resume"), 1u) << audit.body;

    ASSERT_EQ(manager.del("/api/v1/services/" + id).status, 202);
    EXPECT_TRUE(eventually([&] { return manager.get("/api/v1/services/" + id).status == 404; },
                           std::chrono::seconds(60)));
    d.stop();
    removePool(pool);
}
