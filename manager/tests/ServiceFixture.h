#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/MailTemplates.h"
#include "chatiere/manager/Outbox.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/manager/Time.h"
#include "domain/Actor.h"
#include "domain/StaffAccounts.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <regex>
#include <string>

namespace chatiere::manager::testing {

// The services of accounts and associations over a real, migrated SQLite file in a temp dir, with
// a manual clock, a cheap password hasher, the shipped mail templates and a counter in place of
// the outbox worker's wake-up (no mail leaves: the outbox table is read instead).
class ServiceFixture : public ::testing::Test {
protected:
    ServiceFixture()
        : dir_(makeDir()),
          db((dir_ / "c.db").string()),
          clock(*parseTime("2026-03-02T09:00:00Z")),
          hasher(Argon2Params{8, 1, 1}),
          templates(std::filesystem::path(CHATIERE_SOURCE_DIR) / "web-admin" / "mail"),
          outbox(templates, clock, "test.invalid") {
        db.migrate();
    }
    ~ServiceFixture() override { std::filesystem::remove_all(dir_); }

    static Poco::JSON::Object::Ptr json(const std::string& text) {
        return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    }

    std::function<void()> wake() {
        return [this] { ++wakeUps; };
    }

    int64_t count(const std::string& sql) { return db.session().integer(sql).value_or(-1); }

    // Every row of every table, to show that a refused request changed nothing.
    std::string dump() {
        auto s = db.session();
        const auto tables = s.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                                    [](const Row& r) { return r.text(0); });
        std::string out;
        for (const auto& t : tables) {
            out += "[" + t + "]\n";
            s.each("SELECT * FROM \"" + t + "\"", [&](const Row& r) {
                for (int i = 0; i < r.columns(); ++i) {
                    out += r.isNull(i) ? "NULL" : r.text(i);
                    out += '|';
                }
                out += '\n';
            });
        }
        return out;
    }

    // The token of the link in the newest mail to `to` with `templateName`.
    std::string tokenMailedTo(const std::string& to, const std::string& templateName) {
        auto body = db.session().text(
            "SELECT body FROM outbox WHERE recipient = ? AND template = ? ORDER BY id DESC LIMIT 1", to,
            templateName);
        if (!body) {
            ADD_FAILURE() << "no " << templateName << " mail to " << to;
            return "";
        }
        std::smatch m;
        if (!std::regex_search(*body, m, std::regex("token=([A-Za-z0-9_-]+)"))) {
            ADD_FAILURE() << "no token in " << *body;
            return "";
        }
        return m[1];
    }

    Actor admin() {
        if (!admin_) {
            const User u = createStaffUser(db, clock, hasher, "admin@host.test", "Admin",
                                           "a long admin passphrase", StaffRole::Admin);
            admin_ = Actor{u.id, u.email, u.staffRole, "127.0.0.1"};
        }
        return *admin_;
    }

    // Runs `f`, which must throw an Error of `kind` and `code`.
    template <class F>
    void expectError(F&& f, ErrorKind kind, const std::string& code) {
        try {
            f();
            ADD_FAILURE() << "expected " << code;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), kind) << e.code() << ": " << e.what();
            EXPECT_EQ(e.code(), code) << e.what();
        }
    }

    // Same, and the database is exactly as before.
    template <class F>
    void expectRefused(F&& f, ErrorKind kind, const std::string& code) {
        const std::string before = dump();
        expectError(std::forward<F>(f), kind, code);
        EXPECT_EQ(dump(), before) << code << " changed the database";
    }

private:
    static std::filesystem::path makeDir() {
        char tmpl[] = "/tmp/chatiere-svc-XXXXXX";
        return mkdtemp(tmpl);
    }
    std::filesystem::path dir_;

protected:
    Database db;
    base::ManualClock clock;
    Settings settings;
    PasswordHasher hasher;
    MailTemplates templates;
    Outbox outbox;
    int wakeUps = 0;

private:
    std::optional<Actor> admin_;
};

}  // namespace chatiere::manager::testing
