// Requests from other sites, on the real HTTP server: what a page of http://evil.example can make a
// signed-in browser send (a form post with the session cookie, urlencoded, text/plain, with no
// body at all, a DELETE or an upload) is refused with 403 `csrf` and changes nothing; the same
// requests from Chatière's own pages, or with a bearer token, go through. The JSON API takes JSON
// only (415); the pages' form tokens are bound to the session; cookies get the __Host- prefix
// behind HTTPS; every HTML answer carries the pages' Content-Security-Policy.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Secrets.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"], "prices": [{"interval": "month", "kind": "association", "amount_cents": 500}],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}}})";

// The websites' plan: free (services need a subscription, or a free plan).
const std::string kFreePlan = R"({"slug": "asso-libre", "name": "Site", "templates": ["website"],
    "free": true, "prices": [], "quotas": {"services": {"included": 2, "limit": 3}}})";

using Headers = std::map<std::string, std::string>;

// What a page of another site makes the browser add to its request.
const Headers kEvil = {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}};
// A sibling host under the same registrable domain: same-site for the browser, not same-origin.
const Headers kSibling = {{"Origin", "http://site.chatons.test"}, {"Sec-Fetch-Site", "same-site"}};
// Chatière's own pages, as a browser says it (either header suffices).
const Headers kOwnOrigin = {{"Origin", "http://chatons.test"}};
const Headers kSameOrigin = {{"Sec-Fetch-Site", "same-origin"}};

// A site: index.html in a plain tar archive.
std::string siteTar() {
    return chatiere::provisioning::makeTar({{"index.html", "<h1>Jardin</h1>"}});
}

class Csrf : public ::testing::Test {
protected:
    explicit Csrf(const std::string& publicUrl = "http://chatons.test")
        : d_([=](Settings& s) {
              s.publicUrl = publicUrl;
              s.billing.draftDays = 3;  // drafts, for the treasurer to finalize
          }) {}

    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_.staffClient("tresorier@chatons.test", "treasurer"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        ASSERT_EQ(admin_->post("/api/v1/plans", kFreePlan).status, 201);
    }

    // A request with `session` as the session cookie (and no bearer token), as a browser sends it.
    ApiResponse withCookie(const std::string& session, const std::string& method, const std::string& path,
                           const std::string& body, const std::string& type, Headers headers) {
        headers["Cookie"] = sessionCookie_ + "=" + session;
        return d_.client().request(method, path, body, type, headers);
    }
    // The evil page's forms: urlencoded (an HTML form), text/plain (enctype="text/plain").
    ApiResponse evilForm(const std::string& session, const std::string& path,
                         const std::string& body = "approve=yes") {
        return withCookie(session, "POST", path, body, "application/x-www-form-urlencoded", kEvil);
    }

    std::string query(const std::string& sql) {
        auto s = d_.daemon().database().session();
        std::string out;
        s << sql, into(out), now;
        return out;
    }

    // An approved association with an active website (libvirt's test driver boots no guest: its
    // creation job ends, then the service is set active as if it had booted).
    std::string activeWebsite() {
        const std::string a =
            d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-libre");
        const auto created = admin_->post("/api/v1/associations/" + a + "/services",
                                          R"({"template": "website", "name": "site"})");
        EXPECT_EQ(created.status, 202) << created.body;
        settle();
        return created.json()->getValue<std::string>("id");
    }
    // Waits until no job is pending, then sets the services active again.
    void settle() {
        EXPECT_TRUE(eventually(
            [&] { return query("SELECT CAST(COUNT(*) AS TEXT) FROM jobs WHERE status = 'pending'") == "0"; },
            std::chrono::seconds(30)));
        auto s = d_.daemon().database().session();
        s << "UPDATE services SET state = 'active', last_error = NULL WHERE state != 'deleted'", now;
    }
    // The service's state and how many jobs it had: equal before and after a refused request.
    std::string serviceState(const std::string& id) {
        return query("SELECT state || '/' || (SELECT COUNT(*) FROM jobs WHERE service_id = '" + id +
                     "') FROM services WHERE id = '" + id + "'");
    }

    TestDaemon d_;
    std::string sessionCookie_ = "chatiere_session";
    std::unique_ptr<ApiClient> admin_, treasurer_;
};

void expectCsrf(const ApiResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 403) << what << ": " << r.body;
    if (r.status == 403) {
        EXPECT_EQ(r.errorCode(), "csrf") << what;
    }
}

