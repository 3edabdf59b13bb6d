#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Database.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <thread>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": "Site", "templates": ["website"],
    "free": true, "prices": [],
    "quotas": {"services": {"included": 2, "limit": 2}, "disk_gib": {"included": 2, "limit": 2}}})";

// Polls the service until `done` says so or the deadline passes; returns the last answer.
ApiResponse waitForService(const ApiClient& c, const std::string& id,
                           const std::function<bool(const ApiResponse&)>& done) {
    ApiResponse r;
    eventually(
        [&] {
            r = c.get("/api/v1/services/" + id);
            return done(r);
        },
        std::chrono::seconds(30));
    return r;
}

std::string stateOf(const ApiResponse& r) {
    return r.json()->getValue<std::string>("state");
}

class ServicesApi : public ::testing::Test {
protected:
    void SetUp() override {
        d_ = std::make_unique<TestDaemon>();
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = signupWithPlan("Jardin", "manager@a.test");
        b_ = signupWithPlan("Club", "manager@b.test");
        managerA_ = std::make_unique<ApiClient>(d_->login("manager@a.test", "correct horse battery"));
        managerB_ = std::make_unique<ApiClient>(d_->login("manager@b.test", "correct horse battery"));
    }

    std::string signupWithPlan(const std::string& name, const std::string& email, bool approve = true) {
        const auto r =
            d_->client().post("/api/v1/signup", R"({"association": {"name": ")" + name +
                                                    R"(", "kind": "association", "email": ")" + email +
                                                    R"("}, "manager": {"name": "M", "email": ")" + email +
                                                    R"(", "password": "correct horse battery"},
                                                                "plan": "asso-web", "accept_terms": true})");
        EXPECT_EQ(r.status, 201) << r.body;
        const std::string id = r.json()->getObject("association")->getValue<std::string>("id");
        if (approve) {
            EXPECT_EQ(admin_->post("/api/v1/associations/" + id + "/approve", "{}").status, 200);
        }
        return id;
    }

    int countServices() {
        auto s = d_->daemon().database().session();
        int n = 0;
        s << "SELECT COUNT(*) FROM services", into(n), now;
        return n;
    }

    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_, managerA_, managerB_;
    std::string a_, b_;
};

}  // namespace

TEST_F(ServicesApi, TheCatalogueIsPublic) {
    const auto r = d_->client().get("/api/v1/templates");
    ASSERT_EQ(r.status, 200);
    const auto templates = r.json()->getArray("templates");
    // The collaborative editor (issue 17), mail (issue 19) and the website, by name.
    ASSERT_EQ(templates->size(), 3u);
    EXPECT_EQ(templates->getObject(0)->getValue<std::string>("name"), "editor");
    EXPECT_EQ(templates->getObject(0)->getValue<std::string>("kind"), "editor");
    EXPECT_EQ(templates->getObject(1)->getValue<std::string>("name"), "mail");
    EXPECT_EQ(templates->getObject(1)->getObject("title")->getValue<std::string>("fr"), "Messagerie");
    EXPECT_EQ(templates->getObject(2)->getValue<std::string>("name"), "website");
    EXPECT_EQ(templates->getObject(2)->getObject("title")->getValue<std::string>("fr"), "Site web");
}

