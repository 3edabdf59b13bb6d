// The usage collector with the fake hypervisor, a temp SQLite file and a manual clock: deltas
// across counter resets, gaps and a daemon restart; only this installation's running services.

#include "FakeImages.h"
#include "MonitoringFixture.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "monitoring/Counters.h"
#include "monitoring/UsageCollector.h"
#include "monitoring/UsageRollup.h"
#include "store/Services.h"

#include <Poco/Data/Statement.h>
#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace chatiere::manager;
using namespace chatiere::provisioning;
using namespace Poco::Data::Keywords;
using namespace std::chrono_literals;

namespace {

class UsageCollectorTest : public chatiere::testing::MonitoringFixture {
protected:
    // A service row and its running guest with its data volume.
    ServiceSpec addGuest(const std::string& id, const std::string& state = "active") {
        addService(id, state);
        ServiceSpec spec{id, "asso1", "Jardin", id, "website", 1, 128, 1, 20001, true};
        builder_.ensureVolume(spec);
        builder_.define(spec);
        builder_.ensureRunning(spec);
        return spec;
    }

    UsageCollector collector() {
        return UsageCollector(db_, hypervisor_, builder_, clock_, Poco::Logger::get("test"), 14);
    }

    struct Sample {
        int64_t interval;
        int64_t cpuNs;
        Poco::Nullable<Poco::Int64> stored;
    };
    std::vector<Sample> samples(const std::string& serviceId) {
        auto s = db_.session();
        std::vector<Poco::Int64> intervals, cpu;
        std::vector<Poco::Nullable<Poco::Int64>> stored;
        s << "SELECT interval_seconds, cpu_ns, stored_bytes FROM usage_samples WHERE service_id = ? ORDER BY "
             "id",
            bind(serviceId), into(intervals), into(cpu), into(stored), now;
        std::vector<Sample> out;
        for (std::size_t i = 0; i < intervals.size(); ++i) {
            out.push_back({intervals[i], cpu[i], stored[i]});
        }
        return out;
    }
};

}  // namespace

TEST(CounterDelta, GrowsResetsAndStarts) {
    EXPECT_EQ(counterDelta(100u, 250u), 150u);
    EXPECT_EQ(counterDelta(100u, 100u), 0u);
    EXPECT_EQ(counterDelta(5'000u, 40u), 40u) << "went backwards: reset, all of it is new";
    EXPECT_EQ(counterDelta(std::nullopt, 70u), 70u) << "first reading";
}

TEST_F(UsageCollectorTest, OneSamplePerServiceWithCpuDeltasAndStoredData) {
    addGuest("svc1");
    auto c = collector();
    auto report = c.collectOnce();
    EXPECT_EQ(report.samples, 1);
    EXPECT_EQ(report.missingGuests, 0);
    clock_.advance(60s);
    c.collectOnce();
    const auto rows = samples("svc1");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].interval, 0);
    EXPECT_EQ(rows[0].cpuNs, 1'000'000) << "the fake's guest used 1 ms before its first sample";
    EXPECT_EQ(rows[1].interval, 60);
    EXPECT_EQ(rows[1].cpuNs, 1'000'000) << "a delta, not the counter";
    const auto volume = hypervisor_.volume("chatiere", builder_.volumeName("svc1"));
    ASSERT_FALSE(rows[1].stored.isNull());
    EXPECT_EQ(static_cast<uint64_t>(rows[1].stored.value()), volume->allocationBytes);
    EXPECT_GT(rows[1].stored.value(), 0);
}

TEST_F(UsageCollectorTest, ACounterResetAGapAndADaemonRestartKeepDeltasTrue) {
    const auto spec = addGuest("svc1");
    {
        auto c = collector();
        for (int i = 0; i < 5; ++i) {
            c.collectOnce();  // the fake's counter reaches 5 ms
            clock_.advance(60s);
        }
        // The guest restarts: its counter starts again from zero.
        hypervisor_.destroy(builder_.domainName("svc1"));
        builder_.ensureRunning(spec);
        c.collectOnce();
    }
    auto rows = samples("svc1");
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[5].cpuNs, 1'000'000) << "after a reset, never a negative or huge delta";
    // The daemon restarts (a new collector) after a missed interval: the previous reading comes
    // from the database.
    clock_.advance(300s);
    collector().collectOnce();
    rows = samples("svc1");
    ASSERT_EQ(rows.size(), 7u);
    EXPECT_EQ(rows[6].interval, 300);
    EXPECT_EQ(rows[6].cpuNs, 1'000'000);
}

TEST_F(UsageCollectorTest, OnlyLiveServicesOfThisInstallationAreSampledAndOldSamplesGo) {
    addGuest("svc1");
    addGuest("gone", "deleted");
    // Another installation's guest on the same hypervisor.
    GuestBuilder other(hypervisor_, catalogue_, images_, {"inst2", "chatiere", "/fake/volumes", "qemu"});
    const ServiceSpec foreign{"svc9", "assoX", "X", "x", "website", 1, 128, 1, 20009, true};
    other.define(foreign);
    other.ensureRunning(foreign);
    auto c = collector();
    EXPECT_EQ(c.collectOnce().samples, 1);
    EXPECT_TRUE(samples("gone").empty());
    // A service whose guest is missing still has its stored data measured.
    hypervisor_.destroy(builder_.domainName("svc1"));
    hypervisor_.undefine(builder_.domainName("svc1"));
    auto report = c.collectOnce();
    EXPECT_EQ(report.missingGuests, 1);
    EXPECT_FALSE(samples("svc1").back().stored.isNull());
    // Past the retention (14 days), raw samples are pruned — only once their hour is rolled up.
    clock_.advance(15 * 24h);
    report = c.collectOnce();
    EXPECT_EQ(report.pruned, 0);
    EXPECT_EQ(samples("svc1").size(), 3u);
    const Calendar calendar;
    UsageRollup(db_, calendar, 90).run(clock_.now());
    clock_.advance(1h);
    report = c.collectOnce();
    EXPECT_EQ(report.pruned, 2);
    EXPECT_EQ(samples("svc1").size(), 2u);
}