TEST_F(Csrf, AnotherSitesFormCannotApproveWithTheAdminsCookie) {
    const std::string id = d_.signup("Chorale", "dominique@chorale.test").first;
    const std::string path = "/api/v1/associations/" + id + "/approve";
    const std::string admin = admin_->token();  // the session cookie's value
    const auto status = [&] {
        return admin_->get("/api/v1/associations/" + id).json()->getValue<std::string>("status");
    };
    ASSERT_EQ(status(), "pending");

    expectCsrf(evilForm(admin, path), "urlencoded form");
    expectCsrf(withCookie(admin, "POST", path, "{}=", "text/plain", kEvil), "text/plain form");
    expectCsrf(withCookie(admin, "POST", path, "{}", "application/json", kSibling), "sibling host");
    // Neither header: refused too (a script uses a bearer token, or says its Origin).
    expectCsrf(withCookie(admin, "POST", path, "{}", "application/json", {}), "no Origin");
    expectCsrf(withCookie(admin, "POST", path, "{}", "application/json",
                          {{"Origin", "http://chatons.test.evil.example"}}),
               "an origin that only starts like ours");
    expectCsrf(withCookie(admin, "POST", path, "{}", "application/json", {{"Origin", "null"}}),
               "null origin");
    EXPECT_EQ(status(), "pending");

    // From Chatière's own origin, the same cookie approves.
    const auto approved = withCookie(admin, "POST", path, "{}", "application/json", kOwnOrigin);
    EXPECT_EQ(approved.status, 200) << approved.body;
    EXPECT_EQ(status(), "active");
}

TEST_F(Csrf, BodylessPostsDeletesAndUploadsFromAnotherSiteChangeNothing) {
    const std::string service = activeWebsite();
    const std::string admin = admin_->token();
    const std::string before = serviceState(service);
    ASSERT_EQ(before.substr(0, 7), "active/");
    const std::string base = "/api/v1/services/" + service;

    expectCsrf(evilForm(admin, base + "/suspend", ""), "suspend");
    expectCsrf(evilForm(admin, base + "/resume", ""), "resume");
    expectCsrf(withCookie(admin, "PUT", base + "/content", siteTar(), "application/x-tar", kEvil), "upload");
    expectCsrf(withCookie(admin, "DELETE", base, "", "", kEvil), "delete");
    expectCsrf(withCookie(admin, "DELETE", base, "", "", kSibling), "delete from a sibling host");
    EXPECT_EQ(serviceState(service), before);
    // Ending the session is refused too, and the session still works.
    expectCsrf(withCookie(admin, "DELETE", "/api/v1/sessions", "", "", kEvil), "logout");
    EXPECT_EQ(withCookie(admin, "GET", "/api/v1/me", "", "", kEvil).status, 200);

    // From Chatière's own pages: new content, suspended, resumed, deleted.
    auto r = withCookie(admin, "PUT", base + "/content", siteTar(), "application/x-tar", kSameOrigin);
    EXPECT_EQ(r.status, 202) << r.body;
    settle();
    r = withCookie(admin, "POST", base + "/suspend", "", "", kSameOrigin);
    EXPECT_EQ(r.status, 202) << r.body;
    r = withCookie(admin, "POST", base + "/resume", "", "", kOwnOrigin);
    EXPECT_EQ(r.status, 202) << r.body;
    settle();
    r = withCookie(admin, "DELETE", base, "", "", kOwnOrigin);
    EXPECT_EQ(r.status, 202) << r.body;
}

TEST_F(Csrf, TheBillingRunAndAFinalizeFromAnotherSiteChangeNothing) {
    const std::string a = d_.approvedAssociation(*admin_, "Fanfare", "sacha@fanfare.test", "asso-web");
    ASSERT_EQ(d_.login("sacha@fanfare.test", "correct horse battery")
                  .post("/api/v1/associations/" + a + "/subscriptions",
                        R"({"plan": "asso-web", "interval": "month"})")
                  .status,
              201);
    const std::string invoice = query("SELECT id FROM invoices");
    ASSERT_EQ(query("SELECT status FROM invoices"), "draft");
    d_.clock().advance(std::chrono::hours(24 * 4));  // the draft is due: a run would finalize it
    const std::string treasurer = treasurer_->token();

    expectCsrf(evilForm(treasurer, "/api/v1/billing/run", ""), "billing run");
    expectCsrf(evilForm(treasurer, "/api/v1/invoices/" + invoice + "/finalize", ""), "finalize");
    expectCsrf(withCookie(treasurer, "POST", "/api/v1/invoices/" + invoice + "/finalize", "", "", {}),
               "finalize without Origin");
    EXPECT_EQ(query("SELECT status FROM invoices"), "draft");

    const auto r =
        withCookie(treasurer, "POST", "/api/v1/invoices/" + invoice + "/finalize", "", "", kSameOrigin);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(query("SELECT status FROM invoices"), "draft");
}