TEST_F(ServicesApi, CreateAnswers202AndTheJobRollsBackWhatTheTestDriverCannotFinish) {
    const auto created = managerA_->post("/api/v1/associations/" + a_ + "/services",
                                         R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    EXPECT_EQ(created.json()->getValue<std::string>("state"), "requested");
    const auto listed = managerA_->get("/api/v1/associations/" + a_ + "/services");
    ASSERT_EQ(listed.status, 200);
    ASSERT_EQ(listed.json()->getArray("services")->size(), 1u);

    // libvirt's test driver cannot upload a volume's content: the create job fails at that step and
    // rolls back, leaving no guest behind, and the service says why.
    const auto settled = waitForService(*managerA_, id, [](auto& r) { return stateOf(r) == "failed"; });
    ASSERT_EQ(stateOf(settled), "failed") << settled.body;
    EXPECT_NE(settled.json()->getValue<std::string>("last_error").find("volume"), std::string::npos)
        << settled.body;
    EXPECT_TRUE(d_->hypervisor().listOwned(d_->daemon().instanceId()).empty());
    EXPECT_EQ(settled.json()->getObject("resources")->getValue<int>("memory_mib"), 128);

    // Deleting it releases its name and port.
    EXPECT_EQ(managerA_->del("/api/v1/services/" + id).status, 202);
    const auto deleted = waitForService(*managerA_, id, [](auto& r) { return r.status == 404; });
    EXPECT_EQ(deleted.status, 404);
    EXPECT_EQ(
        managerA_
            ->post("/api/v1/associations/" + a_ + "/services", R"({"template": "website", "name": "site"})")
            .status,
        202);
}

TEST_F(ServicesApi, BadRequestsCreateNothing) {
    struct Case {
        std::string body;
        int status;
        std::string code;
    };
    ASSERT_EQ(
        managerA_
            ->post("/api/v1/associations/" + a_ + "/services", R"({"template": "website", "name": "one"})")
            .status,
        202);
    ASSERT_EQ(
        managerA_
            ->post("/api/v1/associations/" + a_ + "/services", R"({"template": "website", "name": "two"})")
            .status,
        202);
    const int before = countServices();
    for (const auto& c : std::vector<Case>{
             {R"({"template": "wordpress", "name": "x"})", 400, "invalid_fields"},
             {R"({"template": "website", "name": "Not A Name!"})", 400, "invalid_fields"},
             {R"({"name": "x"})", 400, "invalid_fields"},
             {R"({"template": "website", "name": "one"})", 409, "name_taken"},
             {R"({"template": "website", "name": "three"})", 409, "quota_exceeded"},
         }) {
        const auto r = managerA_->post("/api/v1/associations/" + a_ + "/services", c.body);
        EXPECT_EQ(r.status, c.status) << c.body << ": " << r.body;
        EXPECT_EQ(r.errorCode(), c.code) << c.body;
    }
    EXPECT_EQ(countServices(), before);
}

TEST_F(ServicesApi, PlansAndAssociationStatusGateCreation) {
    // A pending association has no services yet.
    const std::string pending = signupWithPlan("Attente", "manager@c.test", /*approve=*/false);
    ApiClient managerC = d_->login("manager@c.test", "correct horse battery");
    auto r = managerC.post("/api/v1/associations/" + pending + "/services",
                           R"({"template": "website", "name": "s"})");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.errorCode(), "association_not_active");
    // A plan that does not include the template.
    ASSERT_EQ(admin_
                  ->put("/api/v1/plans/asso-web",
                        R"({"name": "Site", "templates": ["editor"], "free": true, "prices": []})")
                  .status,
              200);
    r = managerA_->post("/api/v1/associations/" + a_ + "/services",
                        R"({"template": "website", "name": "s"})");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.errorCode(), "template_not_in_plan");
    EXPECT_EQ(countServices(), 0);
}

TEST_F(ServicesApi, SuspensionReasonsBelongToWhoeverSetThem) {
    const auto created = managerA_->post("/api/v1/associations/" + a_ + "/services",
                                         R"({"template": "website", "name": "site"})");
    const std::string id = created.json()->getValue<std::string>("id");
    auto r = managerA_->post("/api/v1/services/" + id + "/suspend", "{}");
    ASSERT_EQ(r.status, 202) << r.body;
    r = admin_->post("/api/v1/services/" + id + "/suspend", "{}");
    ASSERT_EQ(r.status, 202);
    auto reasons = r.json()->getArray("suspended_for");
    ASSERT_EQ(reasons->size(), 2u);
    EXPECT_EQ(reasons->getElement<std::string>(0), "admin");
    EXPECT_EQ(reasons->getElement<std::string>(1), "association");
    // The manager lifts its own reason only: the admin's stays.
    r = managerA_->post("/api/v1/services/" + id + "/resume", "{}");
    reasons = r.json()->getArray("suspended_for");
    ASSERT_EQ(reasons->size(), 1u);
    EXPECT_EQ(reasons->getElement<std::string>(0), "admin");
    r = admin_->post("/api/v1/services/" + id + "/resume", "{}");
    EXPECT_EQ(r.json()->getArray("suspended_for")->size(), 0u);
    // Every step is in the audit log.
    const auto audit = admin_->get("/api/v1/audit?action=service.");
    EXPECT_GE(audit.json()->getArray("entries")->size(), 5u);
}

