#include "TestDaemon.h"

#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;

namespace {

struct Call {
    std::string method;
    std::string path;  // "{id}" stands for an association id, "{user}" for a user id
    std::string body;
};

// Every endpoint that names an association.
const std::vector<Call> kAssociationCalls = {
    {"GET", "/api/v1/associations/{id}", ""},
    {"POST", "/api/v1/associations/{id}/approve", "{}"},
    {"POST", "/api/v1/associations/{id}/reject", R"({"reason": "no"})"},
    {"GET", "/api/v1/associations/{id}/members", ""},
    {"POST", "/api/v1/associations/{id}/members", R"({"email": "admin@chatons.test", "role": "member"})"},
    {"DELETE", "/api/v1/associations/{id}/members/{user}", ""},
    {"PUT", "/api/v1/associations/{id}/plan", R"({"plan": "p1"})"},
};

std::string fill(std::string path, const std::string& id, const std::string& user) {
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{id}", id}, {"{user}", user}}) {
        const auto at = path.find(key);
        if (at != std::string::npos) {
            path.replace(at, key.size(), value);
        }
    }
    return path;
}

class Authorization : public ::testing::Test {
protected:
    void SetUp() override {
        d_ = std::make_unique<TestDaemon>();
        admin_ = std::make_unique<ApiClient>(d_->staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_->staffClient("tresorier@chatons.test", "treasurer"));
        std::tie(a_, managerA_) = d_->signup("Association A", "manager@a.test");
        std::tie(b_, managerB_) = d_->signup("Association B", "manager@b.test");
        for (const auto& id : {a_, b_}) {
            ASSERT_EQ(admin_->post("/api/v1/associations/" + id + "/approve", "{}").status, 200);
        }
        // A plain member of A, who also has an account of their own.
        d_->signup("Association C", "member@a.test");
        const auto added = d_->login("manager@a.test", "correct horse battery")
                               .post("/api/v1/associations/" + a_ + "/members",
                                     R"({"email": "member@a.test", "role": "member"})");
        ASSERT_EQ(added.status, 201) << added.body;
        memberA_ = added.json()->getValue<std::string>("user_id");
    }

    std::unique_ptr<TestDaemon> d_;
    std::unique_ptr<ApiClient> admin_, treasurer_;
    std::string a_, b_, managerA_, managerB_, memberA_;
};

}  // namespace

TEST_F(Authorization, AnotherAssociationsIdsAreNotFound) {
    for (const auto& who : {"manager@a.test", "member@a.test"}) {
        ApiClient c = d_->login(who, "correct horse battery");
        for (const auto& call : kAssociationCalls) {
            const auto r = c.request(call.method, fill(call.path, b_, managerB_), call.body);
            EXPECT_EQ(r.status, 404) << who << " " << call.method << " " << call.path << ": " << r.body;
            EXPECT_EQ(r.errorCode(), "not_found");
        }
        // Every API route that names an association, read from the router's own table (the list above
        // is the first few): another association's id is 404 before any body is read.
        std::size_t named = 0;
        for (const auto& route : d_->daemon().routes()) {
            if (route.pattern.rfind("/api/v1/associations/{id}", 0) != 0) {
                continue;
            }
            ++named;
            std::string path = std::regex_replace(fill(route.pattern, b_, managerB_),
                                                  std::regex(R"(\{[A-Za-z]+\})"), "some_id");
            const std::string body = route.method == "GET" || route.method == "DELETE" ? "" : "{}";
            if (route.method == "GET") {
                path += "?plan=p1&interval=month";  // what a preview needs besides the id
            }
            const auto r = c.request(route.method, path, body);
            EXPECT_EQ(r.status, 404) << who << " " << route.method << " " << route.pattern << ": " << r.body;
            EXPECT_EQ(d_->client().request(route.method, path, body).status, 401)
                << route.method << " " << route.pattern;
        }
        EXPECT_GE(named, 18u);
        // And an id that exists nowhere answers the same.
        EXPECT_EQ(c.get("/api/v1/associations/asso_doesnotexist").status, 404);
    }
    // B does not appear in A's lists.
    const auto list = d_->login("manager@a.test", "correct horse battery").get("/api/v1/associations");
    const auto items = list.json()->getArray("associations");
    ASSERT_EQ(items->size(), 1u);
    EXPECT_EQ(items->getObject(0)->getValue<std::string>("id"), a_);
}