TEST_F(Csrf, ABearerTokenNeedsNoOriginAndTheApiTakesOnlyJson) {
    const std::string service = activeWebsite();
    const std::string base = "/api/v1/services/" + service;
    const std::string before = serviceState(service);
    // A bearer token, no Origin, no cookie: a script. Not JSON: 415, nothing changed.
    for (const std::string type :
         {"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"}) {
        const auto r = admin_->request("POST", base + "/suspend", "x=1", type);
        EXPECT_EQ(r.status, 415) << type << ": " << r.body;
        EXPECT_EQ(r.errorCode(), "unsupported_media_type") << type;
    }
    // A body without a type (what a page's fetch of a Blob sends) is refused too.
    auto r = admin_->request("POST", base + "/suspend", "x", "");
    EXPECT_EQ(r.status, 415) << r.body;
    // So is text/plain from Chatière's own origin with the cookie.
    r = withCookie(admin_->token(), "POST", base + "/suspend", "", "text/plain", kSameOrigin);
    EXPECT_EQ(r.status, 415) << r.body;
    EXPECT_EQ(serviceState(service), before);

    // JSON, or no body at all, goes through with the bearer token and no Origin.
    r = admin_->request("POST", base + "/suspend", "{}", "application/json");
    EXPECT_EQ(r.status, 202) << r.body;
    r = admin_->request("POST", base + "/resume", "", "application/json");
    EXPECT_EQ(r.status, 202) << r.body;
}

