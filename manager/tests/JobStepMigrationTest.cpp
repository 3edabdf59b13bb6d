// Schema v13 stores a provisioning job's step by name. A database written at v12 holds jobs at
// numbered steps, some in flight when the daemon stopped: after the upgrade each one resumes at
// the step it was at and ends as it would have (done, or undone for a failed replacement or
// resize), with the service's guest and volumes as they should be.

#include "FakeImages.h"
#include "chatiere/manager/Database.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "chatiere/provisioning/Provisioner.h"
#include "hosting/ProvisioningStore.h"

#include <Poco/Data/Statement.h>
#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace chatiere::manager;
using namespace chatiere::provisioning;
using namespace chatiere::base;
using namespace Poco::Data::Keywords;
using namespace std::chrono_literals;

namespace {

class PassingProbe final : public HealthProbe {
public:
    bool check(const chatiere::templates::HealthCheck&, int, std::string& detail) override {
        detail.clear();
        return true;
    }
};

// One job as v12 left it: its kind, its numbered step, and the name v13 gives that step.
struct V12Job {
    std::string kind;
    int step;
    std::string name;
    std::string outcome;  // once resumed: done, or failed (undone)
};

const std::vector<V12Job>& v12Jobs() {
    static const std::vector<V12Job> jobs = {
        {"create", 0, "ensure_pool", "done"},
        {"create", 1, "ensure_image", "done"},
        {"create", 2, "ensure_volume", "done"},
        {"create", 3, "define", "done"},
        {"create", 4, "start", "done"},
        {"create", 5, "become_active", "done"},
        {"apply", 0, "apply_state", "done"},
        {"replace_content", 0, "write_volume", "done"},
        {"replace_content", 1, "switch_volume", "done"},
        {"replace_content", 2, "wait_healthy", "done"},
        {"replace_content", 3, "commit_volume", "done"},
        {"replace_content", 4, "delete_old_volumes", "done"},
        {"replace_content", 100, "undo_new_volume", "failed"},
        {"replace_content", 101, "undo_switch", "failed"},
        {"resize", 0, "stop_guest", "done"},
        {"resize", 1, "grow_volume", "done"},
        {"resize", 2, "define_and_start", "done"},
        {"resize", 3, "become_active", "done"},
        {"resize", 100, "undo_resize", "failed"},
        {"delete", 0, "remove", "done"},
    };
    return jobs;
}

class JobStepMigrationTest : public ::testing::Test {
protected:
    JobStepMigrationTest()
        : dir_(makeDir()),
          db_((dir_ / "v12.db").string()),
          catalogue_(
              chatiere::templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates")),
          images_(dir_ / "images"),
          builder_(hypervisor_, catalogue_, images_, {"inst1", "chatiere", "/fake/volumes", "qemu"}),
          store_(db_, clock_, catalogue_),
          provisioner_(builder_, probe_, store_, store_, clock_, Poco::Logger::get("test"), settings()) {}
    ~JobStepMigrationTest() override { std::filesystem::remove_all(dir_); }

    static std::filesystem::path makeDir() {
        char tmpl[] = "/tmp/chatiere-jobsteps-XXXXXX";
        const std::filesystem::path d = mkdtemp(tmpl);
        chatiere::testing::plantImage(d / "images", "website");
        return d;
    }
    static ProvisionerSettings settings() {
        ProvisionerSettings s;
        s.maxAttempts = 3;
        return s;
    }
    static std::string serviceOf(const V12Job& job) { return job.kind + "-" + std::to_string(job.step); }

    // A service and its job, written as v12 wrote them; returns the job's id.
    int64_t addV12Job(const V12Job& job, int port) {
        const std::string id = serviceOf(job);
        const bool resize = job.kind == "resize";
        const std::string state = job.kind == "create"   ? "provisioning"
                                  : job.kind == "delete" ? "deleting"
                                                         : "active";
        auto s = db_.session();
        s << "INSERT INTO services (id, association_id, name, template, state, vcpus, memory_mib, disk_gib, "
             "host_port, created_at, updated_at) VALUES (?, 'asso1', ?, 'website', ?, ?, ?, ?, ?, "
             "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            bind(id), bind(id), bind(state), bind(resize ? 2 : 1), bind(resize ? 256 : 128),
            bind(resize ? 2 : 1), bind(port), now;
        std::string payload;
        if (job.kind == "replace_content") {
            payload = (dir_ / (id + ".tar")).string();
            std::ofstream(payload) << "new content of " << id;
        } else if (resize) {
            payload = formatResources({1, 128, 1});
        }
        const bool undoing = job.step >= 100;
        s << "INSERT INTO jobs (service_id, kind, step, next_attempt_at, step_started_at, payload, "
             "created_at, "
             "rollback_reason) VALUES (?, ?, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, "
             "'2026-01-01T00:00:00Z', NULLIF(?, ''))",
            bind(id), bind(job.kind), bind(job.step), bind(payload),
            bind(std::string(undoing ? "it failed" : "")), now;
        Poco::Int64 jobId = 0;
        s << "SELECT last_insert_rowid()", into(jobId), now;
        return jobId;
    }

    // The guest and volumes as the steps before the job's step left them (the daemon stopped
    // before that step).
    void runStepsBefore(const V12Job& job, int64_t jobId) {
        ServiceSpec spec = *store_.spec(serviceOf(job));
        const auto created = [&](int steps) {
            if (steps > 0)
                builder_.ensurePool();
            if (steps > 1)
                builder_.ensureImage(spec);
            if (steps > 2)
                builder_.ensureVolume(spec);
            if (steps > 3)
                builder_.define(spec);
            if (steps > 4)
                builder_.ensureRunning(spec);
        };
        if (job.kind == "create") {
            created(job.step);
            return;
        }
        if (job.kind == "resize") {
            ServiceSpec old = spec;
            old.vcpus = 1;
            old.memoryMib = 128;
            old.diskGib = 1;
            builder_.ensurePool();
            builder_.ensureImage(old);
            builder_.ensureVolume(old);
            builder_.define(old);
            builder_.ensureRunning(old);
            // 100: it failed defining the guest with its new resources, once its volume had grown.
            const int done = job.step == 100 ? 2 : job.step;
            if (done > 0)
                builder_.ensureOff(spec, 0ms);
            if (done > 1)
                builder_.growVolume(spec);
            if (done > 2) {
                builder_.define(spec);
                builder_.ensureRunning(spec);
            }
            return;
        }
        created(5);
        if (job.kind == "replace_content") {
            originalContent_[spec.id] = hypervisor_.volumeContent("chatiere", builder_.volumeName(spec.id));
            ServiceSpec next = spec;
            next.volumeGeneration = jobId;
            // 100: the new volume could not be written; 101: the new guest never got healthy.
            const int done = job.step == 100 ? 0 : job.step == 101 ? 2 : job.step;
            if (done > 0)
                builder_.writeVolume(spec, jobId, "new content of " + spec.id);
            if (done > 1) {
                builder_.ensureOff(spec, 0ms);
                builder_.define(next);
                builder_.ensureRunning(next);
            }
            if (done > 3) {
                auto s = db_.session();
                s << "UPDATE services SET volume_generation = ? WHERE id = ?",
                    bind(static_cast<Poco::Int64>(jobId)), bind(spec.id), now;
            }
        }
    }

    std::vector<std::string> volumesOf(const std::string& serviceId) {
        std::vector<std::string> out;
        for (const auto& v : hypervisor_.volumes("chatiere")) {
            if (builder_.isVolumeOf(serviceId, v.name)) {
                out.push_back(v.name);
            }
        }
        return out;
    }

    std::filesystem::path dir_;
    Database db_;
    FakeHypervisor hypervisor_;
    chatiere::templates::Catalogue catalogue_;
    chatiere::templates::ImageCache images_;
    GuestBuilder builder_;
    ManualClock clock_{Clock::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 24}}};
    PassingProbe probe_;
    ProvisioningStore store_;
    Provisioner provisioner_;
    std::map<std::string, std::string> originalContent_;
};

}  // namespace

