#pragma once

// What the pads and mail tests (PadsFixture.h, MailFixture.h) build on: a daemon on port 0 with two
// associations on one plan, and services whose guests the test driver cannot boot (an editor, a
// mail service) marked active as if they had booted.

#include "ApiClient.h"
#include "Eventually.h"
#include "PortBlock.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace chatiere::testing {

// Waits until the test driver has failed the service's provisioning, then marks it active with
// its endpoint on its allocated host port (nothing listens there unless the test does).
inline void markActive(TestDaemon& d, const ApiClient& c, std::string id) {
    eventually(
        [&] {
            const auto s = c.get("/api/v1/services/" + id);
            return s.json()->getValue<std::string>("state") == "failed";
        },
        std::chrono::seconds(30));
    auto s = d.daemon().database().session();
    s << "UPDATE services SET state = 'active', last_error = NULL, "
         "endpoint = 'http://127.0.0.1:' || host_port WHERE id = ?",
        Poco::Data::Keywords::use(id), Poco::Data::Keywords::now;
}

// A daemon on port 0 without reconciliation (the services planted active have no guest), its ports
// this process's own, and the plan `planJson()` ("asso"); two associations on it: A (Jardin) with a
// manager and a member, B (Chorale) with a manager. `configure` adds the fixture's settings.
class AssociationsFixture : public ::testing::Test {
protected:
    virtual std::string planJson() const = 0;
    virtual void configure(chatiere::manager::Settings&) const {}

    void SetUp() override {
        d_ = std::make_unique<TestDaemon>([this](chatiere::manager::Settings& s) {
            s.reconcileIntervalSeconds = 3600;
            s.portsFirst = ports_.first();
            s.portsLast = ports_.last();
            configure(s);
        });
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", planJson()).status, 201);
        a_ = d_->approvedAssociation(*admin_, "Jardin", "manager@a.test", "asso");
        b_ = d_->approvedAssociation(*admin_, "Chorale", "manager@b.test", "asso");
        managerA_ = std::make_unique<ApiClient>(d_->login("manager@a.test", "correct horse battery"));
        managerB_ = std::make_unique<ApiClient>(d_->login("manager@b.test", "correct horse battery"));
        d_->signup("Perso", "member@a.test");
        ASSERT_EQ(admin_
                      ->post("/api/v1/associations/" + a_ + "/members",
                             R"({"email": "member@a.test", "role": "member"})")
                      .status,
                  201);
        memberA_ = std::make_unique<ApiClient>(d_->login("member@a.test", "correct horse battery"));
    }

    PortBlock ports_;  // before d_: held while the daemon runs
    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_, managerA_, managerB_, memberA_;
    std::string a_, b_;
};

}  // namespace chatiere::testing
