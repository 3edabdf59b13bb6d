#pragma once

// What the monitoring unit tests share: a temp SQLite file, a manual clock, the fake hypervisor
// with a guest builder, one association ("asso1", its manager "manager@jardin.test") on a plan
// whose quotas each test sets, and helpers to add services and their latest readings.

#include "FakeImages.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/MailTemplates.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/manager/Time.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "domain/AssociationService.h"
#include "store/Plans.h"
#include "store/Services.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace chatiere::testing {

using namespace Poco::Data::Keywords;

class MonitoringFixture : public ::testing::Test {
protected:
    MonitoringFixture()
        : dir_(makeDir()),
          db_((dir_ / "m.db").string()),
          catalogue_(templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates")),
          images_(dir_ / "images"),
          builder_(hypervisor_, catalogue_, images_, {"inst1", "chatiere", "/fake/volumes", "qemu"}),
          mailTemplates_(std::filesystem::path(CHATIERE_SOURCE_DIR) / "web-admin" / "mail"),
          outbox_(mailTemplates_, clock_, "chatiere.test"),
          associations_(db_, clock_, settings_, hasher_, outbox_, [this] { ++mailWakes_; }) {
        db_.migrate();
        auto s = db_.session();
        s << "INSERT INTO users (id, email, email_key, name, password_hash, language, created_at, "
             "updated_at) "
             "VALUES ('usr1', 'manager@jardin.test', 'manager@jardin.test', 'Camille', 'x', 'fr', "
             "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            now;
        s << "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES "
             "('asso1', 'Jardin', 'association', 'j@jardin.test', 'active', '2026-01-01T00:00:00Z', "
             "'2026-01-01T00:00:00Z')",
            now;
        s << "INSERT INTO memberships (association_id, user_id, role, created_at) VALUES "
             "('asso1', 'usr1', 'manager', '2026-01-01T00:00:00Z')",
            now;
        builder_.ensurePool();
    }
    ~MonitoringFixture() override { std::filesystem::remove_all(dir_); }

    static std::filesystem::path makeDir() {
        char tmpl[] = "/tmp/chatiere-monitoring-XXXXXX";
        const std::filesystem::path d = mkdtemp(tmpl);
        testing::plantImage(d / "images", "website");
        return d;
    }

    // Gives asso1 the plan "p" (a new version if it exists) with these quotas.
    void setPlan(const std::map<std::string, manager::QuotaLimit>& quotas) {
        manager::Plan plan;
        plan.slug = "petite";
        plan.name = {"Formule", "Plan"};
        plan.templates = {"website"};
        plan.quotas = quotas;
        auto s = db_.session();
        manager::PlanRepository plans(s);
        if (plans.find("petite")) {
            plans.update(plan, "2026-01-01T00:00:00Z");
        } else {
            plans.create(plan, "2026-01-01T00:00:00Z");
        }
        s << "UPDATE associations SET plan_slug = 'petite' WHERE id = 'asso1'", now;
    }

    manager::Service addService(const std::string& id, const std::string& state = "active",
                                const std::string& templateName = "website") {
        manager::Service service;
        service.id = id;
        service.associationId = "asso1";
        service.name = id;
        service.templateName = templateName;
        service.state = manager::storedState<manager::ServiceState>(state, "addService");
        service.hostPort = 20000 + static_cast<int>(std::hash<std::string>{}(id) % 900);
        service.createdAt = service.updatedAt = "2026-01-01T00:00:00Z";
        auto s = db_.session();
        manager::ServiceRepository(s).insert(service);
        return service;
    }

    // The service's latest reading of stored data, as the collector leaves it.
    void setStored(const std::string& serviceId, double gib) {
        const auto bytes = static_cast<Poco::Int64>(gib * 1024 * 1024 * 1024);
        const std::string at = manager::formatTime(clock_.now());
        auto s = db_.session();
        s << "INSERT INTO usage_latest (service_id, association_id, at, stored_bytes) VALUES (?, 'asso1', ?, "
             "?) "
             "ON CONFLICT (service_id) DO UPDATE SET at = excluded.at, stored_bytes = excluded.stored_bytes",
            bind(serviceId), bind(at), bind(bytes), now;
    }

    std::vector<std::string> mailSubjects() {
        auto s = db_.session();
        std::vector<std::string> subjects;
        s << "SELECT subject FROM outbox ORDER BY id", into(subjects), now;
        return subjects;
    }
    std::vector<std::string> auditActions(const std::string& prefix) {
        auto s = db_.session();
        std::vector<std::string> actions;
        const std::string like = prefix + "%";
        s << "SELECT action FROM audit_log WHERE action LIKE ? ORDER BY id", bind(like), into(actions), now;
        return actions;
    }
    manager::Service service(const std::string& id) {
        auto s = db_.session();
        return *manager::ServiceRepository(s).find(id);
    }

    std::filesystem::path dir_;
    manager::Database db_;
    base::ManualClock clock_{manager::parseTime("2026-12-01T08:00:00Z").value()};
    provisioning::FakeHypervisor hypervisor_;
    templates::Catalogue catalogue_;
    templates::ImageCache images_;
    provisioning::GuestBuilder builder_;
    manager::Settings settings_;
    manager::PasswordHasher hasher_;
    manager::MailTemplates mailTemplates_;
    manager::Outbox outbox_;
    int mailWakes_ = 0;
    manager::AssociationService associations_;
    const manager::Calendar calendar_;
};

}  // namespace chatiere::testing
