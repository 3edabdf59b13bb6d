// Health checks with a scripted probe and a manual clock: K failures in a row → degraded and an
// alert, the first success closes it; the checks count in the day's uptime; the host's pool and
// memory raise alerts under their thresholds and libvirtd unreachable is an alert of its own.

#include "MonitoringFixture.h"
#include "monitoring/HealthMonitor.h"
#include "store/Alerts.h"

#include <Poco/Logger.h>

#include <deque>

using namespace chatiere::manager;
using namespace chatiere::testing;
using namespace std::chrono_literals;

namespace {

class ScriptedProbe final : public chatiere::provisioning::HealthProbe {
public:
    bool check(const chatiere::templates::HealthCheck&, int, std::string& detail) override {
        ++calls;
        if (answers.empty()) {
            return true;
        }
        const bool ok = answers.front();
        answers.pop_front();
        if (!ok) {
            detail = "connection refused";
        }
        return ok;
    }
    std::deque<bool> answers;
    int calls = 0;
};

class HealthMonitorTest : public MonitoringFixture {
protected:
    HealthMonitorTest() {
        settings.failuresForDegraded = 3;
        settings.pool = "chatiere";
        settings.meminfoPath = (dir_ / "meminfo").string();
        writeMeminfo(8'000'000, 4'000'000);
    }
    void writeMeminfo(uint64_t total, uint64_t available) {
        std::ofstream(settings.meminfoPath) << "MemTotal:       " << total << " kB\nMemFree:        1000 kB\n"
                                            << "MemAvailable:   " << available << " kB\n";
    }
    HealthMonitor monitor() {
        return HealthMonitor(db_, hypervisor_, probe, catalogue_, calendar_, clock_,
                             Poco::Logger::get("test"), settings);
    }
    std::string health(const std::string& id) {
        auto s = db_.session();
        std::string h;
        s << "SELECT health FROM services WHERE id = ?", bind(id), into(h), now;
        return h;
    }
    std::vector<Alert> openAlerts() {
        auto s = db_.session();
        return AlertBook(s).list(false, 50);
    }

    HealthSettings settings;
    ScriptedProbe probe;
};

TEST_F(HealthMonitorTest, ThreeFailuresInARowDegradeAndTheFirstSuccessRecovers) {
    addService("web1");
    auto m = monitor();
    probe.answers = {true, false, false, true, false, false, false, true};
    m.checkDue();
    EXPECT_EQ(health("web1"), "ok");
    m.checkDue();  // not due yet: the template checks every 30 s
    EXPECT_EQ(probe.calls, 1);
    for (int i = 0; i < 3; ++i) {  // fail, fail, ok: never degraded
        clock_.advance(30s);
        m.checkDue();
    }
    EXPECT_EQ(health("web1"), "ok");
    EXPECT_TRUE(openAlerts().empty());
    HealthReport report;
    for (int i = 0; i < 3; ++i) {
        clock_.advance(30s);
        report = m.checkDue();
    }
    EXPECT_EQ(report.degraded, 1);
    EXPECT_EQ(health("web1"), "degraded");
    ASSERT_EQ(openAlerts().size(), 1u);
    EXPECT_EQ(openAlerts()[0].serviceId.value_or(""), "web1");
    EXPECT_NE(openAlerts()[0].message.find("connection refused"), std::string::npos);
    clock_.advance(30s);
    EXPECT_EQ(m.checkDue().recovered, 1);
    EXPECT_EQ(health("web1"), "ok");
    EXPECT_TRUE(openAlerts().empty());
    const std::vector<std::string> audit = {"service.health_degraded", "service.health_recovered"};
    EXPECT_EQ(auditActions("service.health"), audit);

    auto s = db_.session();
    int checks = 0;
    int ok = 0;
    s << "SELECT checks, ok FROM service_uptime_daily WHERE service_id = 'web1' AND day = '2026-12-01'",
        into(checks), into(ok), now;
    EXPECT_EQ(checks, 8);
    EXPECT_EQ(ok, 3);
}

TEST_F(HealthMonitorTest, SuspendedOrStoppedServicesAreNotCheckedAndTheirAlertCloses) {
    addService("web1");
    addService("web2", "failed");
    auto m = monitor();
    probe.answers = {false, false, false};
    for (int i = 0; i < 3; ++i) {
        m.checkDue();
        clock_.advance(30s);
    }
    EXPECT_EQ(probe.calls, 3);  // web2 is never checked
    EXPECT_EQ(openAlerts().size(), 1u);
    {
        auto s = db_.session();
        s << "UPDATE services SET suspended_for = 'admin' WHERE id = 'web1'", now;
    }
    m.checkDue();
    EXPECT_EQ(probe.calls, 3);
    EXPECT_EQ(health("web1"), "unknown");
    EXPECT_TRUE(openAlerts().empty());
}

TEST_F(HealthMonitorTest, TheHostsPoolMemoryAndLibvirtd) {
    auto m = monitor();
    hypervisor_.setPoolCapacity(uint64_t{100} << 30);
    auto host = m.checkHost();
    EXPECT_TRUE(host.libvirtReachable);
    ASSERT_TRUE(host.pool);
    EXPECT_EQ(host.pool->capacityBytes, uint64_t{100} << 30);
    EXPECT_EQ(host.memoryAvailableKib, 4'000'000u);
    EXPECT_TRUE(openAlerts().empty());

    hypervisor_.setPoolCapacity(1000);  // nearly full (the volumes hold the welcome pages)
    writeMeminfo(8'000'000, 100'000);
    addService("web1");
    builder_.ensureVolume({"web1", "asso1", "Jardin", "web1", "website", 1, 128, 1, 20001, true});
    m.checkHost();
    std::set<std::string> keys;
    for (const auto& a : openAlerts()) {
        keys.insert(a.key);
    }
    EXPECT_EQ(keys, (std::set<std::string>{"host:memory", "host:pool_space"}));

    hypervisor_.failOnCall(1, chatiere::provisioning::HypervisorError::Code::Unavailable);
    host = m.checkHost();
    EXPECT_FALSE(host.libvirtReachable);
    keys.clear();
    for (const auto& a : openAlerts()) {
        keys.insert(a.key);
    }
    EXPECT_TRUE(keys.count("host:libvirt"));

    hypervisor_.setPoolCapacity(uint64_t{100} << 30);
    writeMeminfo(8'000'000, 4'000'000);
    m.checkHost();
    EXPECT_TRUE(openAlerts().empty());
    EXPECT_EQ(m.lastHost().memoryTotalKib, 8'000'000u);
}

}  // namespace
