// The mail services' API (docs/mail.md): a mail service's domain at creation, its mailboxes and
// aliases, and every refusal with nothing changed. A daemon on port 0 with the test driver: the
// guests are not booted (the system tier's MailGuestTest boots a real one); what reaches the guest
// is an `apply` job at its `configure` step, and the configuration the job would write.

#include "MailFixture.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace chatiere::testing {
namespace {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

class MailApiTest : public MailFixture {
protected:
    int configureJobs(const std::string& service) {
        return count(
            "SELECT COUNT(*) FROM jobs WHERE service_id = ? AND kind = 'apply' AND step = 'configure'",
            service);
    }

    std::string mailboxes() { return "/api/v1/services/" + mail_ + "/mailboxes"; }
    std::string aliases() { return "/api/v1/services/" + mail_ + "/aliases"; }
};

TEST_F(MailApiTest, AMailServiceHasItsOwnDomain) {
    const auto service = managerA_->get("/api/v1/services/" + mail_);
    ASSERT_EQ(service.status, 200);
    EXPECT_EQ(service.json()->getValue<std::string>("mail_domain"), "asso-test.example");
    EXPECT_EQ(service.json()->getValue<std::string>("template"), "mail");

    const auto path = "/api/v1/associations/" + a_ + "/services";
    auto r = managerA_->post(path, R"({"template": "mail", "name": "sans"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("invalid_domain"), std::string::npos) << r.body;
    r = managerA_->post(path, R"({"template": "mail", "name": "mauvais", "mail_domain": "pas un domaine"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("invalid_domain"), std::string::npos) << r.body;
    r = managerA_->post(path, R"({"template": "mail", "name": "pris", "mail_domain": "CHORALE.example"})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("mail_domain_taken"), std::string::npos) << r.body;
    r = managerA_->post(path, R"({"template": "website", "name": "web2", "mail_domain": "x.example"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("not_a_mail_service"), std::string::npos) << r.body;
    // The website of the association may use the same domain as its mail.
    r = managerA_->post(path, R"({"template": "website", "name": "web3", "domain": "asso-test.example"})");
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(count("SELECT COUNT(*) FROM services WHERE association_id = ? AND state != 'deleted'", a_), 3);
}

TEST_F(MailApiTest, MailboxesAreCreatedChangedAndDeleted) {
    const int jobsBefore = configureJobs(mail_);
    auto r = managerA_->post(mailboxes(), R"({"local_part": "Contact", "name": "Accueil", "quota_mib": 256,
        "password": "un mot de passe éprouvé"})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("address"), "contact@asso-test.example");
    EXPECT_FALSE(r.json()->has("password"));  // the caller's own: not echoed
    EXPECT_GT(configureJobs(mail_), jobsBefore);
    {
        auto s = d_->daemon().database().session();
        std::string hash;
        s << "SELECT password_hash FROM mailboxes WHERE local_part = 'contact'", into(hash), now;
        EXPECT_EQ(hash.rfind("{SHA512-CRYPT}$6$", 0), 0u) << hash;
        EXPECT_EQ(hash.find("éprouvé"), std::string::npos);
    }

    r = managerA_->post(mailboxes(), R"({"local_part": "bureau", "quota_mib": 128})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string generated = r.json()->getValue<std::string>("password");
    EXPECT_EQ(generated.size(), 16u);

    r = memberA_->get(mailboxes());  // members see the mailboxes, never a password
    ASSERT_EQ(r.status, 200) << r.body;
    const auto list = r.json()->getArray("mailboxes");
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("address"), "bureau@asso-test.example");
    EXPECT_EQ(list->getObject(1)->getValue<std::string>("name"), "Accueil");
    EXPECT_EQ(list->getObject(1)->getValue<int>("quota_mib"), 256);
    EXPECT_TRUE(list->getObject(1)->isNull("used_mib"));
    EXPECT_EQ(r.body.find("password"), std::string::npos);

    r = managerA_->request("PATCH", mailboxes() + "/bureau@asso-test.example",
                           R"({"quota_mib": 200, "name": "CA"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getValue<int>("quota_mib"), 200);
    EXPECT_FALSE(r.json()->has("password"));
    r = managerA_->request("PATCH", mailboxes() + "/bureau", R"({"new_password": true})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.json()->getValue<std::string>("password"), generated);

    r = managerA_->del(mailboxes() + "/bureau@asso-test.example");
    EXPECT_EQ(r.status, 204) << r.body;
    r = managerA_->get(mailboxes());
    EXPECT_EQ(r.json()->getArray("mailboxes")->size(), 1u);
    // The deleted one's row stays (its mail is kept for the export grace period); a new one may take
    // its name.
    EXPECT_EQ(mailboxRows(), 2);
    EXPECT_EQ(managerA_->post(mailboxes(), R"({"local_part": "bureau", "quota_mib": 1})").status, 201);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'mailbox.%' AND target_id = ?", mail_),
              6);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%éprouvé%' AND target_id = ?", mail_),
              0);
}

TEST_F(MailApiTest, BadMailboxesChangeNothing) {
    ASSERT_EQ(managerA_->post(mailboxes(), R"({"local_part": "contact", "quota_mib": 100})").status, 201);
    const int rows = mailboxRows();
    const int jobs = configureJobs(mail_);
    for (const std::string& local : {std::string("a@b"), std::string("con tact"), std::string("a..b"),
                                     std::string(65, 'a'), std::string(""), std::string("a+b")}) {
        const auto r = managerA_->post(mailboxes(), R"({"local_part": ")" + local + R"(", "quota_mib": 10})");
        EXPECT_EQ(r.status, 400) << local << " " << r.body;
        EXPECT_NE(r.body.find("invalid_local_part"), std::string::npos) << r.body;
    }
    auto r = managerA_->post(mailboxes(), R"({"local_part": "x"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("quota_mib"), std::string::npos);
    r = managerA_->post(mailboxes(), R"({"local_part": "x", "quota_mib": 0})");
    EXPECT_EQ(r.status, 400) << r.body;
    r = managerA_->post(mailboxes(), R"({"local_part": "x", "quota_mib": "10"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("wrong_type"), std::string::npos);
    r = managerA_->post(mailboxes(), R"({"local_part": "x", "quota_mib": 10, "password": "court"})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("weak_password"), std::string::npos);
    r = managerA_->post(mailboxes(), R"({"local_part": "CONTACT", "quota_mib": 10})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("address_taken"), std::string::npos);
    // The plan's mail_gib (1 GiB of quotas: 924 MiB left) and mailboxes (3).
    r = managerA_->post(mailboxes(), R"({"local_part": "gros", "quota_mib": 925})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("quota_exceeded"), std::string::npos);
    r = managerA_->request("PATCH", mailboxes() + "/contact", R"({"quota_mib": 1025})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(mailboxRows(), rows);
    EXPECT_EQ(configureJobs(mail_), jobs);

    ASSERT_EQ(managerA_->post(mailboxes(), R"({"local_part": "deux", "quota_mib": 1})").status, 201);
    ASSERT_EQ(
        managerB_->post("/api/v1/services/" + mailB_ + "/mailboxes", R"({"local_part": "b", "quota_mib": 1})")
            .status,
        201);
    r = managerA_->post(mailboxes(), R"({"local_part": "trois", "quota_mib": 1})");
    EXPECT_EQ(r.status, 201) << r.body;  // B's mailbox is B's
    r = managerA_->post(mailboxes(), R"({"local_part": "quatre", "quota_mib": 1})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("quota_exceeded"), std::string::npos);

    // Not a mail service; another association's; a member.
    r = managerA_->post("/api/v1/services/" + website_ + "/mailboxes",
                        R"({"local_part": "x", "quota_mib": 1})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("not_a_mail_service"), std::string::npos);
    EXPECT_EQ(managerA_->get("/api/v1/services/" + website_ + "/mailboxes").status, 409);
    EXPECT_EQ(
        managerA_->post("/api/v1/services/" + mailB_ + "/mailboxes", R"({"local_part": "x", "quota_mib": 1})")
            .status,
        404);
    EXPECT_EQ(managerA_->get("/api/v1/services/" + mailB_ + "/mailboxes").status, 404);
    EXPECT_EQ(managerA_->del("/api/v1/services/" + mailB_ + "/mailboxes/b@chorale.example").status, 404);
    EXPECT_EQ(memberA_->post(mailboxes(), R"({"local_part": "x", "quota_mib": 1})").status, 403);
    EXPECT_EQ(memberA_->del(mailboxes() + "/contact").status, 403);
    EXPECT_EQ(managerA_->del(mailboxes() + "/personne").status, 404);
    EXPECT_EQ(managerA_->del(mailboxes() + "/b@chorale.example").status, 404);
    EXPECT_EQ(count("SELECT COUNT(*) FROM mailboxes WHERE service_id = ? AND deleted_at IS NULL", mailB_), 1);
}

TEST_F(MailApiTest, AliasesDeliverWithoutLoops) {
    ASSERT_EQ(managerA_->post(mailboxes(), R"({"local_part": "contact", "quota_mib": 100})").status, 201);
    auto r = managerA_->post(
        aliases(), R"({"local_part": "ca", "destinations": ["contact", "contact@asso-test.example"]})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("address"), "ca@asso-test.example");
    EXPECT_EQ(r.json()->getArray("destinations")->size(), 1u);
    ASSERT_EQ(managerA_->post(aliases(), R"({"local_part": "bureau", "destinations": ["ca"]})").status, 201);
    const int rows = aliasRows();
    const int jobs = configureJobs(mail_);

    r = managerA_->post(aliases(),
                        R"({"local_part": "boucle", "destinations": ["boucle@asso-test.example"]})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("alias_loop"), std::string::npos);
    r = managerA_->post(aliases(), R"({"local_part": "x", "destinations": ["personne"]})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("unknown_destination"), std::string::npos);
    r = managerA_->post(aliases(), R"({"local_part": "contact", "destinations": ["ca"]})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("address_taken"), std::string::npos);
    r = managerA_->post(aliases(), R"({"local_part": "x", "destinations": []})");
    EXPECT_EQ(r.status, 400) << r.body;
    r = managerA_->post(aliases(), R"({"local_part": "x", "destinations": ["a b@c.example"]})");
    EXPECT_EQ(r.status, 400) << r.body;
    r = managerA_->post(aliases(), R"({"local_part": "x", "destinations": [3]})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("wrong_type"), std::string::npos);
    // Outside the domain: only when the plan says external_forwards.
    r = managerA_->post(aliases(), R"({"local_part": "jean", "destinations": ["jean@exemple.fr"]})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.body.find("external_forwards_not_allowed"), std::string::npos);
    EXPECT_EQ(aliasRows(), rows);
    EXPECT_EQ(configureJobs(mail_), jobs);
    // A mailbox an alias delivers to, an alias another reaches: not deleted from under them.
    EXPECT_EQ(managerA_->del(mailboxes() + "/contact").status, 409);
    EXPECT_EQ(managerA_->del(aliases() + "/ca").status, 409);

    std::string plan = kMailPlan;
    plan.replace(plan.find("\"free\": true"), 12, "\"free\": true, \"external_forwards\": true");
    ASSERT_EQ(admin_->put("/api/v1/plans/asso", plan).status, 200);
    r = managerA_->post(aliases(), R"({"local_part": "jean", "destinations": ["Jean@Exemple.fr"]})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getArray("destinations")->getElement<std::string>(0), "Jean@exemple.fr");

    r = memberA_->get(aliases());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getArray("aliases")->size(), 3u);
    EXPECT_EQ(memberA_->del(aliases() + "/jean").status, 403);
    EXPECT_EQ(managerB_->get(aliases()).status, 404);
    EXPECT_EQ(managerA_->del(aliases() + "/bureau").status, 204);
    EXPECT_EQ(managerA_->del(aliases() + "/ca").status, 204);
    EXPECT_EQ(managerA_->del(aliases() + "/ca").status, 404);
    EXPECT_EQ(aliasRows(), 1);
}

}  // namespace
}  // namespace chatiere::testing
