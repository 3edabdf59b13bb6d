// Every link in every mail works: on the real server with the loopback SMTP server, each mail
// template (in French and in English) is sent through the code that sends it — sign-up,
// approval, refusal, invitation, password reset, the quota ladder (stored data, transfer),
// invoices, reminders, the `unpaid` suspension and its end —, then every link of every mail
// received is followed as its reader (signed in when the page asks for it) to a page that
// answers 200.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPassword = "correct horse battery";

const std::string kPlan = R"({"slug": "web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
    "quotas": {"services": {"included": 1, "limit": 5}, "disk_gib": {"included": 1, "limit": 2},
               "transfer_gib": {"included": 1, "limit": 1000}}})";

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

// Each template's subject as a pattern: its {{values}} match anything. With it, the length of its
// fixed text: of two patterns that match, the longer is the mail's (a quota step's "{{metric}} à
// {{used}}" also matches a reminder's subject).
struct Subject {
    std::regex pattern;
    std::size_t fixed = 0;
};

std::map<std::string, Subject> subjects(const std::string& lang) {
    std::map<std::string, Subject> out;
    const std::filesystem::path dir = std::string(CHATIERE_SOURCE_DIR) + "/web-admin/mail";
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string file = entry.path().filename().string();
        const std::string suffix = "." + lang + ".txt";
        if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix) {
            continue;
        }
        std::ifstream in(entry.path());
        std::string first;
        std::getline(in, first);
        std::string subject = first.substr(std::string("Subject: ").size());
        std::string pattern;
        std::size_t fixed = 0;
        for (std::size_t i = 0; i < subject.size(); ++i) {
            if (subject.compare(i, 2, "{{") == 0) {
                i = subject.find("}}", i) + 1;
                pattern += ".*";
            } else if (std::string(R"(\^$.|?*+()[]{})").find(subject[i]) != std::string::npos) {
                pattern += std::string("\\") + subject[i];
                ++fixed;
            } else {
                pattern += subject[i];
                ++fixed;
            }
        }
        out.emplace(file.substr(0, file.size() - suffix.size()),
                    Subject{std::regex("^" + pattern + R"(\s*$)"), fixed});
    }
    return out;
}

// The template a mail's subject comes from; empty for none.
std::string templateOf(const std::string& subject, const std::map<std::string, Subject>& patterns) {
    std::string which;
    std::size_t best = 0;
    for (const auto& [name, p] : patterns) {
        if (std::regex_match(subject, p.pattern) && p.fixed >= best) {
            which = name;
            best = p.fixed;
        }
    }
    return which;
}

std::string addressOf(const std::string& to) {
    std::smatch m;
    return std::regex_search(to, m, std::regex(R"([^\s<>]+@[^\s<>]+)")) ? m.str() : to;
}

class MailLinks : public ::testing::TestWithParam<std::string> {
protected:
    std::string lang() const { return GetParam(); }

    static void tweak(Settings& s) {
        s.quotaGraceSeconds = 0;  // at the limit: websites suspended at once
        s.monitoringIntervalSeconds = 3600;
        s.sessionTtlHours = 24 * 365;
    }

    // Signs up through the API in the test's language; returns the association's id.
    std::string signup(TestDaemon& d, const std::string& name, const std::string& email) {
        const auto r = d.client().post(
            "/api/v1/signup",
            R"({"association": {"name": ")" + name + R"(", "kind": "association", "email": ")" + email +
                R"("}, "manager": {"name": "Camille", "email": ")" + email + R"(", "password": ")" +
                kPassword + R"("}, "plan": "web", "accept_terms": true,
                                  "language": ")" +
                lang() + "\"}");
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()->getObject("association")->getValue<std::string>("id");
    }

    // Follows every link of every mail received by `d`'s sink as its reader (but those of the mails
    // in `followed`, which it adds to); returns the templates seen.
    std::set<std::string> followEveryLink(TestDaemon& d, std::set<std::string>& followed) {
        const auto patterns = subjects(lang());
        std::map<std::string, Browser> readers;
        std::set<std::string> seen;
        for (const auto& mail : d.sink().messages()) {
            if (!followed.insert(mail.messageId).second) {
                continue;
            }
            const std::string which = templateOf(mail.subject, patterns);
            EXPECT_FALSE(which.empty())
                << "a mail not in " << lang() << ", or from no template: " << mail.subject;
            seen.insert(which);
            const std::string reader = addressOf(mail.to);
            for (const auto& link : SmtpSink::links(mail.body)) {
                const std::string origin = d.settings().publicUrl;
                if (link.rfind(origin + "/", 0) != 0) {
                    ADD_FAILURE() << which << ": " << link << " is not on " << origin;
                    continue;
                }
                const std::string path = link.substr(origin.size());
                Browser anonymous(d.daemon().port());
                auto r = anonymous.get(path);
                if (r.status == 303 && r.headers["Location"] == "/login") {
                    auto it = readers.find(reader);
                    if (it == readers.end()) {
                        it = readers
                                 .emplace(reader, signedInBrowser(d.daemon().port(), reader, kPassword,
                                                                  d.nextTotpCode(reader)))
                                 .first;
                    }
                    r = it->second.get(path);
                }
                EXPECT_EQ(r.status, 200)
                    << which << " (" << lang() << ") to " << reader << ": " << link << "\n"
                    << r.body.substr(0, 400);
            }
        }
        return seen;
    }
};