TEST_F(ServicesApi, AnotherAssociationsServicesDoNotExist) {
    const auto created = managerA_->post("/api/v1/associations/" + a_ + "/services",
                                         R"({"template": "website", "name": "site"})");
    const std::string id = created.json()->getValue<std::string>("id");
    EXPECT_EQ(managerB_->get("/api/v1/services/" + id).status, 404);
    EXPECT_EQ(managerB_->post("/api/v1/services/" + id + "/suspend", "{}").status, 404);
    EXPECT_EQ(managerB_->post("/api/v1/services/" + id + "/resume", "{}").status, 404);
    EXPECT_EQ(managerB_->del("/api/v1/services/" + id).status, 404);
    EXPECT_EQ(managerB_->request("PATCH", "/api/v1/services/" + id, R"({"vcpus": 2})").status, 404);
    EXPECT_EQ(managerB_->get("/api/v1/associations/" + a_ + "/services").status, 404);
    EXPECT_EQ(
        managerB_->post("/api/v1/associations/" + a_ + "/services", R"({"template": "website", "name": "x"})")
            .status,
        404);
    EXPECT_EQ(d_->client().get("/api/v1/services/" + id).status, 401);
    // A plain member sees the service but may not act on it.
    d_->signup("Autre", "member@a.test");
    ASSERT_EQ(
        managerA_->post("/api/v1/associations/" + a_ + "/members", R"({"email": "member@a.test"})").status,
        201);
    ApiClient member = d_->login("member@a.test", "correct horse battery");
    EXPECT_EQ(member.get("/api/v1/services/" + id).status, 200);
    EXPECT_EQ(member.post("/api/v1/services/" + id + "/suspend", "{}").status, 403);
    EXPECT_EQ(member.del("/api/v1/services/" + id).status, 403);
    EXPECT_EQ(member.request("PATCH", "/api/v1/services/" + id, R"({"vcpus": 2})").status, 403);
}