TEST_F(Csrf, APagesTokenIsBoundToItsSession) {
    d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-web");
    Browser camille(d_.daemon().port());
    ASSERT_EQ(camille.get("/login").status, 200);
    const std::string beforeLogin = camille.csrfToken();
    ASSERT_EQ(
        camille.post("/login", {{"email", "camille@jardin.test"}, {"password", "correct horse battery"}})
            .status,
        303);
    Browser admin = signedInBrowser(d_.daemon().port(), "admin@chatons.test", "correct horse battery",
                                    d_.nextTotpCode("admin@chatons.test"));
    const auto signedIn = [&] { return camille.get("/api/v1/me").status == 200; };
    ASSERT_TRUE(signedIn());

    // Another session's token, this browser's token from before it signed in: refused.
    EXPECT_EQ(camille.post("/logout", {{"csrf_token", admin.csrfToken()}}, false).status, 403);
    EXPECT_EQ(camille.post("/logout", {{"csrf_token", beforeLogin}}, false).status, 403);
    // A pre-session cookie set by someone else (a sibling host can set cookies for the site) and
    // the token it would have been: refused once signed in.
    camille.setCookie("chatiere_csrf", std::string(43, 'A'));
    EXPECT_EQ(camille.post("/logout", {{"csrf_token", std::string(43, 'A')}}, false).status, 403);
    EXPECT_TRUE(signedIn());

    // The right token, but the form posted by another site's page: refused by its origin.
    const Headers evil = {{"Cookie", "chatiere_session=" + camille.cookie("chatiere_session")},
                          {"Origin", "http://evil.example"},
                          {"Sec-Fetch-Site", "cross-site"}};
    auto r = d_.client().request("POST", "/logout", "csrf_token=" + camille.csrfToken(),
                                 "application/x-www-form-urlencoded", evil);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_TRUE(signedIn());

    // The key that signs the tokens is kept in the data directory, for its owner only, and
    // outlives a restart: the page read before it is still posted after.
    struct stat info {};
    ASSERT_EQ(::stat((d_.dir() / "secret.key").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_EQ(info.st_size, 32);
    const std::string token = camille.csrfToken();
    d_.restart();
    Browser again(d_.daemon().port());
    again.setCookie("chatiere_session", camille.cookie("chatiere_session"));
    again.setCookie("chatiere_csrf", camille.cookie("chatiere_csrf"));
    EXPECT_EQ(again.post("/logout", {{"csrf_token", token}}, false).status, 200);
}

class CsrfBehindHttps : public Csrf {
protected:
    CsrfBehindHttps() : Csrf("https://chatons.test") { sessionCookie_ = "__Host-chatiere_session"; }
};

TEST_F(CsrfBehindHttps, CookiesGetTheHostPrefixAndTheOriginIsHttps) {
    const auto login = d_.client().post(
        "/api/v1/sessions", R"({"email": "admin@chatons.test", "password": "correct horse battery", )"
                            R"("totp": ")" +
                                d_.nextTotpCode("admin@chatons.test") + "\"}");
    ASSERT_EQ(login.status, 201);
    ASSERT_EQ(login.cookies.size(), 1u);
    const auto& cookie = login.cookies.front();
    EXPECT_EQ(cookie.getName(), "__Host-chatiere_session");
    EXPECT_TRUE(cookie.getSecure());
    EXPECT_EQ(cookie.getPath(), "/");
    EXPECT_TRUE(cookie.getDomain().empty());
    const std::string session = cookie.getValue();
    EXPECT_EQ(withCookie(session, "GET", "/api/v1/me", "", "", {}).status, 200);
    // The name without its prefix (a cookie a sibling host could have set) signs nobody in.
    EXPECT_EQ(
        d_.client().request("GET", "/api/v1/me", "", "", {{"Cookie", "chatiere_session=" + session}}).status,
        401);

    // The public origin is https://chatons.test: its http twin is another origin.
    const std::string id = d_.signup("Chorale", "dominique@chorale.test").first;
    const std::string path = "/api/v1/associations/" + id + "/approve";
    expectCsrf(withCookie(session, "POST", path, "{}", "application/json", kOwnOrigin), "http origin");
    const auto r =
        withCookie(session, "POST", path, "{}", "application/json", {{"Origin", "https://chatons.test"}});
    EXPECT_EQ(r.status, 200) << r.body;

    // The pages: the pre-session cookie and the session cookie are __Host- too.
    Browser b(d_.daemon().port(), "https://chatons.test");
    ASSERT_EQ(b.get("/login").status, 200);
    EXPECT_FALSE(b.cookie("__Host-chatiere_csrf").empty());
    EXPECT_TRUE(b.cookie("chatiere_csrf").empty());
    EXPECT_EQ(b.post("/login", {{"email", "admin@chatons.test"},
                                {"password", "correct horse battery"},
                                {"totp", d_.nextTotpCode("admin@chatons.test")}})
                  .status,
              303);
    EXPECT_FALSE(b.cookie("__Host-chatiere_session").empty());
    EXPECT_EQ(b.get("/admin").status, 200);
}

TEST_F(Csrf, EveryHtmlAnswerCarriesThePagesPolicy) {
    const std::string a = d_.approvedAssociation(*admin_, "Fanfare", "sacha@fanfare.test", "asso-web");
    ASSERT_EQ(d_.login("sacha@fanfare.test", "correct horse battery")
                  .post("/api/v1/associations/" + a + "/subscriptions",
                        R"({"plan": "asso-web", "interval": "month"})")
                  .status,
              201);
    const std::string invoice = query("SELECT id FROM invoices");
    const auto r = admin_->get("/api/v1/invoices/" + invoice + "/html");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.at("Content-Type"), "text/html; charset=utf-8");
    ASSERT_TRUE(r.headers.count("Content-Security-Policy")) << "no CSP on the invoice";
    const std::string csp = r.headers.at("Content-Security-Policy");
    for (const std::string directive : {"default-src 'self'", "object-src 'none'", "base-uri 'none'",
                                        "form-action 'self'", "frame-ancestors 'none'"}) {
        EXPECT_NE(csp.find(directive), std::string::npos) << directive << " in " << csp;
    }
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    // Its own <style> is let through by its hash, and nothing else inline.
    const auto open = r.body.find("<style>") + 7;
    const std::string style = r.body.substr(open, r.body.find("</style>") - open);
    EXPECT_NE(csp.find("style-src 'self' 'sha256-" + sha256Base64(style) + "';"), std::string::npos) << csp;
    EXPECT_EQ(r.headers.at("X-Frame-Options"), "DENY");
    EXPECT_EQ(r.headers.at("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.headers.at("Referrer-Policy"), "same-origin");

    // A page's error answer too.
    Browser b = signedInBrowser(d_.daemon().port(), "sacha@fanfare.test");
    auto missing = b.get("/associations/asso_nothere00000000");
    EXPECT_EQ(missing.status, 404);
    EXPECT_NE(missing.headers["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
}

}  // namespace