TEST_P(MailLinks, EveryLinkOfEveryMailOpensAPageForItsReader) {
    TestDaemon d(tweak);
    d.clock().set(at("2027-01-31T09:00:00Z"));
    ApiClient admin = d.staffClient("admin@chatons.test");
    ApiClient treasurer = d.staffClient("tresorier@chatons.test", "treasurer");
    {
        auto s = d.daemon().database().session();
        s << "UPDATE users SET language = ?", bind(lang()), now;  // the staff read this language too
    }
    ASSERT_EQ(admin.post("/api/v1/plans", kPlan).status, 201);

    // Sign-ups: verify_email and signup_pending_admin; then signup_approved and signup_rejected.
    const std::string a = signup(d, "Jardin", "camille@jardin.test");
    const std::string b = signup(d, "Chorale", "dominique@chorale.test");
    const std::string c = signup(d, "Club", "alex@club.test");
    ASSERT_EQ(admin.post("/api/v1/associations/" + a + "/approve", "{}").status, 200);
    ASSERT_EQ(admin.post("/api/v1/associations/" + b + "/approve", "{}").status, 200);
    ASSERT_EQ(
        admin.post("/api/v1/associations/" + c + "/reject", R"({"reason": "Not an association."})").status,
        200);
    ApiClient manager = d.login("camille@jardin.test", kPassword);
    // Their links now, while the verification links are valid (the clock moves months below):
    // three verifications, three notices to the admin, two approvals, a refusal.
    std::set<std::string> followed;
    ASSERT_GE(d.sink().waitForMessages(9).size(), 9u);
    std::set<std::string> seen = followEveryLink(d, followed);

    // Services need a subscription: the association subscribes first (invoice_issued, below).
    const auto subscribed = manager.post("/api/v1/associations/" + a + "/subscriptions",
                                         R"({"plan": "web", "interval": "month"})");
    ASSERT_EQ(subscribed.status, 201) << subscribed.body;

    // The quota ladder: a service (1 of 1 included) storing 3 GiB (limit 2) → quota_step and
    // quota_suspended; an exception lifts the suspension → quota_resumed. Granting an exception
    // walks the ladder of every association, as the monitoring cycle does.
    const auto created =
        manager.post("/api/v1/associations/" + a + "/services", R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string service = created.json()->getValue<std::string>("id");
    {
        auto s = d.daemon().database().session();
        s << "INSERT INTO usage_latest (service_id, association_id, at, stored_bytes) VALUES (?, ?, ?, ?)",
            bind(service), bind(a), bind(std::string("2027-01-31T09:00:00Z")), bind(int64_t{3} << 30), now;
        // And 2 GiB sent today (1 included) → quota_transfer_step.
        const std::string today = Calendar().dateOf(d.clock().now());
        s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, transfer_bytes) "
             "VALUES (?, ?, 0, 0, ?)",
            bind(a), bind(today), bind(int64_t{2} << 30), now;
    }
    ASSERT_EQ(
        admin.post("/api/v1/associations/" + b + "/quota-exceptions", R"({"reason": "x", "days": 1})").status,
        201);
    ASSERT_EQ(
        admin.post("/api/v1/associations/" + a + "/quota-exceptions", R"({"reason": "A fair.", "days": 1})")
            .status,
        201);

    // Billing: invoice_issued at once; invoice_reminder a week after the due date; unpaid_suspended
    // after billing.suspend_days; unpaid_resumed when it is paid. (The subscription came first.)
    const std::string invoice = manager.get("/api/v1/invoices?association=" + a)
                                    .json()
                                    ->getArray("invoices")
                                    ->getObject(0)
                                    ->getValue<std::string>("id");
    d.clock().set(at("2027-03-10T09:00:00Z"));
    ASSERT_EQ(treasurer.post("/api/v1/billing/run", "{}").json()->getValue<int>("reminders"), 1);
    d.clock().set(at("2027-04-02T09:00:00Z"));
    ASSERT_EQ(treasurer.post("/api/v1/billing/run", "{}").json()->getValue<int>("suspended"), 1);
    const auto paid = treasurer.post("/api/v1/invoices/" + invoice + "/payments",
                                     R"({"amount_cents": 1000, "method": "transfer"})");
    ASSERT_EQ(paid.status, 201) << paid.body;

    // password_reset and invitation.
    ASSERT_EQ(d.client().post("/api/v1/password-resets", R"({"email": "camille@jardin.test"})").status, 202);
    ASSERT_EQ(
        manager
            .request("POST", "/api/v1/associations/" + a + "/invitations",
                     R"({"email": "sacha@jardin.test"})", "application/json", {{"Accept-Language", lang()}})
            .status,
        201);

    // signup_welcome: where sign-ups need no approval.
    TestDaemon open([](Settings& s) {
        tweak(s);
        s.signupAutoApprove = true;
        s.billing.unsubscribedGraceDays = 3;  // the reminder, 3 days before the end, comes next
    });
    {
        ApiClient openAdmin = open.staffClient("admin@chatons.test");
        ASSERT_EQ(openAdmin.post("/api/v1/plans", kPlan).status, 201);
    }
    const std::string atelier = signup(open, "Atelier", "alex@atelier.test");
    // unsubscribed_grace and unsubscribed_reminder: an association whose services run without a
    // subscription (its free plan taken back by the admin) is mailed when the grace starts, and
    // again 3 days before it ends (here a grace of 3 days: at the next run).
    {
        ApiClient openAdmin = open.login("admin@chatons.test", "correct horse battery");
        ASSERT_EQ(openAdmin
                      .post("/api/v1/plans", R"({"slug": "libre", "name": "Libre", "templates": ["website"],
                          "free": true, "prices": [], "quotas": {"services": {"included": 1, "limit": 1}}})")
                      .status,
                  201);
        const std::string plan = "/api/v1/associations/" + atelier + "/plan";
        ASSERT_EQ(openAdmin.request("PUT", plan, R"({"plan": "libre"})").status, 200);
        ApiClient alex = open.login("alex@atelier.test", kPassword);
        const auto site = alex.post("/api/v1/associations/" + atelier + "/services",
                                    R"({"template": "website", "name": "site"})");
        ASSERT_EQ(site.status, 202) << site.body;
        ASSERT_EQ(openAdmin.request("PUT", plan, R"({"plan": "web"})").status, 200);
        ASSERT_EQ(openAdmin.post("/api/v1/billing/run", "{}").status, 200);
        ASSERT_EQ(openAdmin.post("/api/v1/billing/run", "{}").status, 200);
    }

    const std::set<std::string> expected = {"verify_email",       "signup_pending_admin", "signup_approved",
                                            "signup_rejected",    "quota_step",           "quota_suspended",
                                            "quota_resumed",      "quota_transfer_step",  "invoice_issued",
                                            "invoice_reminder",   "unpaid_suspended",     "unpaid_resumed",
                                            "password_reset",     "invitation",           "signup_welcome",
                                            "unsubscribed_grace", "unsubscribed_reminder"};
    // Every template is covered: a new one must be added here.
    std::set<std::string> templates;
    for (const auto& [name, subject] : subjects(lang())) {
        templates.insert(name);
    }
    EXPECT_EQ(templates, expected);

    // Wait for the mails (the outbox sends them in the background), then follow their links.
    const auto waitFor = [&](TestDaemon& daemon, const std::set<std::string>& names) {
        const auto patterns = subjects(lang());
        std::set<std::string> got;
        eventually(
            [&] {
                got.clear();
                for (const auto& m : daemon.sink().messages()) {
                    if (const std::string name = templateOf(m.subject, patterns); names.count(name)) {
                        got.insert(name);
                    }
                }
                return got == names;
            },
            std::chrono::seconds(30));
        EXPECT_EQ(got, names);
    };
    std::set<std::string> main = expected;
    for (const char* name : {"signup_welcome", "unsubscribed_grace", "unsubscribed_reminder"}) {
        main.erase(name);
    }
    waitFor(d, main);
    waitFor(open, {"signup_welcome", "verify_email", "unsubscribed_grace", "unsubscribed_reminder"});
    for (const auto& name : followEveryLink(d, followed)) {
        seen.insert(name);
    }
    for (const auto& name : followEveryLink(open, followed)) {
        seen.insert(name);
    }
    EXPECT_EQ(seen, expected);
}

INSTANTIATE_TEST_SUITE_P(Languages, MailLinks, ::testing::Values("fr", "en"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
