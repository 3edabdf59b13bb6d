// The usage, alerts, quota-exception and metrics endpoints on the real HTTP server and a real
// SQLite file: series and association usage from stored samples, every bad query refused with
// a 400 naming the field, other associations' services 404, admin-only endpoints 403 for others,
// and /metrics clean under promtool.

#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;
using namespace std::chrono_literals;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": "Site", "templates": ["website"],
    "free": true, "prices": [],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 2},
               "memory_mib": {"included": 256, "limit": 512}, "vcpus": {"included": 2, "limit": 2}}})";

class UsageApi : public ::testing::Test {
protected:
    explicit UsageApi(TestDaemon::Tweak tweak = {}) : d_(std::move(tweak)) {}

    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin", "manager@a.test", "asso-web");
        b_ = d_.approvedAssociation(*admin_, "Club", "manager@b.test", "asso-web");
        managerA_ = std::make_unique<ApiClient>(d_.login("manager@a.test", "correct horse battery"));
        managerB_ = std::make_unique<ApiClient>(d_.login("manager@b.test", "correct horse battery"));
        const auto created = managerA_->post("/api/v1/associations/" + a_ + "/services",
                                             R"({"template": "website", "name": "site"})");
        ASSERT_EQ(created.status, 202) << created.body;
        service_ = created.json()->getValue<std::string>("id");
    }

    // Samples every minute for the last `minutes` minutes: 30 s of CPU each, 64 MiB, `gib` stored.
    void storeSamples(int minutes, double gib) {
        auto s = d_.daemon().database().session();
        const auto stored = static_cast<Poco::Int64>(gib * (1 << 30));
        for (int i = minutes; i > 0; --i) {
            const std::string at = formatTime(d_.clock().now() - std::chrono::minutes(i));
            s << "INSERT INTO usage_samples (service_id, association_id, at, interval_seconds, cpu_time_ns, "
                 "cpu_ns, "
                 "memory_kib, stored_bytes) VALUES (?, ?, ?, 60, 1, 30000000000, 65536, ?)",
                useRef(service_), useRef(a_), bind(at), bind(stored), now;
        }
        const std::string at = formatTime(d_.clock().now() - 1min);
        s << "INSERT INTO usage_latest (service_id, association_id, at, cpu_time_ns, memory_kib, "
             "stored_bytes) "
             "VALUES (?, ?, ?, 1, 65536, ?) ON CONFLICT (service_id) DO UPDATE SET stored_bytes = "
             "excluded.stored_bytes",
            useRef(service_), useRef(a_), bind(at), bind(stored), now;
    }

    int exceptions() {
        auto s = d_.daemon().database().session();
        int n = 0;
        s << "SELECT COUNT(*) FROM quota_exceptions", into(n), now;
        return n;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_, managerA_, managerB_;
    std::string a_, b_, service_;
};

TEST_F(UsageApi, AServicesSeriesInBucketsOfTheStep) {
    storeSamples(30, 0.25);
    const auto r = managerA_->get("/api/v1/services/" + service_ +
                                  "/usage?step=600&from=" + formatTime(d_.clock().now() - 30min) +
                                  "&to=" + formatTime(d_.clock().now()));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto o = r.json();
    EXPECT_EQ(o->getValue<std::string>("source"), "raw");
    EXPECT_EQ(o->getValue<int>("step"), 600);
    const auto points = o->getArray("points");
    ASSERT_EQ(points->size(), 3u) << r.body;
    const auto first = points->getObject(0);
    EXPECT_EQ(first->getValue<int>("samples"), 10);
    EXPECT_DOUBLE_EQ(first->getValue<double>("cpu_seconds"), 300.0);
    EXPECT_DOUBLE_EQ(first->getValue<double>("cpu_percent"), 50.0);  // 30 s of CPU a minute
    EXPECT_DOUBLE_EQ(first->getValue<double>("memory_mib"), 64.0);
    EXPECT_EQ(first->getValue<Poco::Int64>("stored_bytes"), Poco::Int64{1} << 28);

    // Whole hours come from the hourly figures.
    const auto hourly = managerA_->get("/api/v1/services/" + service_ + "/usage?step=3600");
    ASSERT_EQ(hourly.status, 200) << hourly.body;
    EXPECT_EQ(hourly.json()->getValue<std::string>("source"), "hourly");
    // The default: the last 24 hours.
    const auto defaults = managerA_->get("/api/v1/services/" + service_ + "/usage");
    ASSERT_EQ(defaults.status, 200) << defaults.body;
    EXPECT_LE(24 * 3600 / defaults.json()->getValue<int>("step"), 1000);
    // The admin sees it too.
    EXPECT_EQ(admin_->get("/api/v1/services/" + service_ + "/usage").status, 200);
}

