// Several ports per service and the secrets of a service (schema v15), over a migrated temp SQLite
// file: the test-only template tests/templates/appliance declares two ports and a generated
// secret. Ports are allocated at create and released at delete; the secret is made once, reaches
// the guest's configuration, and is never shown (the service's JSON, the audit log).

#include "MonitoringFixture.h"
#include "api/Api.h"
#include "chatiere/manager/Error.h"
#include "hosting/ProvisioningStore.h"
#include "hosting/ServiceManager.h"
#include "store/Migrations.h"
#include "store/ServicePorts.h"
#include "store/ServiceSecrets.h"

#include <sstream>

namespace chatiere::testing {
namespace {

class ServicePortsTest : public MonitoringFixture {
protected:
    ServicePortsTest()
        : appliances_(
              templates::Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) / "tests" / "templates")),
          services_(db_, clock_, settings_, appliances_, associations_, [] {}),
          store_(db_, clock_, appliances_) {
        settings_.portsFirst = 23000;
        settings_.portsLast = 23099;
        manager::Plan plan;  // free, every template
        plan.slug = "libre";
        plan.name = {"Libre", "Free"};
        plan.free = true;
        auto s = db_.session();
        manager::PlanRepository(s).create(plan, "2026-01-01T00:00:00Z");
        s.execute("UPDATE associations SET plan_slug = 'libre' WHERE id = 'asso1'");
    }

    manager::Service create(const std::string& name) {
        return services_.create(manager_, "asso1", {"appliance", name, std::nullopt});
    }
    std::string json(const manager::Service& s) {
        std::ostringstream out;
        manager::api::serviceJson(s).stringify(out);
        return out.str();
    }
    int64_t rows(const std::string& table, const std::string& serviceId) {
        auto s = db_.session();
        return s.integer("SELECT COUNT(*) FROM " + table + " WHERE service_id = ?", serviceId).value_or(-1);
    }
    std::string auditText() {
        auto s = db_.session();
        std::string all;
        s.each("SELECT action || ' ' || COALESCE(details, '') FROM audit_log",
               [&](const manager::Row& r) { all += r.text(0) + "\n"; });
        return all;
    }

    templates::Catalogue appliances_;
    manager::ServiceManager services_;
    manager::ProvisioningStore store_;
    const manager::Actor manager_{std::string("usr1"), "manager@jardin.test", std::nullopt, ""};
};

TEST_F(ServicePortsTest, EachPortOfTheTemplateGetsItsOwnHostPort) {
    const auto created = create("pad");
    const auto stored = service(created.id);
    ASSERT_EQ(stored.ports.size(), 2u);
    EXPECT_EQ(stored.ports[0].name, "admin");
    EXPECT_EQ(stored.ports[0].guestPort, 9002);
    EXPECT_EQ(stored.ports[1].name, "http");
    EXPECT_EQ(stored.ports[1].guestPort, 9001);
    EXPECT_NE(stored.ports[0].hostPort, stored.ports[1].hostPort);
    for (const auto& p : stored.ports) {
        EXPECT_GE(p.hostPort, 23000);
        EXPECT_LE(p.hostPort, 23099);
    }
    EXPECT_EQ(stored.hostPort, stored.ports[1].hostPort) << "the service's port is its http endpoint's";

    // The provisioner's spec carries every port; the JSON shows them.
    const auto spec = store_.spec(created.id);
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->ports, (std::map<std::string, int>{{"admin", stored.ports[0].hostPort},
                                                       {"http", stored.ports[1].hostPort}}));
    EXPECT_EQ(spec->hostPort, stored.ports[1].hostPort);
    const std::string text = json(stored);
    EXPECT_NE(text.find(R"({"name":"http","guest_port":9001,"host_port":)" +
                        std::to_string(stored.ports[1].hostPort) + "}"),
              std::string::npos)
        << text;

    // A second service takes two other ports.
    const auto other = service(create("autre").id);
    ASSERT_EQ(other.ports.size(), 2u);
    std::set<int> all;
    for (const auto& p : stored.ports) {
        all.insert(p.hostPort);
    }
    for (const auto& p : other.ports) {
        all.insert(p.hostPort);
    }
    EXPECT_EQ(all.size(), 4u);

    // Deleted: its ports and its secrets go; a new service can take the ports again.
    store_.reportDeleted(created.id);
    EXPECT_EQ(rows("service_ports", created.id), 0);
    EXPECT_EQ(rows("service_secrets", created.id), 0);
    EXPECT_TRUE(service(created.id).ports.empty());
    {
        auto s = db_.session();
        const auto inUse = manager::ServicePortRepository(s).inUse();
        for (const auto& p : stored.ports) {
            EXPECT_FALSE(inUse.count(p.hostPort)) << p.hostPort;
        }
    }
    const auto again = service(create("encore").id);
    ASSERT_EQ(again.ports.size(), 2u);
    EXPECT_TRUE(std::any_of(again.ports.begin(), again.ports.end(), [&](const manager::ServicePort& p) {
        return p.hostPort == stored.ports[0].hostPort;
    })) << "the lowest free ports are the released ones";
}