TEST_F(JobStepMigrationTest, JobsAtEveryNumberedStepOfV12ResumeAtTheirNamedStepAfterTheUpgrade) {
    ASSERT_EQ(db_.migrateTo(12), 12);
    {
        auto s = db_.session();
        s << "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES "
             "('asso1', 'Jardin', 'association', 'j@jardin.test', 'active', '2026-01-01T00:00:00Z', "
             "'2026-01-01T00:00:00Z')",
            now;
    }
    std::map<std::string, int64_t> jobIds;
    int port = 20000;
    for (const auto& job : v12Jobs()) {
        jobIds[serviceOf(job)] = addV12Job(job, ++port);
    }

    ASSERT_EQ(db_.migrateTo(13), 1);
    ASSERT_EQ(db_.schemaVersion(), 13);
    for (const auto& job : v12Jobs()) {
        SCOPED_TRACE(serviceOf(job));
        std::string step;
        std::string status;
        auto s = db_.session();
        s << "SELECT step, status FROM jobs WHERE service_id = ?", bind(serviceOf(job)), into(step),
            into(status), now;
        EXPECT_EQ(step, job.name);
        EXPECT_EQ(status, "pending");
        EXPECT_TRUE(jobStepFrom(step).has_value()) << "a step this version knows";
        EXPECT_EQ(stepOfV12Number(*jobKindFrom(job.kind), job.step), jobStepFrom(step))
            << "the test hook's numbers say the same";
    }

    // Run again (a database whose version was rewound): the names stay.
    {
        auto s = db_.session();
        s << "PRAGMA user_version = 12", now;
    }
    ASSERT_EQ(db_.migrateTo(13), 1);
    for (const auto& job : v12Jobs()) {
        std::string step;
        auto s = db_.session();
        s << "SELECT step FROM jobs WHERE service_id = ?", bind(serviceOf(job)), into(step), now;
        EXPECT_EQ(step, job.name) << serviceOf(job) << ", migrated twice";
    }

    // The daemon runs on the latest schema: the jobs resume after every later migration too.
    ASSERT_GE(db_.migrate(), 1);
    for (const auto& job : v12Jobs()) {
        runStepsBefore(job, jobIds[serviceOf(job)]);
    }
    for (int i = 0; i < 500 && store_.pendingJobs() > 0; ++i) {
        if (!provisioner_.runOnce()) {
            clock_.advance(61s);
        }
    }
    ASSERT_EQ(store_.pendingJobs(), 0) << "every job ended";

    for (const auto& job : v12Jobs()) {
        const std::string id = serviceOf(job);
        SCOPED_TRACE(id);
        std::string status;
        std::string state;
        std::string lastError;
        Poco::Int64 generation = 0;
        int memory = 0, disk = 0;
        {
            auto s = db_.session();
            s << "SELECT status FROM jobs WHERE service_id = ?", bind(id), into(status), now;
            s << "SELECT state, COALESCE(last_error, ''), volume_generation, memory_mib, disk_gib FROM "
                 "services WHERE id = ?",
                bind(id), into(state), into(lastError), into(generation), into(memory), into(disk), now;
        }
        EXPECT_EQ(status, job.outcome);
        if (job.kind == "delete") {
            EXPECT_EQ(state, "deleted");
            EXPECT_FALSE(hypervisor_.state(builder_.domainName(id)).has_value());
            EXPECT_TRUE(volumesOf(id).empty());
            continue;
        }
        EXPECT_EQ(state, "active");
        EXPECT_EQ(lastError.empty(), job.outcome == "done") << lastError;
        const ServiceSpec spec = *store_.spec(id);
        EXPECT_EQ(hypervisor_.state(builder_.domainName(id)), GuestState::Running);
        EXPECT_EQ(hypervisor_.domainXml(builder_.domainName(id)), builder_.renderDomain(spec))
            << "the guest is the one the service describes";
        const std::string current = builder_.volumeName(id, generation);
        EXPECT_EQ(volumesOf(id), std::vector<std::string>{current}) << "one volume left";
        if (job.kind == "replace_content") {
            EXPECT_EQ(generation, job.outcome == "done" ? jobIds[id] : 0);
            EXPECT_EQ(hypervisor_.volumeContent("chatiere", current),
                      job.outcome == "done" ? "new content of " + id : originalContent_[id]);
        }
        if (job.kind == "resize") {
            EXPECT_EQ(memory, job.outcome == "done" ? 256 : 128);
            EXPECT_EQ(disk, 2) << "a grown volume stays grown";
        }
    }
}

