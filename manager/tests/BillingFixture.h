#pragma once

// A billing world over a real temp SQLite file, migrated: one plan (asso-web, 10 € a month plus
// 2 € of membership; pay-what-you-can from 5 € a year), an active association with one manager,
// the clock at 2027-01-10 09:00 UTC. Mails only go to the outbox (a table): no mailer runs.

#include "api/Commands.h"
#include "billing/BillingService.h"
#include "chatiere/base/Clock.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/MailTemplates.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/manager/Time.h"
#include "domain/AssociationService.h"
#include "domain/PlanService.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace chatiere::manager::testing {

inline Poco::JSON::Object::Ptr json(const std::string& text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

class BillingFixture : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/chatiere-billing-unit-XXXXXX";
        dir_ = mkdtemp(tmpl);
        db_ = std::make_unique<Database>((dir_ / "chatiere.db").string(), 4);
        db_->migrate();
        settings_.webDir = std::string(CHATIERE_SOURCE_DIR) + "/web-admin";
        settings_.publicUrl = "https://chatons.test";
        settings_.billing.sellerName = "Fab'Lab du Pays";
        settings_.billing.sellerAddress = {"1 rue de la Fabrique", "35000 Rennes"};
        configure(settings_);
        templates_ = std::make_unique<MailTemplates>(std::filesystem::path(settings_.webDir) / "mail");
        outbox_ = std::make_unique<Outbox>(*templates_, clock_, "chatons.test");
        associations_ =
            std::make_unique<AssociationService>(*db_, clock_, settings_, hasher_, *outbox_, [] {});
        billing_ = std::make_unique<BillingService>(*db_, clock_, calendar_, settings_, *associations_,
                                                    [this] { ++jobsQueued_; });
        PlanService(*db_, clock_)
            .create(admin_, api::parsePlanDefinition(
                                json(R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
                "templates": ["website"],
                "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000,
                            "membership_cents": 200},
                           {"interval": "year", "kind": "association", "amount_cents": 10000,
                            "floor_cents": 500}],
                "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}}})")));
        PlanService(*db_, clock_)
            .create(admin_, api::parsePlanDefinition(json(
                                R"({"slug": "asso-plus", "name": {"fr": "Site plus", "en": "Website plus"},
                "templates": ["website"],
                "prices": [{"interval": "month", "kind": "association", "amount_cents": 3000}],
                "quotas": {"services": {"included": 4, "limit": 5}, "disk_gib": {"included": 5, "limit": 10}}})")));
        association_ = plantAssociation("asso_1", "camille@asso.test");
    }
    void TearDown() override {
        billing_.reset();
        associations_.reset();
        db_.reset();
        std::filesystem::remove_all(dir_);
    }
    virtual void configure(Settings&) {}

    // An active association with one manager (who is returned as an actor).
    std::string plantAssociation(const std::string& id, const std::string& email) {
        auto s = db_->session();
        const std::string at = "2027-01-01T00:00:00Z", user = "usr_" + id;
        s.execute(
            "INSERT INTO associations (id, name, kind, email, status, address_line1, postal_code, city, "
            "created_at, updated_at) VALUES (?, ?, 'association', ?, 'active', '1 rue des Lilas', "
            "'35000', 'Rennes', ?, ?)",
            id, "Association " + id, email, at, at);
        s.execute(
            "INSERT INTO users (id, email, email_key, name, password_hash, email_verified, created_at, "
            "updated_at) VALUES (?, ?, ?, 'Camille', 'x', 1, ?, ?)",
            user, email, email, at, at);
        s.execute(
            "INSERT INTO memberships (association_id, user_id, role, created_at) VALUES (?, ?, "
            "'manager', ?)",
            id, user, at);
        return id;
    }
    Actor manager(const std::string& id = "asso_1", const std::string& email = "camille@asso.test") {
        return Actor{std::string("usr_" + id), email, std::nullopt, ""};
    }
    Association association(const std::string& id = "asso_1") {
        auto s = db_->session();
        return *AssociationRepository(s).find(id);
    }

    int64_t count(const std::string& sql) {
        auto s = db_->session();
        return s.integer(sql).value_or(-1);
    }
    std::optional<std::string> text(const std::string& sql) {
        auto s = db_->session();
        return s.text(sql);
    }
    // Every row count that billing writes, to check that a refused request changed nothing.
    std::string footprint() {
        std::string out;
        for (const char* t :
             {"subscriptions", "subscription_changes", "invoices", "invoice_lines", "invoice_sequences",
              "billing_events", "payments", "allocations", "outbox", "audit_log"}) {
            out +=
                std::string(t) + "=" + std::to_string(count(std::string("SELECT COUNT(*) FROM ") + t)) + " ";
        }
        out += "plan=" +
               text("SELECT COALESCE(plan_slug, '-') FROM associations WHERE id = 'asso_1'").value_or("");
        return out;
    }

    std::filesystem::path dir_;
    base::ManualClock clock_{parseTime("2027-01-10T09:00:00Z").value()};
    Calendar calendar_;
    Settings settings_;
    PasswordHasher hasher_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<MailTemplates> templates_;
    std::unique_ptr<Outbox> outbox_;
    std::unique_ptr<AssociationService> associations_;
    std::unique_ptr<BillingService> billing_;
    Actor admin_{std::string("usr_admin"), "admin@chatons.test", StaffRole::Admin, ""};
    std::string association_;
    int jobsQueued_ = 0;
};

// Runs `f`, expecting an Error of `kind` and `code` (and, for a field error, `fieldCode`).
template <class F>
void expectError(F&& f, ErrorKind kind, const std::string& code, const std::string& fieldCode = "") {
    try {
        f();
        ADD_FAILURE() << "no error, expected " << code;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), kind) << e.what();
        EXPECT_EQ(e.code(), code) << e.what();
        if (!fieldCode.empty()) {
            ASSERT_FALSE(e.fields().empty()) << e.what();
            EXPECT_EQ(e.fields().front().code, fieldCode) << e.what();
        }
    }
}

}  // namespace chatiere::manager::testing