// With a refresh period, volume allocations are kept between cycles: the pool is listed again once
// the period has passed; in between a new volume, a new volume generation and the volume of a guest
// that has just started are read at once, and nothing else is.
TEST_F(UsageCollectorTest, VolumeAllocationsAreKeptAndListedAgainOnSchedule) {
    const auto spec = addGuest("svc1");
    const std::string volume = builder_.volumeName("svc1");
    const auto stored = [&](const std::string& id) { return samples(id).back().stored.value(); };
    UsageCollector c(db_, hypervisor_, builder_, clock_, Poco::Logger::get("test"), 14, 300s);
    c.collectOnce();
    const auto first = stored("svc1");
    ASSERT_GT(first, 0);

    // The guest writes more: not seen before the refresh is due (and no volume is read)...
    hypervisor_.uploadVolume("chatiere", volume, std::string(static_cast<std::size_t>(first) + 4096, 'x'));
    clock_.advance(60s);
    const int before = hypervisor_.calls();
    c.collectOnce();
    EXPECT_EQ(stored("svc1"), first) << "kept from the last listing";
    EXPECT_EQ(hypervisor_.calls() - before, 1) << "the bulk statistics call only";
    clock_.advance(180s);
    c.collectOnce();
    EXPECT_EQ(stored("svc1"), first);
    // ...and seen once the period has passed since the last listing.
    clock_.advance(60s);
    c.collectOnce();
    EXPECT_EQ(stored("svc1"), first + 4096);

    // A new service's volume is read on its first cycle, not at the next listing.
    addGuest("svc2");
    clock_.advance(60s);
    c.collectOnce();
    ASSERT_FALSE(samples("svc2").back().stored.isNull());
    EXPECT_EQ(static_cast<uint64_t>(stored("svc2")),
              hypervisor_.volume("chatiere", builder_.volumeName("svc2"))->allocationBytes);

    // A guest that has just started (its content written while it was off) is read again at once.
    hypervisor_.destroy(builder_.domainName("svc1"));
    hypervisor_.uploadVolume("chatiere", volume, std::string(static_cast<std::size_t>(first) + 8192, 'y'));
    clock_.advance(60s);
    c.collectOnce();
    EXPECT_EQ(stored("svc1"), first + 4096) << "off: still the kept figure";
    builder_.ensureRunning(spec);
    clock_.advance(60s);
    c.collectOnce();
    EXPECT_EQ(stored("svc1"), first + 8192);
}

// Without a refresh period (the default of the class), every cycle lists the pool.
TEST_F(UsageCollectorTest, WithoutARefreshPeriodEveryCycleListsThePool) {
    addGuest("svc1");
    const std::string volume = builder_.volumeName("svc1");
    auto c = collector();
    c.collectOnce();
    const auto first = samples("svc1").back().stored.value();
    hypervisor_.uploadVolume("chatiere", volume, std::string(static_cast<std::size_t>(first) + 4096, 'x'));
    clock_.advance(60s);
    c.collectOnce();
    EXPECT_EQ(samples("svc1").back().stored.value(), first + 4096);
}

// Guests with a guest agent (the test-only appliance template) trim their file systems before each
// listing of the pool, so that the allocation follows what they store; a website (no agent) is not
// asked, and an agent that is down does not stop the collection.
TEST_F(UsageCollectorTest, GuestsWithAnAgentAreTrimmedBeforeEachListing) {
    const auto appliances = chatiere::templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) /
                                                                 "tests" / "templates");
    chatiere::testing::plantImage(dir_ / "images", "appliance");
    chatiere::templates::ImageCache images(dir_ / "images");
    GuestBuilder builder(hypervisor_, appliances, images, {"inst1", "chatiere", "/fake/volumes", "qemu"});
    addService("svc_pad", "active", "appliance");
    ServiceSpec pad{"svc_pad", "asso1", "Jardin", "pad", "appliance", 1, 512, 1, 21001, true};
    pad.ports = {{"http", 21001}, {"admin", 21002}};
    builder.ensureVolume(pad);
    builder.define(pad);
    builder.ensureRunning(pad);
    addService("svc_down", "active", "appliance");
    ServiceSpec down = pad;
    down.id = "svc_down";
    builder.ensureVolume(down);
    builder.define(down);
    builder.ensureRunning(down);
    hypervisor_.setAgentAnswering("chatiere-inst1-svc_down", false);

    UsageCollector c(db_, hypervisor_, builder, clock_, Poco::Logger::get("test"), 14, 300s);
    c.collectOnce();
    EXPECT_EQ(hypervisor_.fsTrims("chatiere-inst1-svc_pad"), 1);
    clock_.advance(60s);
    c.collectOnce();  // the kept allocations are read again only after volume_refresh_seconds
    EXPECT_EQ(hypervisor_.fsTrims("chatiere-inst1-svc_pad"), 1);
    clock_.advance(300s);
    const auto report = c.collectOnce();
    EXPECT_EQ(hypervisor_.fsTrims("chatiere-inst1-svc_pad"), 2);
    EXPECT_EQ(report.samples, 2) << "the guest whose agent is down is measured all the same";
}