TEST_F(JobStepMigrationTest, AStepThisVersionDoesNotKnowFailsTheJobInsteadOfGuessing) {
    db_.migrate();
    auto s = db_.session();
    s << "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES "
         "('asso1', 'Jardin', 'association', 'j@jardin.test', 'active', '2026-01-01T00:00:00Z', "
         "'2026-01-01T00:00:00Z')",
        now;
    s << "INSERT INTO services (id, association_id, name, template, state, vcpus, memory_mib, disk_gib, "
         "host_port, created_at, updated_at) VALUES ('svc1', 'asso1', 'site', 'website', 'active', 1, 128, "
         "1, "
         "20001, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        now;
    s << "INSERT INTO jobs (service_id, kind, step, next_attempt_at, step_started_at, created_at) VALUES "
         "('svc1', 'delete', 'a_step_of_a_later_version', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', "
         "'2026-01-01T00:00:00Z')",
        now;
    builder_.ensurePool();
    const ServiceSpec spec = *store_.spec("svc1");
    builder_.ensureImage(spec);
    builder_.ensureVolume(spec);
    builder_.define(spec);

    EXPECT_FALSE(store_.claim(clock_.now(), clock_.now() + 60s).has_value());
    std::string status;
    std::string error;
    s << "SELECT status, last_error FROM jobs WHERE service_id = 'svc1'", into(status), into(error), now;
    EXPECT_EQ(status, "failed");
    EXPECT_NE(error.find("a_step_of_a_later_version"), std::string::npos);
    EXPECT_TRUE(hypervisor_.state(builder_.domainName("svc1")).has_value()) << "nothing was removed";
}

