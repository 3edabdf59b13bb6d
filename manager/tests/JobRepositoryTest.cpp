// The provisioner's job queue in the store: a service's jobs run in order, a claimed job is not
// due again until its lease ends or the daemon restarts, and each step's record is kept.

#include "MonitoringFixture.h"
#include "chatiere/manager/Error.h"
#include "store/Services.h"

namespace chatiere::testing {
namespace {

class JobRepositoryTest : public MonitoringFixture {};

TEST_F(JobRepositoryTest, AServicesJobsRunInOrderAndALeasedJobWaitsForItsLease) {
    addService("svc1");
    addService("svc2");
    auto s = db_.session();
    manager::ServiceRepository services(s);
    manager::JobRepository jobs(s);
    const int64_t a = services.enqueueJob("svc1", "apply", "2026-12-01T08:00:00Z");
    const int64_t b = services.enqueueJob("svc1", "delete", "2026-12-01T07:00:00Z", "p");
    const int64_t c = services.enqueueJob("svc2", "create", "2026-12-01T08:30:00Z");
    EXPECT_EQ(jobs.pending(), 3);
    EXPECT_EQ(jobs.servicesWithPendingJob(), (std::set<std::string>{"svc1", "svc2"}));

    // svc1's older job goes first, though its younger one is due earlier.
    auto next = jobs.nextDue("2026-12-01T09:00:00Z");
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->id, a);
    EXPECT_EQ(next->serviceId, "svc1");
    EXPECT_EQ(next->kind, "apply");
    EXPECT_EQ(next->step, "apply_state");  // its kind's first step, by name
    EXPECT_EQ(next->stepStartedAt, "2026-12-01T08:00:00Z");
    EXPECT_FALSE(next->rollbackReason.has_value());
    EXPECT_FALSE(jobs.nextDue("2026-12-01T07:59:59Z").has_value());

    jobs.lease(a, "2026-12-01T09:05:00Z");
    next = jobs.nextDue("2026-12-01T09:00:00Z");
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->id, c);  // svc1 waits for its leased job
    EXPECT_EQ(next->step, "ensure_pool");
    jobs.lease(c, "2026-12-01T09:05:00Z");
    EXPECT_FALSE(jobs.nextDue("2026-12-01T09:00:00Z").has_value());

    // A restart releases the leases: due at once.
    EXPECT_EQ(jobs.releaseLeases("2026-12-01T09:01:00Z"), 2);
    EXPECT_EQ(jobs.nextDue("2026-12-01T09:01:00Z")->id, a);
    jobs.lease(c, "2026-12-01T10:00:00Z");  // out of the way: svc1's job alone is due below

    jobs.stepDone(a, provisioning::JobStep::WaitHealthy, "2026-12-01T09:02:00Z");
    EXPECT_EQ(s.text("SELECT step FROM jobs WHERE id = ?", a), "wait_healthy");
    jobs.rollBack(a, provisioning::JobStep::UndoSwitch, "disk full", "2026-12-01T09:03:00Z");
    next = jobs.nextDue("2026-12-01T09:03:00Z");
    EXPECT_EQ(next->step, "undo_switch");
    EXPECT_EQ(next->rollbackReason, "disk full");
    jobs.finish(a, manager::JobStatus::Failed, "disk full", "2026-12-01T09:04:00Z");
    next = jobs.nextDue("2026-12-01T09:04:00Z");
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->id, b);
    EXPECT_EQ(next->payload, "p");
    jobs.finish(b, manager::JobStatus::Done, std::nullopt, "2026-12-01T09:05:00Z");
    EXPECT_EQ(jobs.pending(), 1);
    EXPECT_EQ(jobs.servicesWithPendingJob(), std::set<std::string>{"svc2"});
    EXPECT_EQ(s.text("SELECT last_error FROM jobs WHERE id = ?", b), std::nullopt);
    EXPECT_EQ(s.text("SELECT last_error FROM jobs WHERE id = ?", a), "disk full");
}

TEST_F(JobRepositoryTest, AJobOfAKindThatIsNoneIsRefused) {
    addService("svc1");
    auto s = db_.session();
    EXPECT_THROW(manager::ServiceRepository(s).enqueueJob("svc1", "reboot", "2026-12-01T08:00:00Z"),
                 manager::Error);
    EXPECT_EQ(manager::JobRepository(s).pending(), 0);
}

TEST_F(JobRepositoryTest, TheServiceRepositoryReadsWhatItWrites) {
    addService("svc1");
    addService("svc2", "deleted");
    auto s = db_.session();
    manager::ServiceRepository services(s);
    EXPECT_EQ(services.associationOf("svc1"), "asso1");
    EXPECT_EQ(services.associationNameOf("svc1"), "Jardin");
    EXPECT_FALSE(services.associationOf("nope").has_value());
    EXPECT_TRUE(services.nameTaken("asso1", "svc1"));
    EXPECT_FALSE(services.nameTaken("asso1", "svc2"));  // deleted: the name is free again
    ASSERT_EQ(services.live().size(), 1U);
    EXPECT_EQ(services.ofAssociation("asso1").size(), 1U);
    EXPECT_EQ(services.ofAssociation("asso1", true).size(), 2U);

    services.setSuspendedFor("svc1", {"quota", "admin"}, "2026-12-01T09:00:00Z");
    services.setResources("svc1", 2, 256, 3, "2026-12-01T09:00:00Z");
    services.setVolumeGeneration("svc1", 4, "2026-12-01T09:00:00Z");
    services.setState("svc1", manager::ServiceState::Failed, std::string("boom"), "2026-12-01T09:01:00Z");
    auto svc = *services.find("svc1");
    EXPECT_EQ(svc.suspendedFor, (std::set<std::string>{"admin", "quota"}));
    EXPECT_EQ(svc.vcpus, 2);
    EXPECT_EQ(svc.memoryMib, 256);
    EXPECT_EQ(svc.diskGib, 3);
    EXPECT_EQ(svc.volumeGeneration, 4);
    EXPECT_EQ(svc.state, manager::ServiceState::Failed);
    EXPECT_EQ(svc.lastError, "boom");
    EXPECT_EQ(svc.updatedAt, "2026-12-01T09:01:00Z");

    services.setActive("svc1", "http://127.0.0.1:20001", "2026-12-01T09:02:00Z");
    svc = *services.find("svc1");
    EXPECT_EQ(svc.state, manager::ServiceState::Active);
    EXPECT_EQ(svc.endpoint, "http://127.0.0.1:20001");
    EXPECT_FALSE(svc.lastError.has_value());
    services.markProvisioning("svc1", "2026-12-01T09:03:00Z");  // only from requested
    EXPECT_EQ(services.find("svc1")->state, manager::ServiceState::Active);

    const int port = *svc.hostPort;
    EXPECT_TRUE(services.portsInUse().count(port));
    services.release("svc1", "2026-12-01T09:04:00Z");
    svc = *services.find("svc1");
    EXPECT_EQ(svc.state, manager::ServiceState::Deleted);
    EXPECT_FALSE(svc.hostPort.has_value());
    EXPECT_FALSE(svc.endpoint.has_value());
    EXPECT_FALSE(services.portsInUse().count(port));
}

}  // namespace
}  // namespace chatiere::testing