TEST_F(ServicePortsTest, AHostPortBelongsToOneServiceOnly) {
    const auto created = service(create("pad").id);
    const auto other = service(create("autre").id);
    auto s = db_.session();
    EXPECT_ANY_THROW(manager::ServicePortRepository(s).insert(
        other.id, {"extra", 1, created.ports[0].hostPort}, "2026-12-01T08:00:00Z"));
}

TEST_F(ServicePortsTest, TheConfigurationIsResolvedAndItsSecretMadeOnceAndNeverShown) {
    const auto created = create("pad");
    const auto spec = store_.spec(created.id);
    ASSERT_TRUE(spec);
    EXPECT_EQ(spec->config.at("association_name"), "Jardin");
    EXPECT_EQ(spec->config.at("association_id"), "asso1");
    EXPECT_EQ(spec->config.at("service_name"), "pad");
    EXPECT_EQ(spec->config.at("service_id"), created.id);
    const std::string key = spec->config.at("api_key");
    EXPECT_GE(key.size(), 43u) << "32 random bytes at least";
    EXPECT_EQ(key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);

    // The same after a restart of the daemon (another store over the same file), and through the
    // reconciler's listing.
    manager::ProvisioningStore restarted(db_, clock_, appliances_);
    EXPECT_EQ(restarted.spec(created.id)->config.at("api_key"), key);
    for (const auto& desired : restarted.desiredServices()) {
        if (desired.spec.id == created.id) {
            EXPECT_EQ(desired.spec.config.at("api_key"), key);
        }
    }
    {
        auto s = db_.session();
        EXPECT_EQ(manager::ServiceSecretRepository(s).find(created.id, "api_key"), key);
        EXPECT_EQ(manager::ServiceSecretRepository(s).ensure(
                      created.id, "api_key", [] { return std::string("another"); }, "2026-12-01T08:00:00Z"),
                  key);
    }
    // Another service has its own.
    EXPECT_NE(store_.spec(create("autre").id)->config.at("api_key"), key);

    EXPECT_EQ(json(service(created.id)).find(key), std::string::npos);
    EXPECT_EQ(auditText().find(key), std::string::npos) << auditText();
}

// Schema v15 moves a live service's port into service_ports (its http endpoint's row); a deleted
// service holds none. Run again (a rewound version), it changes nothing.
TEST(ServicePortsMigration, AV14DatabaseKeepsItsWebsitesPorts) {
    char tmpl[] = "/tmp/chatiere-v15-XXXXXX";
    const std::filesystem::path dir = mkdtemp(tmpl);
    {
        manager::Database db((dir / "c.db").string());
        ASSERT_EQ(db.migrateTo(14), 14);
        auto s = db.session();
        s.execute(
            "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES "
            "('asso1', 'Jardin', 'association', 'j@jardin.test', 'active', '2026-01-01T00:00:00Z', "
            "'2026-01-01T00:00:00Z')");
        for (const char* row :
             {"('svc_live', 'site', 'active', 20005)", "('svc_off', 'ancien', 'deleted', NULL)",
              "('svc_new', 'neuf', 'requested', 20006)"}) {
            s.execute(std::string("INSERT INTO services (id, association_id, name, template, state, vcpus, "
                                  "memory_mib, disk_gib, host_port, created_at, updated_at) SELECT column1, "
                                  "'asso1', column2, 'website', column3, 1, 128, 1, column4, "
                                  "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM (VALUES ") +
                      row + ")");
        }
        // v15 and the ones after it (v16: rollout jobs).
        ASSERT_EQ(db.migrate(), static_cast<int>(manager::migrations().size()) - 14);
        for (int run = 0; run < 2; ++run) {
            SCOPED_TRACE(run == 0 ? "migrated" : "migrated again");
            auto s2 = db.session();
            manager::ServicePortRepository ports(s2);
            const auto live = ports.of("svc_live");
            ASSERT_EQ(live.size(), 1u);
            EXPECT_EQ(live[0].name, "http");
            EXPECT_EQ(live[0].guestPort, 80);
            EXPECT_EQ(live[0].hostPort, 20005);
            EXPECT_EQ(ports.hostPort("svc_new", "http"), 20006);
            EXPECT_TRUE(ports.of("svc_off").empty());
            EXPECT_EQ(ports.inUse(), (std::set<int>{20005, 20006}));
            EXPECT_EQ(manager::ServiceRepository(s2).find("svc_live")->hostPort, 20005) << "kept";
            // v15 again (its statements are written to run twice). Only v15: the later ones never
            // run twice (each runs in the transaction that moves user_version), and v18's ALTER
            // TABLE … ADD COLUMN cannot.
            s2.execute("PRAGMA user_version = 14");
            ASSERT_EQ(db.migrateTo(15), 1);
            s2.execute("PRAGMA user_version = " + std::to_string(manager::Database::latestSchemaVersion()));
        }
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace chatiere::testing
