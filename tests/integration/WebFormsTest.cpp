// Every form the pages show, found by reading them as each kind of user sees them: each carries
// the hidden csrf_token, and a POST to its action without the token, or with another browser's,
// is refused with 403 and changes nothing.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"], "prices": [{"interval": "month", "kind": "association", "amount_cents": 500},
                                         {"interval": "year", "kind": "association", "amount_cents": 5000}],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}}})";

struct Form {
    std::string action;
    bool multipart;
    bool hasToken;
};

std::vector<Form> formsOf(const std::string& html) {
    std::vector<Form> out;
    const std::regex form(R"re(<form method="post" action="([^"]+)"([^>]*)>([\s\S]*?)</form>)re");
    for (std::sregex_iterator it(html.begin(), html.end(), form), end; it != end; ++it) {
        out.push_back({decodeEntities((*it)[1].str()),
                       (*it)[2].str().find("multipart/form-data") != std::string::npos,
                       (*it)[3].str().find("<input type=\"hidden\" name=\"csrf_token\" value=\"") !=
                           std::string::npos});
    }
    return out;
}

std::string snapshot(TestDaemon& d) {
    auto s = d.daemon().database().session();
    std::string out;
    for (const char* table : {"associations", "users", "services", "jobs", "sessions", "audit_log",
                              "invoices", "payments", "plans"}) {
        int64_t n = 0;
        s << "SELECT COUNT(*) FROM " + std::string(table), into(n), now;
        out += std::string(table) + "=" + std::to_string(n) + " ";
    }
    return out;
}

TEST(WebForms, EveryFormCarriesItsTokenAndIsRefusedWithoutIt) {
    TestDaemon d;
    ApiClient admin = d.staffClient("admin@chatons.test");
    ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);
    const std::string a = d.approvedAssociation(admin, "Jardin partagé", "camille@jardin.test", "asso-web");
    d.signup("Chorale", "dominique@chorale.test");  // waits for approval
    ASSERT_EQ(admin
                  .post("/api/v1/associations/" + a + "/subscriptions",
                        R"({"plan": "asso-web", "interval": "month"})")
                  .status,
              201);  // services come with a subscription
    const auto created =
        admin.post("/api/v1/associations/" + a + "/services", R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202);
    const std::string service = created.json()->getValue<std::string>("id");
    // Its creation job ends (failed: libvirt's test driver boots no guest); then, as if it had
    // booted, the service is active, so that every action shows.
    ASSERT_TRUE(eventually(
        [&] {
            auto s = d.daemon().database().session();
            int64_t n = 0;
            s << "SELECT COUNT(*) FROM jobs WHERE status = 'pending'", into(n), now;
            return n == 0;
        },
        std::chrono::seconds(30)));
    {
        auto s = d.daemon().database().session();
        s << "UPDATE services SET state = 'active', last_error = NULL", now;
    }

    // A third association, subscribed: its invoice's page has the payment and credit note forms.
    const std::string c = d.approvedAssociation(admin, "Fanfare", "sacha@fanfare.test", "asso-web");
    ASSERT_EQ(d.login("sacha@fanfare.test", "correct horse battery")
                  .post("/api/v1/associations/" + c + "/subscriptions",
                        R"({"plan": "asso-web", "interval": "month"})")
                  .status,
              201);
    const std::string invoice = admin.get("/api/v1/invoices?association=" + c)
                                    .json()
                                    ->getArray("invoices")
                                    ->getObject(0)
                                    ->getValue<std::string>("id");

    const auto signedIn = [&](const std::string& email) {
        Browser b(d.daemon().port());
        b.get("/login");
        EXPECT_EQ(
            b.post("/login",
                   {{"email", email}, {"password", "correct horse battery"}, {"totp", d.nextTotpCode(email)}})
                .status,
            303);
        return b;
    };
    Browser anonymous(d.daemon().port());
    Browser manager = signedIn("camille@jardin.test");
    Browser staff = signedIn("admin@chatons.test");
    const std::vector<std::pair<Browser*, std::vector<std::string>>> visits = {
        {&anonymous,
         {"/", "/signup", "/login", "/terms", "/promises", "/status", "/password/forgot",
          "/password/reset?token=x"}},
        {&manager,
         {"/", "/associations/" + a, "/services/" + service + "/content", "/services/" + service + "/delete",
          "/associations/" + a + "/members", "/associations/" + a + "/subscription?offer=asso-web:year"}},
        {&staff,
         {"/admin", "/admin/signups", "/admin/associations", "/admin/invoices", "/admin/invoices/" + invoice,
          "/admin/audit", "/admin/services", "/admin/plans", "/admin/plans/new", "/admin/plans/asso-web"}},
    };
    std::set<std::string> actions;
    for (const auto& [browser, paths] : visits) {
        for (const auto& path : paths) {
            const auto page = browser->get(path);
            ASSERT_EQ(page.status, 200) << path;
            for (const auto& form : formsOf(page.body)) {
                EXPECT_TRUE(form.hasToken) << form.action << " on " << path;
                const std::string before = snapshot(d);
                // Without the token, then with another browser's: 403, nothing changed.
                const auto none = form.multipart
                                      ? browser->postFile(form.action, "file", "site.tar", "x", false)
                                      : browser->post(form.action, {{"reason", "x"}, {"name", "x"}}, false);
                EXPECT_EQ(none.status, 403) << form.action;
                // (the token another browser was shown on a page: signed for it, not for this one)
                Browser other(d.daemon().port());
                const std::string token = other.csrfToken();
                const auto wrong = form.multipart
                                       ? browser->postFile(form.action, "file", "site.tar", "x", false, token)
                                       : browser->post(form.action, {{"csrf_token", token}}, false);
                EXPECT_EQ(wrong.status, 403) << form.action;
                EXPECT_EQ(snapshot(d), before) << form.action;
                actions.insert(std::regex_replace(form.action, std::regex("[a-z]+_[a-z0-9]{16}"), "ID"));
            }
        }
    }
    // The forms found: each page's own, and the header's logout.
    for (const std::string expected :
         {"/signup", "/login", "/logout", "/associations/ID/services", "/services/ID/suspend",
          "/services/ID/content", "/services/ID/delete", "/admin/signups/ID/approve",
          "/admin/signups/ID/reject", "/associations/ID/subscription"}) {
        EXPECT_TRUE(actions.count(expected)) << expected << " was not found";
    }
    // And with its token, a form goes through (here: logging out).
    EXPECT_EQ(manager.post("/logout", {}).status, 200);
}

}  // namespace
