// ServiceManager over a migrated temp SQLite file: creation, resizing, suspension and deletion
// write the service, its job and its audit entry together; bad input is refused with the right
// error and leaves the database as it was.

#include "MonitoringFixture.h"
#include "chatiere/manager/Error.h"
#include "chatiere/provisioning/Jobs.h"
#include "hosting/ServiceManager.h"

namespace chatiere::testing {
namespace {

using manager::Actor;
using manager::Error;
using manager::ErrorKind;

manager::CreateService createCommand(const std::string& templateName, const std::string& name) {
    return {templateName, name, std::nullopt};
}

manager::ResizeService resizeCommand(std::optional<int64_t> vcpus, std::optional<int64_t> memoryMib,
                                     std::optional<int64_t> diskGib) {
    return {vcpus, memoryMib, diskGib};
}

class ServiceManagerTest : public MonitoringFixture {
protected:
    ServiceManagerTest()
        : services_(db_, clock_, settings_, catalogue_, associations_, [this] { ++jobsQueued_; }) {
        auto s = db_.session();
        s.execute(
            "INSERT INTO users (id, email, email_key, name, password_hash, language, staff_role, "
            "created_at, updated_at) VALUES ('adm1', 'admin@host.test', 'admin@host.test', 'Alex', "
            "'x', 'fr', 'admin', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')");
        givePlan(true, {});
    }

    // asso1's plan "petite": free (no subscription needed) or not, with these quotas.
    void givePlan(bool free, const std::map<std::string, manager::QuotaLimit>& quotas) {
        manager::Plan plan;
        plan.slug = "petite";
        plan.name = {"Formule", "Plan"};
        plan.templates = {"website"};
        plan.quotas = quotas;
        plan.free = free;
        auto s = db_.session();
        manager::PlanRepository plans(s);
        if (plans.find("petite")) {
            plans.update(plan, "2026-01-01T00:00:00Z");
        } else {
            plans.create(plan, "2026-01-01T00:00:00Z");
        }
        s.execute("UPDATE associations SET plan_slug = 'petite' WHERE id = 'asso1'");
    }

    // Everything a service change may write, as text: equal before and after a refused request.
    std::string snapshot() {
        auto s = db_.session();
        std::string out;
        for (const char* sql : {"SELECT * FROM services ORDER BY id", "SELECT * FROM jobs ORDER BY id",
                                "SELECT * FROM audit_log ORDER BY id"}) {
            s.each(sql, [&](const manager::Row& r) {
                for (int i = 0; i < r.columns(); ++i) {
                    out += (r.isNull(i) ? std::string("NULL") : r.text(i)) + "|";
                }
                out += "\n";
            });
            out += "--\n";
        }
        return out;
    }

    struct JobRow {
        std::string kind;
        std::string status;
        std::string payload;
    };
    std::vector<JobRow> jobsOf(const std::string& serviceId) {
        auto s = db_.session();
        return s.query(
            "SELECT kind, status, payload FROM jobs WHERE service_id = ? ORDER BY id",
            [](const manager::Row& r) {
                return JobRow{r.text(0), r.text(1), r.text(2)};
            },
            serviceId);
    }

    // Runs `f`, expecting an Error of this kind and code, and nothing changed in the database.
    template <class F>
    void expectRefused(F&& f, ErrorKind kind, const std::string& code, const std::string& field = "",
                       const std::string& fieldCode = "") {
        const std::string before = snapshot();
        const int queued = jobsQueued_;
        try {
            f();
            ADD_FAILURE() << "expected the error " << code;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), kind) << e.what();
            EXPECT_EQ(e.code(), code) << e.what();
            if (!field.empty()) {
                const auto& fields = e.fields();
                EXPECT_TRUE(std::any_of(fields.begin(), fields.end(), [&](const manager::FieldError& x) {
                    return x.field == field && x.code == fieldCode;
                })) << e.what();
            }
        }
        EXPECT_EQ(snapshot(), before);
        EXPECT_EQ(jobsQueued_, queued);
    }

    manager::Service createWebsite(const std::string& name = "site") {
        return services_.create(manager_, "asso1", createCommand("website", name));
    }

    const Actor manager_{std::string("usr1"), "manager@jardin.test", std::nullopt, ""};
    const Actor admin_{std::string("adm1"), "admin@host.test", manager::StaffRole::Admin, ""};
    int jobsQueued_ = 0;
    manager::ServiceManager services_;
};

