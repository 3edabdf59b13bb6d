#pragma once

// What the mail tests share (MailApiTest.cpp: the API; MailPagesTest.cpp: the pages): a daemon on
// port 0 with the test driver and a plan of three mailboxes and 1 GiB of quotas without forwarding
// to other domains; two associations (A with a manager and a member, B with a manager), a mail
// service in each and a website in A. The guests are not booted (the system tier's MailGuestTest
// boots a real one); a fixture that wants them active says so (activeServices).

#include "AssociationsFixture.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace chatiere::testing {

inline const std::string kMailPlan = R"({"slug": "asso", "name": "Asso", "templates": ["website", "mail"],
    "free": true, "prices": [],
    "quotas": {"services": {"included": 4, "limit": 4}, "disk_gib": {"included": 4, "limit": 4},
               "mailboxes": {"included": 3, "limit": 3}, "mail_gib": {"included": 1, "limit": 1}}})";

class MailFixture : public AssociationsFixture {
protected:
    // Whether the services are marked active once created, as if their guests had booted.
    virtual bool activeServices() const { return false; }
    std::string planJson() const override { return kMailPlan; }

    void SetUp() override {
        AssociationsFixture::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        mail_ = create(*managerA_, a_,
                       R"({"template": "mail", "name": "courrier", "mail_domain": "Asso-Test.example"})");
        mailB_ = create(*managerB_, b_,
                        R"({"template": "mail", "name": "courrier", "mail_domain": "chorale.example"})");
        website_ = create(*managerA_, a_, R"({"template": "website", "name": "site"})");
        if (activeServices()) {
            markActive(*d_, *managerA_, mail_);
            markActive(*d_, *managerB_, mailB_);
            markActive(*d_, *managerA_, website_);
        }
    }

    std::string create(const ApiClient& c, const std::string& association, const std::string& body) {
        const auto r = c.post("/api/v1/associations/" + association + "/services", body);
        EXPECT_EQ(r.status, 202) << r.body;
        return r.json() ? r.json()->optValue<std::string>("id", "") : "";
    }

    int count(const std::string& sql, std::string arg) {
        auto s = d_->daemon().database().session();
        int n = 0;
        s << sql, Poco::Data::Keywords::use(arg), Poco::Data::Keywords::into(n), Poco::Data::Keywords::now;
        return n;
    }
    int mailboxRows() { return count("SELECT COUNT(*) FROM mailboxes WHERE service_id = ?", mail_); }
    int aliasRows() { return count("SELECT COUNT(*) FROM mail_aliases WHERE service_id = ?", mail_); }

    std::string mail_, mailB_, website_;
};

}  // namespace chatiere::testing