TEST(JobSteps, EveryStepHasOneNameThatReadsBack) {
    std::set<std::string> names;
    for (const auto kind :
         {JobKind::Create, JobKind::Apply, JobKind::ReplaceContent, JobKind::Resize, JobKind::Delete}) {
        std::vector<JobStep> steps = forwardSteps(kind);
        for (int n : {100, 101}) {
            if (const auto undo = stepOfV12Number(kind, n)) {
                steps.push_back(*undo);
            }
        }
        for (const auto step : steps) {
            EXPECT_EQ(jobStepFrom(toString(step)), step) << toString(step);
            names.insert(toString(step));
        }
        EXPECT_EQ(firstStep(kind), forwardSteps(kind).front());
        EXPECT_FALSE(nextStep(kind, forwardSteps(kind).back()).has_value());
    }
    EXPECT_EQ(names.size(), 20u) << "no two steps share a name";
    EXPECT_FALSE(names.count("unknown"));
    EXPECT_FALSE(jobStepFrom("0").has_value());
    EXPECT_EQ(nextStep(JobKind::Resize, JobStep::DefineAndStart), JobStep::Configure);
    EXPECT_EQ(nextStep(JobKind::Resize, JobStep::Configure), JobStep::BecomeActive);
    EXPECT_EQ(nextStep(JobKind::Create, JobStep::Start), JobStep::Configure);
    EXPECT_EQ(nextStep(JobKind::Apply, JobStep::ApplyState), JobStep::Configure);
    EXPECT_FALSE(nextStep(JobKind::Create, JobStep::UndoResize).has_value());
}