TEST_F(ServiceManagerTest, CreateStoresTheServiceItsCreateJobAndItsAuditEntry) {
    const auto created = createWebsite();
    const auto* manifest = catalogue_.find("website");
    ASSERT_NE(manifest, nullptr);

    const auto stored = service(created.id);
    EXPECT_EQ(stored.name, "site");
    EXPECT_EQ(stored.templateName, "website");
    EXPECT_EQ(stored.state, manager::ServiceState::Requested);
    EXPECT_EQ(stored.vcpus, manifest->vcpus);
    EXPECT_EQ(stored.memoryMib, manifest->memoryMib);
    EXPECT_EQ(stored.diskGib, manifest->diskGib);
    ASSERT_TRUE(stored.hostPort.has_value());
    EXPECT_GE(*stored.hostPort, settings_.portsFirst);
    EXPECT_LE(*stored.hostPort, settings_.portsLast);
    EXPECT_EQ(stored.hostPort, created.hostPort);
    const auto jobs = jobsOf(created.id);
    ASSERT_EQ(jobs.size(), 1U);
    EXPECT_EQ(jobs[0].kind, "create");
    EXPECT_EQ(jobs[0].status, "pending");
    EXPECT_EQ(auditActions("service."), std::vector<std::string>{"service.create"});
    EXPECT_EQ(jobsQueued_, 1);

    // A second service takes another port; the list has both, by name.
    const auto second = createWebsite("autre");
    EXPECT_NE(second.hostPort, created.hostPort);
    const auto listed = services_.list(manager_, "asso1");
    ASSERT_EQ(listed.size(), 2U);
    EXPECT_EQ(listed[0].name, "autre");
    EXPECT_EQ(listed[1].name, "site");
}

TEST_F(ServiceManagerTest, CreateRefusesBadFieldsAndChangesNothing) {
    expectRefused([&] { services_.create(manager_, "asso1", createCommand("nope", "site")); },
                  ErrorKind::Validation, "invalid_fields", "template", "unknown_template");
    expectRefused([&] { services_.create(manager_, "asso1", createCommand("website", "Bad Name")); },
                  ErrorKind::Validation, "invalid_fields", "name", "invalid_name");
    expectRefused([&] { services_.create(manager_, "asso1", createCommand("", "site")); },
                  ErrorKind::Validation, "invalid_fields");
    expectRefused([&] { services_.create(manager_, "asso1", createCommand("website", "-x")); },
                  ErrorKind::Validation, "invalid_fields", "name", "invalid_name");
}

TEST_F(ServiceManagerTest, CreateRefusesATakenNameAPlanLimitAndAMissingSubscription) {
    createWebsite();
    expectRefused([&] { createWebsite(); }, ErrorKind::Conflict, "name_taken");

    givePlan(true, {{"services", manager::QuotaLimit{1, 1}}});
    expectRefused([&] { createWebsite("autre"); }, ErrorKind::Conflict, "quota_exceeded");

    givePlan(false, {});
    expectRefused([&] { createWebsite("autre"); }, ErrorKind::Conflict, "no_subscription");

    auto s = db_.session();
    s.execute("UPDATE associations SET plan_slug = NULL WHERE id = 'asso1'");
    expectRefused([&] { createWebsite("autre"); }, ErrorKind::Conflict, "no_plan");
}

TEST_F(ServiceManagerTest, CreateRefusesStrangersAndAnInactiveAssociation) {
    expectRefused(
        [&] { services_.create(Actor::anonymous("127.0.0.1"), "asso1", createCommand("website", "site")); },
        ErrorKind::Unauthenticated, "unauthenticated");
    expectRefused([&] { services_.create(manager_, "nowhere", createCommand("website", "site")); },
                  ErrorKind::NotFound, "not_found");
    auto s = db_.session();
    s.execute("UPDATE associations SET status = 'suspended' WHERE id = 'asso1'");
    expectRefused([&] { createWebsite(); }, ErrorKind::Conflict, "association_not_active");
}

TEST_F(ServiceManagerTest, ResizeStoresTheNewResourcesAndQueuesAResizeJobWithTheOldOnes) {
    const auto before = addService("svc1");
    const auto resized = services_.resize(manager_, "svc1", resizeCommand(std::nullopt, 512, 3));
    EXPECT_EQ(resized.state, manager::ServiceState::Provisioning);
    const auto stored = service("svc1");
    EXPECT_EQ(stored.state, manager::ServiceState::Provisioning);
    EXPECT_EQ(stored.vcpus, before.vcpus);
    EXPECT_EQ(stored.memoryMib, 512);
    EXPECT_EQ(stored.diskGib, 3);
    const auto jobs = jobsOf("svc1");
    ASSERT_EQ(jobs.size(), 1U);
    EXPECT_EQ(jobs[0].kind, "resize");
    EXPECT_EQ(jobs[0].payload,
              provisioning::formatResources({before.vcpus, before.memoryMib, before.diskGib}));
    EXPECT_EQ(auditActions("service."), std::vector<std::string>{"service.resize"});
    EXPECT_EQ(jobsQueued_, 1);
}