TEST_F(UsageApi, BadSeriesQueriesAre400AndOthersServices404) {
    const std::string base = "/api/v1/services/" + service_ + "/usage";
    struct Case {
        std::string query;
        std::string code;
        std::string field;
    };
    const std::vector<Case> cases = {
        {"?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "invalid_range", "from"},
        {"?step=0", "invalid_step", "step"},
        {"?step=-60", "invalid_step", "step"},
        {"?step=abc", "invalid_step", "step"},
        {"?step=1&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z", "too_many_points", "step"},
        {"?from=yesterday", "invalid_time", "from"},
        {"?to=2026-13-45T00:00:00Z", "invalid_time", "to"},
    };
    for (const auto& c : cases) {
        const auto r = managerA_->get(base + c.query);
        EXPECT_EQ(r.status, 400) << c.query << " " << r.body;
        EXPECT_EQ(r.errorCode(), c.code) << c.query;
        EXPECT_EQ(r.fieldErrors().count(c.field), 1u) << c.query << " " << r.body;
    }
    EXPECT_NE(managerA_->get(base + "?step=1&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z")
                  .body.find("at least"),
              std::string::npos);
    EXPECT_EQ(managerA_->get("/api/v1/services/svc_unknown/usage").status, 404);
    EXPECT_EQ(managerB_->get(base).status, 404);
    EXPECT_EQ(managerB_->get(base + "?step=0").status, 404);  // no hint that it exists
    EXPECT_EQ(d_.client().get(base).status, 401);
}

TEST_F(UsageApi, AnAssociationsUsageAgainstItsPlan) {
    storeSamples(5, 0.5);
    const auto r = managerA_->get("/api/v1/associations/" + a_ + "/usage");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto o = r.json();
    EXPECT_EQ(o->getValue<std::string>("plan"), "asso-web");
    const auto period = o->getObject("period");
    EXPECT_EQ(period->getValue<std::string>("start").substr(8), "01");
    EXPECT_LT(period->getValue<std::string>("start"), period->getValue<std::string>("end"));
    const auto metrics = o->getObject("metrics");
    const auto disk = metrics->getObject("disk_gib");
    EXPECT_DOUBLE_EQ(disk->getValue<double>("used"), 0.5);
    EXPECT_EQ(disk->getValue<int>("included"), 1);
    EXPECT_EQ(disk->getValue<int>("limit"), 2);
    EXPECT_EQ(metrics->getObject("memory_mib")->getValue<int>("used"), 128);
    EXPECT_EQ(metrics->getObject("memory_mib")->getValue<int>("limit"), 512);
    EXPECT_EQ(metrics->getObject("vcpus")->getValue<int>("used"), 1);
    EXPECT_EQ(metrics->getObject("services")->getValue<int>("used"), 1);
    EXPECT_EQ(metrics->getObject("services")->getValue<int>("included"), 2);
    EXPECT_FALSE(o->getObject("quota")->getValue<bool>("websites_suspended"));

    EXPECT_EQ(managerB_->get("/api/v1/associations/" + a_ + "/usage").status, 404);
    const auto other = managerB_->get("/api/v1/associations/" + b_ + "/usage");
    ASSERT_EQ(other.status, 200);
    EXPECT_DOUBLE_EQ(other.json()->getObject("metrics")->getObject("disk_gib")->getValue<double>("used"),
                     0.0);
}

TEST_F(UsageApi, QuotaExceptionsAreTheAdminsAndBadOnesChangeNothing) {
    const std::string path = "/api/v1/associations/" + a_ + "/quota-exceptions";
    struct Case {
        std::string body;
        std::string field;
    };
    const std::vector<Case> cases = {
        {R"({"reason": "fête"})", "until"},
        {R"({"days": 7})", "reason"},
        {R"({"days": 7, "reason": ""})", "reason"},
        {R"({"days": 0, "reason": "fête"})", "days"},
        {R"({"days": 1000, "reason": "fête"})", "days"},
        {R"({"days": "7", "reason": "fête"})", "days"},
        {R"({"until": "2020-01-01T00:00:00Z", "reason": "fête"})", "until"},
        {R"({"until": "2099-01-01T00:00:00Z", "reason": "fête"})", "until"},
        {R"({"until": "demain", "reason": "fête"})", "until"},
        {R"({"until": "2099-01-01T00:00:00Z", "days": 3, "reason": "fête"})", "until"},
    };
    for (const auto& c : cases) {
        const auto r = admin_->post(path, c.body);
        EXPECT_EQ(r.status, 400) << c.body << " " << r.body;
        EXPECT_EQ(r.fieldErrors().count(c.field), 1u) << c.body << " " << r.body;
    }
    EXPECT_EQ(admin_->request("POST", path, "days=3", "application/x-www-form-urlencoded").status, 415);
    EXPECT_EQ(managerA_->post(path, R"({"days": 3, "reason": "fête"})").status, 403);
    EXPECT_EQ(managerB_->post(path, R"({"days": 3, "reason": "fête"})").status, 404);
    EXPECT_EQ(
        admin_->post("/api/v1/associations/asso_unknown/quota-exceptions", R"({"days": 3, "reason": "x"})")
            .status,
        404);
    EXPECT_EQ(exceptions(), 0);

    const auto granted = admin_->post(path, R"({"days": 3, "reason": "fête annuelle"})");
    ASSERT_EQ(granted.status, 201) << granted.body;
    EXPECT_EQ(granted.json()->getValue<std::string>("until"), formatTime(d_.clock().now() + 72h));
    EXPECT_EQ(exceptions(), 1);
    const auto audit = admin_->get("/api/v1/audit?action=quota.exception");
    ASSERT_EQ(audit.status, 200);
    EXPECT_NE(audit.body.find("fête annuelle"), std::string::npos);
    const auto usage = managerA_->get("/api/v1/associations/" + a_ + "/usage");
    EXPECT_EQ(usage.json()->getObject("quota")->getValue<std::string>("exception_until"),
              formatTime(d_.clock().now() + 72h));
}

TEST_F(UsageApi, UptimePerDayAndOverTheMonth) {
    {
        auto s = d_.daemon().database().session();
        s << "INSERT INTO service_uptime_daily (service_id, day, checks, ok) VALUES (?, '2026-11-02', 2880, "
             "2880), "
             "(?, '2026-11-03', 2880, 2736), (?, '2026-12-01', 10, 10)",
            useRef(service_), useRef(service_), useRef(service_), now;
    }
    const auto r = managerA_->get("/api/v1/services/" + service_ + "/uptime?month=2026-11");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto o = r.json();
    EXPECT_EQ(o->getValue<std::string>("month"), "2026-11");
    EXPECT_EQ(o->getValue<int>("checks"), 5760);
    EXPECT_DOUBLE_EQ(o->getValue<double>("uptime_percent"), 97.5);
    ASSERT_EQ(o->getArray("days")->size(), 2u);
    EXPECT_DOUBLE_EQ(o->getArray("days")->getObject(1)->getValue<double>("uptime_percent"), 95.0);
    for (const char* bad : {"2026-13", "2026-1", "novembre", "2026-11-02"}) {
        const auto refused = managerA_->get("/api/v1/services/" + service_ + "/uptime?month=" + bad);
        EXPECT_EQ(refused.status, 400) << bad;
        EXPECT_EQ(refused.errorCode(), "invalid_month") << bad;
    }
    EXPECT_EQ(managerB_->get("/api/v1/services/" + service_ + "/uptime").status, 404);
    EXPECT_EQ(managerA_->get("/api/v1/services/" + service_ + "/uptime").status, 200);
}

TEST_F(UsageApi, AlertsAreForTheAdmin) {
    const auto r = admin_->get("/api/v1/alerts?all=true");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()->isArray("items"));
    EXPECT_EQ(admin_->get("/api/v1/alerts?all=maybe").status, 400);
    EXPECT_EQ(managerA_->get("/api/v1/alerts").status, 403);
    EXPECT_EQ(d_.client().get("/api/v1/alerts").status, 401);
}

