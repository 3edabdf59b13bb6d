// The public status page and GET /api/v1/status on the real server: per kind of service, the
// share of health checks that passed on each of the last 30 local days and over them; the health
// and host incidents of those days with their start, end and severity and the kind of service
// only — never an association's or a service's name, id or address. French, English, JSON.

#include "Browser.h"
#include "TestDaemon.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>
#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"], "free": true, "prices": [],
    "quotas": {"services": {"included": 2, "limit": 2}, "disk_gib": {"included": 1, "limit": 5}}})";

const std::string kNnbsp = "\u202f";

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) {
        ++n;
    }
    return n;
}

class StatusPage : public ::testing::Test {
protected:
    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé des Lilas", "camille@jardin.test", "asso-web");
        b_ = d_.approvedAssociation(*admin_, "Chorale Arc-en-ciel", "dominique@chorale.test", "asso-web");
        serviceA_ = createService(a_, "potager-secret");
        serviceB_ = createService(b_, "chants-caches");
        // Today is 15 December 2026 in Paris: the report runs from 16 November.
        d_.clock().set(parseTime("2026-12-15T10:00:00Z").value());
    }

    std::string createService(const std::string& association, const std::string& name) {
        const auto created = admin_->post("/api/v1/associations/" + association + "/services",
                                          R"({"template": "website", "name": ")" + name + "\"}");
        EXPECT_EQ(created.status, 202) << created.body;
        return created.json()->getValue<std::string>("id");
    }

    void uptime(const std::string& service, const std::string& day, int64_t checks, int64_t ok) {
        auto s = d_.daemon().database().session();
        s << "INSERT INTO service_uptime_daily (service_id, day, checks, ok) VALUES (?, ?, ?, ?)",
            bind(service), bind(day), bind(checks), bind(ok), now;
    }

    void alert(const std::string& key, const std::string& kind, const std::string& severity,
               const std::optional<std::string>& association, const std::optional<std::string>& service,
               const std::string& message, const std::string& opened,
               const std::optional<std::string>& closed) {
        auto s = d_.daemon().database().session();
        s.execute(
            "INSERT INTO alerts (key, kind, severity, association_id, service_id, message, opened_at, "
            "updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            key, kind, severity, association, service, message, opened, opened, closed);
    }

    // Two websites of two associations, checks on some days, and alerts of every kind.
    void history() {
        uptime(serviceA_, "2026-12-14", 100, 100);
        uptime(serviceA_, "2026-12-13", 100, 90);
        uptime(serviceB_, "2026-12-13", 100, 100);
        uptime(serviceA_, "2026-11-16", 50, 50);
        uptime(serviceB_, "2026-11-15", 100, 0);  // before the 30 days: not counted
        alert("health:" + serviceA_, "health", "critical", a_, serviceA_,
              "Service potager-secret failed its health check 3 times", "2026-12-10T08:00:00Z",
              "2026-12-10T09:30:00Z");
        alert("host:test_pool", "host", "warning", std::nullopt, std::nullopt,
              "Storage pool default has 5% of its space free", "2026-12-14T12:00:00Z", std::nullopt);
        alert("quota:" + a_ + ":disk_gib", "quota", "warning", a_, std::nullopt,
              "Jardin partagé des Lilas is at its disk limit", "2026-12-12T07:00:00Z", std::nullopt);
        alert("health:" + serviceB_, "health", "critical", b_, serviceB_, "Service chants-caches failed",
              "2026-11-01T08:00:00Z", "2026-11-02T08:00:00Z");  // before the 30 days
    }

    // Nothing that names or points at an association or one of its services.
    void expectNoTenant(const std::string& body) {
        for (const std::string& secret :
             {std::string("Jardin"), std::string("Lilas"), std::string("Chorale"), std::string("Arc-en-ciel"),
              std::string("potager"), std::string("chants"), std::string("camille"), std::string("dominique"),
              a_, b_, serviceA_, serviceB_, std::string("127.0.0.1"), std::string("Storage pool"),
              std::string("failed its")}) {
            EXPECT_EQ(body.find(secret), std::string::npos) << secret << " is on the status page";
        }
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
    std::string a_, b_, serviceA_, serviceB_;
};

TEST_F(StatusPage, AvailabilityPerKindAndIncidentsInFrenchWithoutTenantNames) {
    history();
    Browser visitor(d_.daemon().port());
    auto r = visitor.get("/status");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.headers["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
    const std::string page = decodeEntities(r.body);
    EXPECT_NE(page.find("<html lang=\"fr\">"), std::string::npos);
    EXPECT_NE(page.find("<h1>État des services</h1>"), std::string::npos);
    EXPECT_NE(page.find("Période : 16/11/2026 – 15/12/2026"), std::string::npos) << page;

    // The website's kind (the editor's, the catalogue's other kind, has no service here): 340 of
    // 350 checks passed over the 30 days (floored: 97,14 %).
    const auto websiteAt = page.find("<h3 id=\"kind-website\">Site web</h3>");
    ASSERT_NE(websiteAt, std::string::npos) << page;
    EXPECT_NE(page.find("<h3 id=\"kind-editor\">"), std::string::npos) << page;
    EXPECT_NE(page.find("Sur 30 jours : <strong>97,14" + kNnbsp + "%</strong>"), std::string::npos) << page;
    // A row of 30 days, each with its date and percentage in words, oldest first.
    const std::regex list(R"(<ol class="status-days"[^>]*>([\s\S]*?)</ol>)");
    std::smatch days;
    const std::string website = page.substr(websiteAt);
    ASSERT_TRUE(std::regex_search(website, days, list));
    EXPECT_EQ(count(days[1].str(), "<li "), 30u);
    EXPECT_NE(days[1].str().find("<span class=\"visually-hidden\">16/11/2026 : 100" + kNnbsp + "%</span>"),
              std::string::npos);
    EXPECT_NE(days[1].str().find("<li class=\"day day-degraded\" title=\"13/12/2026 : 95" + kNnbsp + "%\">"),
              std::string::npos)
        << days[1].str();
    EXPECT_NE(days[1].str().find("<li class=\"day day-ok\" title=\"14/12/2026 : 100" + kNnbsp + "%\">"),
              std::string::npos);
    EXPECT_NE(days[1].str().find("<li class=\"day day-none\" title=\"15/12/2026 : pas de données\">"),
              std::string::npos);
    EXPECT_EQ(days[1].str().find("15/11/2026"), std::string::npos);
    EXPECT_EQ(count(days[1].str(), "pas de données"), 2u * 27u);  // title and hidden label

    // The incidents: health and host, newest first, with the kind only; never the quota.
    EXPECT_NE(page.find("Un incident est en cours"), std::string::npos);
    const std::regex rows(
        R"re(<tr><td><time datetime="([^"]+)">([^<]+)</time></td><td>([\s\S]*?)</td><td>([^<]+)</td><td>([^<]+)</td></tr>)re");
    std::vector<std::vector<std::string>> incidents;
    for (std::sregex_iterator it(page.begin(), page.end(), rows), end; it != end; ++it) {
        incidents.push_back({(*it)[1], (*it)[2], (*it)[3], (*it)[4], (*it)[5]});
    }
    std::vector<std::vector<std::string>> mine;
    for (const auto& i : incidents) {
        if (i[0] == "2026-12-14T12:00:00Z" || i[0] == "2026-12-10T08:00:00Z" ||
            i[0] == "2026-12-12T07:00:00Z" || i[0] == "2026-11-01T08:00:00Z") {
            mine.push_back(i);
        }
    }
    ASSERT_EQ(mine.size(), 2u) << page;
    EXPECT_EQ(mine[0][1], "14/12/2026 13:00");
    EXPECT_EQ(mine[0][2], "<strong>en cours</strong>");
    EXPECT_EQ(mine[0][3], "avertissement");
    EXPECT_EQ(mine[0][4], "Serveur");
    EXPECT_EQ(mine[1][1], "10/12/2026 09:00");
    EXPECT_EQ(mine[1][2], "<time datetime=\"2026-12-10T09:30:00Z\">10/12/2026 10:30</time>");
    EXPECT_EQ(mine[1][3], "critique");
    EXPECT_EQ(mine[1][4], "Site web");

    expectNoTenant(page);
    // A page to read: no form, no script, no inline style.
    EXPECT_EQ(page.find("<form"), std::string::npos);
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_EQ(page.find("style=\""), std::string::npos);
    // Linked from every page's footer.
    EXPECT_NE(visitor.get("/").body.find("<a href=\"/status\">État des services</a>"), std::string::npos);
}

TEST_F(StatusPage, InEnglish) {
    history();
    Browser visitor(d_.daemon().port());
    const auto r = visitor.get("/status?lang=en");
    ASSERT_EQ(r.status, 200);
    const std::string page = decodeEntities(r.body);
    EXPECT_NE(page.find("<html lang=\"en\">"), std::string::npos);
    EXPECT_NE(page.find("<h1>Service status</h1>"), std::string::npos);
    EXPECT_NE(page.find("<h3 id=\"kind-website\">Website</h3>"), std::string::npos);
    EXPECT_NE(page.find("Over 30 days: <strong>97.14%</strong>"), std::string::npos) << page;
    EXPECT_NE(page.find("title=\"13 December 2026: 95%\""), std::string::npos);
    EXPECT_NE(page.find("title=\"15 December 2026: no data\""), std::string::npos);
    EXPECT_NE(page.find(">14 December 2026 13:00</time>"), std::string::npos);
    EXPECT_NE(page.find("<strong>ongoing</strong>"), std::string::npos);
    EXPECT_NE(page.find("<td>warning</td><td>Server</td>"), std::string::npos);
    EXPECT_NE(page.find("<td>critical</td><td>Website</td>"), std::string::npos);
    EXPECT_EQ(page.find("État"), std::string::npos);
    expectNoTenant(page);
}

TEST_F(StatusPage, TheJsonApiGivesTheSameFiguresToAnyone) {
    history();
    const auto r = d_.client().get("/api/v1/status");
    ASSERT_EQ(r.status, 200) << r.body;
    expectNoTenant(r.body);
    for (const char* field : {"association", "service_id", "message", "name"}) {
        EXPECT_EQ(r.body.find(field), std::string::npos) << field;
    }
    const auto o = r.json();
    EXPECT_EQ(o->getValue<std::string>("from"), "2026-11-16");
    EXPECT_EQ(o->getValue<std::string>("to"), "2026-12-15");
    const auto kinds = o->getArray("kinds");
    ASSERT_EQ(kinds->size(), 3u);  // the catalogue's kinds, in its order: editor, mail, website
    EXPECT_EQ(kinds->getObject(0)->getValue<std::string>("kind"), "editor");
    EXPECT_EQ(kinds->getObject(0)->getValue<int>("checks"), 0);
    EXPECT_EQ(kinds->getObject(1)->getValue<std::string>("kind"), "mail");
    EXPECT_EQ(kinds->getObject(1)->getValue<int>("checks"), 0);
    const auto website = kinds->getObject(2);
    EXPECT_EQ(website->getValue<std::string>("kind"), "website");
    EXPECT_EQ(website->getObject("title")->getValue<std::string>("en"), "Website");
    EXPECT_EQ(website->getValue<int>("checks"), 350);
    EXPECT_EQ(website->getValue<int>("ok"), 340);
    EXPECT_DOUBLE_EQ(website->getValue<double>("uptime_percent"), 97.143);
    const auto days = website->getArray("days");
    ASSERT_EQ(days->size(), 30u);
    EXPECT_EQ(days->getObject(0)->getValue<std::string>("day"), "2026-11-16");
    EXPECT_DOUBLE_EQ(days->getObject(0)->getValue<double>("uptime_percent"), 100.0);
    EXPECT_EQ(days->getObject(27)->getValue<std::string>("day"), "2026-12-13");
    EXPECT_EQ(days->getObject(27)->getValue<int>("checks"), 200);
    EXPECT_DOUBLE_EQ(days->getObject(27)->getValue<double>("uptime_percent"), 95.0);
    EXPECT_TRUE(days->getObject(29)->isNull("uptime_percent"));
    EXPECT_EQ(days->getObject(29)->getValue<int>("checks"), 0);

    std::vector<Poco::JSON::Object::Ptr> mine;
    const auto incidents = o->getArray("incidents");
    for (std::size_t i = 0; i < incidents->size(); ++i) {
        const auto started = incidents->getObject(i)->getValue<std::string>("started_at");
        if (started == "2026-12-14T12:00:00Z" || started == "2026-12-10T08:00:00Z" ||
            started == "2026-12-12T07:00:00Z" || started == "2026-11-01T08:00:00Z") {  // not the host's own
            mine.push_back(incidents->getObject(i));
        }
    }
    ASSERT_EQ(mine.size(), 2u) << r.body;
    EXPECT_EQ(mine[0]->getValue<std::string>("kind"), "host");
    EXPECT_TRUE(mine[0]->isNull("service_kind"));
    EXPECT_TRUE(mine[0]->isNull("ended_at"));
    EXPECT_EQ(mine[0]->getValue<std::string>("severity"), "warning");
    EXPECT_EQ(mine[1]->getValue<std::string>("kind"), "health");
    EXPECT_EQ(mine[1]->getValue<std::string>("service_kind"), "website");
    EXPECT_EQ(mine[1]->getValue<std::string>("started_at"), "2026-12-10T08:00:00Z");
    EXPECT_EQ(mine[1]->getValue<std::string>("ended_at"), "2026-12-10T09:30:00Z");

    // The page shows the same 30-day figure (floored to the hundredth there, rounded here).
    const std::string page = decodeEntities(Browser(d_.daemon().port()).get("/status?lang=en").body);
    EXPECT_NE(page.find("<strong>97.14%</strong>"), std::string::npos);
}

TEST_F(StatusPage, WithoutAnyCheckEveryDayHasNoData) {
    Browser visitor(d_.daemon().port());
    const auto r = visitor.get("/status");
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string page = decodeEntities(r.body);
    EXPECT_NE(page.find("Sur 30 jours : <strong>pas de données</strong>"), std::string::npos) << page;
    EXPECT_EQ(count(page, "<li class=\"day day-none\""),
              3u * 30u);  // 30 days of each kind: editor, mail, website
    const auto api = d_.client().get("/api/v1/status").json();
    EXPECT_TRUE(api->getArray("kinds")->getObject(0)->isNull("uptime_percent"));
}

}  // namespace