TEST_F(Authorization, RolesThatMayNotActAreForbidden) {
    struct Expect {
        std::string who;
        Call call;
        int status;
    };
    const std::vector<Expect> matrix = {
        // A member sees, does not manage.
        {"member@a.test", {"GET", "/api/v1/associations/{id}", ""}, 200},
        {"member@a.test", {"GET", "/api/v1/associations/{id}/members", ""}, 200},
        {"member@a.test",
         {"POST", "/api/v1/associations/{id}/members", R"({"email": "manager@b.test"})"},
         403},
        {"member@a.test", {"DELETE", "/api/v1/associations/{id}/members/{user}", ""}, 403},
        {"member@a.test", {"POST", "/api/v1/associations/{id}/approve", "{}"}, 403},
        {"member@a.test", {"POST", "/api/v1/associations/{id}/reject", R"({"reason": "x"})"}, 403},
        // A manager manages members but is not staff.
        {"manager@a.test", {"POST", "/api/v1/associations/{id}/approve", "{}"}, 403},
        {"manager@a.test", {"POST", "/api/v1/associations/{id}/reject", R"({"reason": "x"})"}, 403},
        {"manager@a.test", {"GET", "/api/v1/audit", ""}, 403},
        {"manager@a.test", {"PUT", "/api/v1/associations/{id}/plan", R"({"plan": "p1"})"}, 403},
        {"tresorier@chatons.test", {"PUT", "/api/v1/associations/{id}/plan", R"({"plan": "p1"})"}, 403},
        {"manager@a.test", {"POST", "/api/v1/plans", R"({"slug": "x1", "name": "X", "prices": []})"}, 403},
        {"manager@a.test", {"PUT", "/api/v1/plans/x1", R"({"name": "X", "prices": []})"}, 403},
        // The treasurer sees associations and billing, nothing else.
        {"tresorier@chatons.test", {"GET", "/api/v1/associations/{id}", ""}, 200},
        {"tresorier@chatons.test", {"GET", "/api/v1/associations/{id}/members", ""}, 200},
        {"tresorier@chatons.test",
         {"POST", "/api/v1/associations/{id}/members", R"({"email": "manager@b.test"})"},
         403},
        {"tresorier@chatons.test", {"DELETE", "/api/v1/associations/{id}/members/{user}", ""}, 403},
        {"tresorier@chatons.test", {"POST", "/api/v1/associations/{id}/approve", "{}"}, 403},
        {"tresorier@chatons.test", {"GET", "/api/v1/audit", ""}, 403},
        {"tresorier@chatons.test",
         {"POST", "/api/v1/plans", R"({"slug": "x1", "name": "X", "prices": []})"},
         403},
    };
    for (const auto& e : matrix) {
        ApiClient c = d_->login(e.who, "correct horse battery");
        const auto r = c.request(e.call.method, fill(e.call.path, a_, memberA_), e.call.body);
        EXPECT_EQ(r.status, e.status)
            << e.who << " " << e.call.method << " " << e.call.path << ": " << r.body;
    }
    // The treasurer and the admin see every association.
    EXPECT_EQ(treasurer_->get("/api/v1/associations").json()->getArray("associations")->size(), 3u);
    EXPECT_EQ(admin_->get("/api/v1/associations").json()->getArray("associations")->size(), 3u);
}

TEST_F(Authorization, AnonymousCallsNeedToSignIn) {
    ApiClient anonymous = d_->client();
    for (const auto& call : kAssociationCalls) {
        const auto r = anonymous.request(call.method, fill(call.path, a_, memberA_), call.body);
        EXPECT_EQ(r.status, 401) << call.method << " " << call.path;
    }
    for (const auto& path : {"/api/v1/me", "/api/v1/associations", "/api/v1/audit", "/api/v1/tokens"}) {
        EXPECT_EQ(anonymous.get(path).status, 401) << path;
    }
    ApiClient forged = d_->client();
    forged.setToken("not-a-real-token");
    EXPECT_EQ(forged.get("/api/v1/me").status, 401);
    // Public endpoints.
    EXPECT_EQ(anonymous.get("/api/v1/plans").status, 200);
    EXPECT_EQ(anonymous.get("/api/v1/terms").status, 200);
    EXPECT_EQ(anonymous.get("/healthz").status, 200);
}

TEST_F(Authorization, ManagersManageMembersButKeepOneManager) {
    ApiClient manager = d_->login("manager@a.test", "correct horse battery");
    const auto members = manager.get("/api/v1/associations/" + a_ + "/members");
    ASSERT_EQ(members.status, 200);
    EXPECT_EQ(members.json()->getArray("members")->size(), 2u);
    // The last manager cannot leave or be demoted.
    EXPECT_EQ(manager.del("/api/v1/associations/" + a_ + "/members/" + managerA_).status, 409);
    EXPECT_EQ(manager
                  .post("/api/v1/associations/" + a_ + "/members",
                        R"({"email": "manager@a.test", "role": "member"})")
                  .status,
              409);
    // Unknown account, bad role.
    const auto unknown =
        manager.post("/api/v1/associations/" + a_ + "/members", R"({"email": "nobody@x.test"})");
    EXPECT_EQ(unknown.status, 400);
    EXPECT_EQ(unknown.fieldErrors().at("email"), "unknown_user");
    EXPECT_EQ(
        manager
            .post("/api/v1/associations/" + a_ + "/members", R"({"email": "member@a.test", "role": "owner"})")
            .status,
        400);
    // Removing the member works, and the member loses access at once.
    EXPECT_EQ(manager.del("/api/v1/associations/" + a_ + "/members/" + memberA_).status, 200);
    EXPECT_EQ(d_->login("member@a.test", "correct horse battery").get("/api/v1/associations/" + a_).status,
              404);
    EXPECT_EQ(manager.del("/api/v1/associations/" + a_ + "/members/" + memberA_).status, 404);
}