TEST_F(UsageApi, MetricsPassPromtool) {
    storeSamples(2, 0.5);
    ApiClient prometheus = d_.client();
    prometheus.setToken(d_.metricsToken());
    const auto r = prometheus.get("/metrics");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.at("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
    EXPECT_NE(r.body.find("chatiere_services{health=\"unknown\",state=\"requested\"}"), std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("chatiere_quota_usage_ratio{association=\"" + a_ +
                          "\",bound=\"limit\",metric=\"disk_gib\"} 0.25"),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("chatiere_jobs{status=\"pending\"}"), std::string::npos);
    EXPECT_NE(r.body.find("chatiere_outbox_messages{status=\"pending\"}"), std::string::npos);

    const auto file = d_.dir() / "metrics.txt";
    std::ofstream(file) << r.body;
    const std::string command = "promtool check metrics < " + file.string() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe)) {
        output += buffer;
    }
    const int status = pclose(pipe);
    EXPECT_EQ(status, 0) << "promtool (Debian's prometheus package) says:\n" << output;
    EXPECT_TRUE(output.empty()) << output;
}

// A guest's connection through QEMU user networking arrives from 127.0.0.1: loopback alone opens
// nothing; the metrics token (or an admin's) does.
TEST_F(UsageApi, MetricsFromLoopbackNeedTheMetricsToken) {
    const auto anonymous = d_.client().get("/metrics");
    EXPECT_EQ(anonymous.status, 401) << anonymous.body;
    EXPECT_EQ(anonymous.body.find("chatiere_"), std::string::npos);
    ApiClient wrong = d_.client();
    wrong.setToken("not-the-metrics-token-at-all");
    EXPECT_EQ(wrong.get("/metrics").status, 401);
    EXPECT_EQ(managerA_->get("/metrics").status, 403);

    ApiClient prometheus = d_.client();
    const std::string token = d_.metricsToken();
    ASSERT_GE(token.size(), 40u) << "made at the daemon's start";
    EXPECT_EQ(std::filesystem::status(d_.dir() / "metrics.token").permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    prometheus.setToken(token);
    const auto r = prometheus.get("/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("# TYPE chatiere_services gauge"), std::string::npos);
    EXPECT_EQ(admin_->get("/metrics").status, 200);

    // A new token in the file takes effect at once; the old one no longer opens the page.
    std::ofstream(d_.dir() / "metrics.token") << "a-new-token-for-prometheus-0123456789\n";
    EXPECT_EQ(prometheus.get("/metrics").status, 401);
    prometheus.setToken("a-new-token-for-prometheus-0123456789");
    EXPECT_EQ(prometheus.get("/metrics").status, 200);
}

class MetricsElsewhere : public UsageApi {
protected:
    MetricsElsewhere() : UsageApi([](Settings& s) { s.metricsAllowed.clear(); }) {}
};

TEST_F(MetricsElsewhere, NeedAnAdminsToken) {
    EXPECT_EQ(d_.client().get("/metrics").status, 401);
    ApiClient prometheus = d_.client();
    prometheus.setToken(d_.metricsToken());
    EXPECT_EQ(prometheus.get("/metrics").status, 403) << "the metrics token, from an address not allowed";
    EXPECT_EQ(managerA_->get("/metrics").status, 403);
    const auto r = admin_->get("/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("# TYPE chatiere_services gauge"), std::string::npos);
}

}  // namespace

namespace {

TEST_F(UsageApi, TheCliShowsUsageAndAlertsAndGrantsExceptions) {
    storeSamples(5, 0.5);
    const std::string url = "http://127.0.0.1:" + std::to_string(d_.daemon().port());
    const Poco::Process::Env manager = {{"CHATIERE_TOKEN", managerA_->token()}};
    const Poco::Process::Env admin = {{"CHATIERE_TOKEN", admin_->token()}};

    auto r = runChatiere({"usage", "service", service_, "--step", "600", "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"cpu_percent\""), std::string::npos) << r.out;
    r = runChatiere({"usage", "association", a_, "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"disk_gib\""), std::string::npos) << r.out;

    // Bad input: a clear message, the right exit code, nothing changed.
    r = runChatiere({"usage", "service", service_, "--step", "0", "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_NE(r.err.find("step"), std::string::npos) << r.err;
    r = runChatiere({"usage", "service", "../etc", "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 64);
    r = runChatiere({"usage", "association", b_, "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 66);
    r = runChatiere({"usage", "exception", a_, "--days", "3", "--reason", "fête", "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 77);
    r = runChatiere({"usage", "exception", a_, "--days", "trois", "--reason", "fête", "--url", url}, "",
                    admin);
    EXPECT_EQ(r.exitCode, 64);
    EXPECT_EQ(exceptions(), 0);
    r = runChatiere({"alerts", "--url", url}, "", manager);
    EXPECT_EQ(r.exitCode, 77);

    r = runChatiere({"usage", "exception", a_, "--days", "3", "--reason", "fête", "--url", url}, "", admin);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(exceptions(), 1);
    r = runChatiere({"alerts", "all", "--url", url}, "", admin);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"items\""), std::string::npos) << r.out;
}

}  // namespace

namespace {

// The daemon reads the proxy's transfer log (own mode's path under data.dir) every monitoring
// interval: what it counts shows in the association's usage (per service too), the service's
// series and /metrics — once each, also after a restart of the daemon.
class TransferUsage : public UsageApi {
protected:
    TransferUsage() : UsageApi([](Settings& s) { s.monitoringIntervalSeconds = 1; }) {}

    void log(const std::string& lines) {
        const auto path = d_.dir() / "proxy" / "logs" / "transfer.log";
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::app) << lines;
    }
    std::string line(const std::string& service, int64_t bytes) {
        return "1733540000.123 " + service + " " + std::to_string(bytes) + "\n";
    }
    int64_t transferBytes() {
        const auto r = managerA_->get("/api/v1/associations/" + a_ + "/usage");
        if (r.status != 200) {
            return -1;
        }
        return r.json()->getObject("metrics")->getObject("transfer_gib")->getValue<int64_t>("bytes");
    }
};

TEST_F(TransferUsage, TheLogsBytesShowInUsageAndMetricsOnceAcrossARestart) {
    log(line(service_, 5000) + line(service_, 1234) + line("svc_nobody", 99999));
    ASSERT_TRUE(eventually([&] { return transferBytes() == 6234; }, std::chrono::seconds(20)))
        << transferBytes();
    const auto usage = managerA_->get("/api/v1/associations/" + a_ + "/usage").json();
    const auto transfer = usage->getObject("metrics")->getObject("transfer_gib");
    EXPECT_DOUBLE_EQ(transfer->getValue<double>("used"), 0.0);  // 6234 bytes, in GiB to 3 decimals
    EXPECT_TRUE(transfer->isNull("included"));                  // the plan sets no transfer quota
    EXPECT_EQ(transfer->getObject("services")->getObject(service_)->getValue<int64_t>("bytes"), 6234);
    // Another association sees none of it.
    EXPECT_EQ(managerB_->get("/api/v1/associations/" + b_ + "/usage")
                  .json()
                  ->getObject("metrics")
                  ->getObject("transfer_gib")
                  ->getValue<int64_t>("bytes"),
              0);

    ApiClient prometheus = d_.client();
    prometheus.setToken(d_.metricsToken());
    const auto metrics = prometheus.get("/metrics");
    EXPECT_NE(metrics.body.find("chatiere_service_transfer_bytes_total{association=\"" + a_ +
                                "\",service=\"" + service_ + "\"} 6234"),
              std::string::npos)
        << metrics.body;

    const auto series = managerA_->get("/api/v1/services/" + service_ +
                                       "/usage?step=3600&from=" + formatTime(d_.clock().now() - 2h) +
                                       "&to=" + formatTime(d_.clock().now() + 1h));
    ASSERT_EQ(series.status, 200) << series.body;
    int64_t inSeries = 0;
    const auto points = series.json()->getArray("points");
    for (std::size_t i = 0; i < points->size(); ++i) {
        inSeries += points->getObject(i)->getValue<int64_t>("transfer_bytes");
    }
    EXPECT_EQ(inSeries, 6234);

    // A restart: the cursor is in the database, nothing is counted again; new lines are.
    d_.restart();
    managerA_ = std::make_unique<ApiClient>(d_.login("manager@a.test", "correct horse battery"));
    log(line(service_, 100) + "1733540000.123 " + service_ + " 7");  // the last line not yet ended
    ASSERT_TRUE(eventually([&] { return transferBytes() == 6334; }, std::chrono::seconds(20)))
        << transferBytes();
    log("0\n");
    ASSERT_TRUE(eventually([&] { return transferBytes() == 6404; }, std::chrono::seconds(20)))
        << transferBytes();
}

}  // namespace