TEST_F(ServicesApi, ResizeStaysWithinThePlanAndTheDiskOnlyGrows) {
    const auto created = managerA_->post("/api/v1/associations/" + a_ + "/services",
                                         R"({"template": "website", "name": "site"})");
    const std::string id = created.json()->getValue<std::string>("id");
    const std::string path = "/api/v1/services/" + id;
    const auto patch = [&](const std::string& body) { return managerA_->request("PATCH", path, body); };
    // Not active yet (libvirt's test driver cannot finish a guest): nothing to resize.
    waitForService(*managerA_, id, [](auto& r) { return stateOf(r) == "failed"; });
    auto r = patch(R"({"memory_mib": 256})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "invalid_state");
    // As if its guest had booted.
    auto s = d_->daemon().database().session();
    s << "UPDATE services SET state = 'active', last_error = NULL WHERE id = ?", bind(id), now;

    const auto resources = [&] {
        const auto res = managerA_->get(path).json()->getObject("resources");
        return std::to_string(res->getValue<int>("vcpus")) + "/" +
               std::to_string(res->getValue<int>("memory_mib")) + "/" +
               std::to_string(res->getValue<int>("disk_gib"));
    };
    const std::string before = resources();
    for (const std::string bad :
         {"{}", R"({"vcpus": 0})", R"({"memory_mib": "lots"})", R"({"disk_gib": -1})"}) {
        r = patch(bad);
        EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    }
    r = patch(R"({"disk_gib": 3})");  // the plan's limit is 2 GiB
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "quota_exceeded");
    EXPECT_EQ(managerA_->request("PATCH", path, "vcpus=2", "application/x-www-form-urlencoded").status, 415);
    EXPECT_EQ(resources(), before) << "refused resizes change nothing";
    int jobs = 0;
    s << "SELECT COUNT(*) FROM jobs WHERE kind = 'resize'", into(jobs), now;
    EXPECT_EQ(jobs, 0);

    r = patch(R"({"disk_gib": 2, "memory_mib": 192})");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(stateOf(r), "provisioning");
    const auto granted = r.json()->getObject("resources");
    EXPECT_EQ(granted->getValue<int>("memory_mib"), 192);
    EXPECT_EQ(granted->getValue<int>("disk_gib"), 2);
    s << "SELECT COUNT(*) FROM jobs WHERE kind = 'resize'", into(jobs), now;
    EXPECT_EQ(jobs, 1);
    // The test driver's guest has no volume to grow: the resize is undone, the service back to its
    // old resources, active, with the failure as its last error.
    ASSERT_TRUE(eventually([&] { return d_->daemon().pendingJobs() == 0; }, std::chrono::seconds(60)));
    const auto undone = managerA_->get(path);
    EXPECT_EQ(stateOf(undone), "active") << undone.body;
    EXPECT_NE(undone.json()->getValue<std::string>("last_error").find("undone"), std::string::npos)
        << undone.body;
    EXPECT_EQ(resources(), before);
    // Shrinking a disk that grew is refused.
    s << "UPDATE services SET disk_gib = 2 WHERE id = ?", bind(id), now;
    r = patch(R"({"disk_gib": 1})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("cannot_shrink"), std::string::npos) << r.body;
    // One audit entry for the accepted resize (the test driver then fails the job: undone).
    const auto audit = admin_->get("/api/v1/audit?action=service.resize");
    const auto entries = audit.json()->getArray("entries");
    int accepted = 0;
    for (const auto& entry : *entries) {
        accepted +=
            entry.extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("action") == "service.resize";
    }
    EXPECT_EQ(accepted, 1) << audit.body;
}

TEST_F(ServicesApi, ContentUploadsAreCheckedBeforeAnythingIsQueued) {
    const auto created = managerA_->post("/api/v1/associations/" + a_ + "/services",
                                         R"({"template": "website", "name": "site"})");
    const std::string id = created.json()->getValue<std::string>("id");
    const std::string path = "/api/v1/services/" + id + "/content";
    // Another association's service does not exist; a member may not upload.
    EXPECT_EQ(managerB_->request("PUT", path, "x", "application/gzip").status, 404);
    // Not an archive type; larger than uploads may be (refused before the body is read).
    EXPECT_EQ(managerA_->request("PUT", path, "<html/>", "text/html").status, 415);
    const auto huge = managerA_->request("PUT", path, "", "application/gzip",
                                         {{"Content-Length", std::to_string(512LL * 1024 * 1024)}});
    EXPECT_EQ(huge.status, 413);
    // The service is not active (libvirt's test driver cannot finish it): nothing to replace yet.
    waitForService(*managerA_, id, [](auto& r) { return stateOf(r) == "failed"; });
    const auto notActive = managerA_->request("PUT", path, std::string(600, 'x'), "application/x-tar");
    EXPECT_EQ(notActive.status, 409);
    EXPECT_EQ(notActive.errorCode(), "invalid_state");
    auto s = d_->daemon().database().session();
    int jobs = 0;
    s << "SELECT COUNT(*) FROM jobs WHERE kind = 'replace_content'", into(jobs), now;
    EXPECT_EQ(jobs, 0);
}

TEST_F(ServicesApi, TheServiceCommandIsAClientOfTheApi) {
    const auto token =
        managerA_->post("/api/v1/tokens", R"({"name": "cli"})").json()->getValue<std::string>("token");
    const std::string url = "http://127.0.0.1:" + std::to_string(d_->daemon().port());
    const Poco::Process::Env env = {{"CHATIERE_TOKEN", token}};
    auto r = runChatiere(
        {"service", "create", "--association", a_, "--template", "website", "--name", "site", "--url", url},
        "", env);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    Poco::JSON::Parser parser;
    const std::string id =
        parser.parse(r.out).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("id");
    r = runChatiere({"service", "show", id, "--url", url}, "", env);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\"website\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(id), std::string::npos) << r.out;
    r = runChatiere({"service", "list", "--association", a_, "--url", url}, "", env);
    EXPECT_EQ(r.exitCode, 0);
    // Errors keep the daemon's message and map to exit codes.
    r = runChatiere(
        {"service", "create", "--association", a_, "--template", "website", "--name", "site", "--url", url},
        "", env);
    EXPECT_EQ(r.exitCode, 65);
    EXPECT_NE(r.err.find("name_taken"), std::string::npos) << r.err;
    EXPECT_EQ(runChatiere({"service", "list", "--association", b_, "--url", url}, "", env).exitCode, 66);
    EXPECT_EQ(runChatiere({"service", "show", id, "--url", url}).exitCode, 77) << "no token";
    EXPECT_EQ(runChatiere({"service", "show", "../../etc", "--url", url}, "", env).exitCode, 64);
    EXPECT_EQ(runChatiere({"service", "show", id, "--url", "http://127.0.0.1:1"}, "", env).exitCode, 69);
}

namespace {

// The upload limit is a setting (services.upload_max_mib), no longer a constant.
TEST(ServicesUploadLimit, ComesFromTheSettings) {
    TestDaemon d([](chatiere::manager::Settings& s) { s.uploadMaxMib = 1; });
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);
    const std::string a = d.approvedAssociation(admin, "Jardin", "manager@a.test", "asso-web");
    ApiClient manager = d.login("manager@a.test", "correct horse battery");
    const auto created =
        manager.post("/api/v1/associations/" + a + "/services", R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string path = "/api/v1/services/" + created.json()->getValue<std::string>("id") + "/content";
    // 2 MiB announced: over this installation's 1 MiB, refused before the body is read.
    const auto over = manager.request("PUT", path, "", "application/gzip",
                                      {{"Content-Length", std::to_string(2 * 1024 * 1024)}});
    EXPECT_EQ(over.status, 413);
    EXPECT_EQ(over.errorCode(), "payload_too_large");
    EXPECT_NE(over.body.find("1 MiB"), std::string::npos) << over.body;
    // Under it, the upload goes on to the next check (the service is not active yet).
    const auto under = manager.request("PUT", path, std::string(600, 'x'), "application/x-tar");
    EXPECT_NE(under.status, 413) << under.body;
}

}  // namespace