TEST_F(Authorization, SessionsCookiesAndApiTokens) {
    // The session cookie works like the bearer token, and has the right attributes.
    const auto login = d_->client().post(
        "/api/v1/sessions", R"({"email": "manager@a.test", "password": "correct horse battery"})");
    ASSERT_EQ(login.status, 201);
    ASSERT_EQ(login.cookies.size(), 1u);
    const auto& cookie = login.cookies.front();
    EXPECT_EQ(cookie.getName(), "chatiere_session");
    EXPECT_TRUE(cookie.getHttpOnly());
    EXPECT_EQ(cookie.getSameSite(), Poco::Net::HTTPCookie::SAME_SITE_LAX);
    const std::string header = "chatiere_session=" + cookie.getValue();
    EXPECT_EQ(d_->client().request("GET", "/api/v1/me", "", "", {{"Cookie", header}}).status, 200);

    // An API token for scripts: shown once, works, revocable.
    ApiClient manager = d_->login("manager@a.test", "correct horse battery");
    const auto created = manager.post("/api/v1/tokens", R"({"name": "backup script"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string token = created.json()->getValue<std::string>("token");
    const std::string tokenId = created.json()->getValue<std::string>("id");
    ApiClient script = d_->client();
    script.setToken(token);
    EXPECT_EQ(script.get("/api/v1/associations/" + a_).status, 200);
    const auto listed = manager.get("/api/v1/tokens");
    EXPECT_EQ(listed.json()->getArray("tokens")->size(), 1u);
    EXPECT_EQ(listed.body.find(token), std::string::npos) << "a token is shown only once";
    EXPECT_EQ(d_->login("manager@b.test", "correct horse battery").del("/api/v1/tokens/" + tokenId).status,
              404);
    EXPECT_EQ(manager.del("/api/v1/tokens/" + tokenId).status, 200);
    EXPECT_EQ(script.get("/api/v1/associations/" + a_).status, 401);

    // Logging out ends the session.
    EXPECT_EQ(manager.del("/api/v1/sessions").status, 200);
    EXPECT_EQ(manager.get("/api/v1/me").status, 401);

    // Sessions expire.
    ApiClient later = d_->login("manager@a.test", "correct horse battery");
    d_->clock().advance(std::chrono::hours(d_->settings().sessionTtlHours + 1));
    EXPECT_EQ(later.get("/api/v1/me").status, 401);
}

TEST_F(Authorization, PlansAreAdminsToWriteAndEveryonesToRead) {
    const std::string body =
        R"({"slug": "asso-web", "name": {"fr": "Site associatif", "en": "Association website"},
        "templates": ["website"],
        "prices": [{"interval": "month", "kind": "association", "amount_cents": 300}],
        "quotas": {"disk_gib": {"included": 1, "limit": 2}}})";
    const auto created = admin_->post("/api/v1/plans", body);
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.json()->getValue<int>("version"), 1);
    const auto changed = admin_->put("/api/v1/plans/asso-web", R"({"name": "Site web",
        "prices": [{"interval": "month", "kind": "association", "amount_cents": 400}]})");
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_EQ(changed.json()->getValue<int>("version"), 2);
    const auto list = d_->client().get("/api/v1/plans");
    ASSERT_EQ(list.json()->getArray("plans")->size(), 1u);
    const auto plan = list.json()->getArray("plans")->getObject(0);
    EXPECT_EQ(plan->getObject("name")->getValue<std::string>("en"), "Site web");
    EXPECT_EQ(plan->getArray("prices")->getObject(0)->getValue<int>("amount_cents"), 400);
    EXPECT_EQ(plan->getArray("prices")->getObject(0)->getValue<std::string>("currency"), "EUR");

    // The admin gives an association a plan; an unknown plan changes nothing.
    const auto given = admin_->put("/api/v1/associations/" + a_ + "/plan", R"({"plan": "asso-web"})");
    ASSERT_EQ(given.status, 200) << given.body;
    EXPECT_EQ(given.json()->getValue<std::string>("plan"), "asso-web");
    const auto unknown = admin_->put("/api/v1/associations/" + a_ + "/plan", R"({"plan": "nope"})");
    EXPECT_EQ(unknown.status, 400);
    EXPECT_EQ(unknown.fieldErrors().at("plan"), "unknown_plan");
    EXPECT_EQ(admin_->get("/api/v1/associations/" + a_).json()->getValue<std::string>("plan"), "asso-web");
}