TEST_F(ServiceManagerTest, ResizeRefusesBadValuesLimitsAndStatesAndChangesNothing) {
    addService("svc1");
    {
        auto s = db_.session();
        s.execute("UPDATE services SET disk_gib = 2 WHERE id = 'svc1'");
    }
    expectRefused([&] { services_.resize(manager_, "svc1", resizeCommand(std::nullopt, std::nullopt, 1)); },
                  ErrorKind::Validation, "invalid_fields", "disk_gib", "cannot_shrink");
    expectRefused([&] { services_.resize(manager_, "svc1", resizeCommand(0, std::nullopt, std::nullopt)); },
                  ErrorKind::Validation, "invalid_fields", "vcpus", "out_of_range");
    expectRefused([&] { services_.resize(manager_, "svc1", resizeCommand(std::nullopt, 32, std::nullopt)); },
                  ErrorKind::Validation, "invalid_fields", "memory_mib", "out_of_range");
    expectRefused(
        [&] { services_.resize(manager_, "svc1", resizeCommand(std::nullopt, std::nullopt, std::nullopt)); },
        ErrorKind::Validation, "invalid_fields", "vcpus", "missing");

    givePlan(true, {{"vcpus", manager::QuotaLimit{2, 2}}});
    expectRefused([&] { services_.resize(manager_, "svc1", resizeCommand(3, std::nullopt, std::nullopt)); },
                  ErrorKind::Conflict, "quota_exceeded");

    addService("svc2", "provisioning");
    expectRefused([&] { services_.resize(manager_, "svc2", resizeCommand(2, std::nullopt, std::nullopt)); },
                  ErrorKind::Conflict, "invalid_state");
    expectRefused([&] { services_.resize(manager_, "nope", resizeCommand(2, std::nullopt, std::nullopt)); },
                  ErrorKind::NotFound, "not_found");
}

TEST_F(ServiceManagerTest, RemoveMarksTheServiceDeletingOnceAndQueuesItsDeleteJob) {
    addService("svc1");
    EXPECT_EQ(services_.remove(manager_, "svc1").state, manager::ServiceState::Deleting);
    EXPECT_EQ(service("svc1").state, manager::ServiceState::Deleting);
    // Asked again while it is being deleted: no second job, no second audit entry.
    EXPECT_EQ(services_.remove(manager_, "svc1").state, manager::ServiceState::Deleting);
    const auto jobs = jobsOf("svc1");
    ASSERT_EQ(jobs.size(), 1U);
    EXPECT_EQ(jobs[0].kind, "delete");
    EXPECT_EQ(auditActions("service."), std::vector<std::string>{"service.delete"});

    // Once deleted it is gone for everyone.
    {
        auto s = db_.session();
        manager::ServiceRepository(s).release("svc1", "2026-12-01T08:01:00Z");
    }
    expectRefused([&] { services_.remove(manager_, "svc1"); }, ErrorKind::NotFound, "not_found");
    expectRefused([&] { services_.get(manager_, "svc1"); }, ErrorKind::NotFound, "not_found");
    expectRefused([&] { services_.get(Actor::anonymous("127.0.0.1"), "svc1"); }, ErrorKind::Unauthenticated,
                  "unauthenticated");
}

TEST_F(ServiceManagerTest, SuspendAndResumeEachTouchOnlyTheirOwnReason) {
    addService("svc1");
    EXPECT_EQ(services_.suspend(manager_, "svc1").suspendedFor, std::set<std::string>{"association"});
    EXPECT_EQ(services_.suspend(admin_, "svc1").suspendedFor,
              (std::set<std::string>{"admin", "association"}));
    // Suspending again for the same reason changes nothing and queues nothing.
    const int queued = jobsQueued_;
    services_.suspend(manager_, "svc1");
    EXPECT_EQ(jobsQueued_, queued);
    // The manager resumes only the association's reason: the admin's stays.
    EXPECT_EQ(services_.resume(manager_, "svc1").suspendedFor, std::set<std::string>{"admin"});
    EXPECT_EQ(service("svc1").suspendedFor, std::set<std::string>{"admin"});
    EXPECT_EQ(service("svc1").displayState(), "suspended");
    EXPECT_EQ(services_.resume(admin_, "svc1").suspendedFor, std::set<std::string>{});
    EXPECT_EQ(service("svc1").displayState(), "active");

    std::vector<std::string> kinds;
    for (const auto& job : jobsOf("svc1")) {
        kinds.push_back(job.kind);
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"apply", "apply", "apply", "apply"}));
    EXPECT_EQ(auditActions("service."), (std::vector<std::string>{"service.suspend", "service.suspend",
                                                                  "service.resume", "service.resume"}));
}

TEST_F(ServiceManagerTest, ASuspensionIsRefusedWhileTheServiceIsBeingDeleted) {
    addService("svc1", "deleting");
    expectRefused([&] { services_.suspend(manager_, "svc1"); }, ErrorKind::Conflict, "invalid_state");
    expectRefused([&] { services_.resume(manager_, "svc1"); }, ErrorKind::Conflict, "invalid_state");
}

}  // namespace
}  // namespace chatiere::testing
