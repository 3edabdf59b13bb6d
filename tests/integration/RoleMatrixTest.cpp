// Roles as a matrix generated from the router: every route the daemon answers (its own table,
// read from the real server on port 0 with a real SQLite file) is called as each of six callers —
// anonymous, a member of association A, A's manager, another association's manager, the
// treasurer, the admin — with a request that would succeed for whoever may make it, and must give
// the expected class of status. A route missing from the table below fails the test: a new route
// cannot be added without deciding who may use it.
//
// The JSON API is called with bearer tokens, the pages with the session cookie (their form token,
// and an Origin header equal to public.url on every cookie request that is not a GET). Whatever a
// call consumes — a pending sign-up, a draft, an invitation, a member, a session, a service — is
// made afresh for each call.

#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Totp.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/Data/Statement.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <map>
#include <regex>
#include <set>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

enum Who { kAnonymous, kMember, kManager, kStranger, kTreasurer, kAdmin, kCallers };
const std::array<const char*, kCallers> kWhoNames = {"anonymous", "member",    "manager",
                                                     "stranger",  "treasurer", "admin"};
const std::array<const char*, kCallers> kEmails = {
    "", "member@a.test", "manager@a.test", "manager@b.test", "tresorier@chatons.test", "admin@chatons.test"};
const std::string kPassword = "correct horse battery";

const std::string kPlan = R"({"slug": "web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000},
               {"interval": "year", "kind": "association", "amount_cents": 10000}],
    "quotas": {"services": {"included": 100, "limit": 100}, "disk_gib": {"included": 500, "limit": 500},
               "vcpus": {"included": 400, "limit": 400}, "memory_mib": {"included": 409600, "limit": 409600}}})";

// A site: index.html in a plain tar archive.
std::string siteTar() {
    return chatiere::provisioning::makeTar({{"index.html", "<h1>Jardin</h1>"}});
}

std::string urlencoded(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string body;
    for (const auto& [k, v] : fields) {
        std::string ek, ev;
        Poco::URI::encode(k, "&=+;", ek);
        Poco::URI::encode(v, "&=+;", ev);
        body += (body.empty() ? "" : "&") + ek + "=" + ev;
    }
    return body;
}

// One call of a route: the values of its {placeholders}, a query, a body.
struct Call {
    std::map<std::string, std::string> params;
    std::string query;
    std::string body;
    std::string contentType = "application/json";
    bool freshSession = false;  // the call ends the caller's session: it gets one of its own
};

// A page's form post: urlencoded, with the page's form token (filled in when sent).
Call form(std::vector<std::pair<std::string, std::string>> fields,
          std::map<std::string, std::string> params = {}) {
    Call c;
    c.params = std::move(params);
    c.body = urlencoded(fields);
    c.body += (c.body.empty() ? "" : "&") + std::string("csrf_token={csrf}");
    c.contentType = "application/x-www-form-urlencoded";
    return c;
}

class World;
using Prepare = std::function<Call(World&, Who)>;

// What a route must answer, one letter per caller in Who's order: '+' done (2xx, or a 3xx
// elsewhere than the login page), 'L' a redirect to the login page, 'U' 401, 'F' 403, 'N' 404,
// 'C' 409 (allowed to ask, refused by the state).
struct Expectation {
    std::string outcomes;
    Prepare prepare;
};

// The installation the calls run against, with the accounts of the six callers.
class World {
public:
    World()
        : d_([](chatiere::manager::Settings& s) {
              s.billing.draftDays = 30;  // invoices wait as drafts: the treasurer finalizes them
              s.invitationsMaxPerDay = 1000;
              s.sessionTtlHours = 24 * 365;
          }) {
        tokens_[kAdmin] = d_.staffClient(kEmails[kAdmin]).token();
        tokens_[kTreasurer] = d_.staffClient(kEmails[kTreasurer], "treasurer").token();
        ApiClient admin = api(kAdmin);
        expect201(admin.post("/api/v1/plans", kPlan));
        expect201(admin.post("/api/v1/plans", R"({"slug": "spare", "name": "Spare", "prices": []})"));
        a_ = d_.approvedAssociation(admin, "Jardin", kEmails[kManager], "web");
        b_ = d_.approvedAssociation(admin, "Chorale", kEmails[kStranger], "web");
        d_.signup("Club", kEmails[kMember]);
        memberId_ = addMember(a_, kEmails[kMember], "member");
        d_.signup("Atelier", "dominique@atelier.test");
        for (int who = kMember; who < kTreasurer; ++who) {
            tokens_[who] = d_.login(kEmails[who], kPassword).token();
        }
        // A's subscription and its invoice, finalized: what the association's pages show.
        expect201(api(kManager).post("/api/v1/associations/" + a_ + "/subscriptions",
                                     R"({"plan": "web", "interval": "month"})"));
        subscription_ = api(kManager)
                            .get("/api/v1/associations/" + a_ + "/subscriptions")
                            .json()
                            ->getArray("subscriptions")
                            ->getObject(0)
                            ->getValue<std::string>("id");
        invoice_ = draftOf(a_);
        const auto finalized = api(kTreasurer).post("/api/v1/invoices/" + invoice_ + "/finalize", "{}");
        EXPECT_EQ(finalized.status, 200) << finalized.body;
        invitation_ = invite(a_, "someone@a.test").first;
        service_ = newService();
        // Services that calls resize, publish or delete, made at once; the test driver boots
        // nothing, so each ends failed, then is set active as if it had booted.
        for (int i = 0; i < 40; ++i) {
            spareServices_.push_back(newService());
        }
        const bool settled = eventually(
            [&] {
                auto s = d_.daemon().database().session();
                int64_t busy = 0;
                s << "SELECT COUNT(*) FROM services WHERE state IN ('requested', 'provisioning')", into(busy),
                    now;
                return busy == 0;
            },
            std::chrono::seconds(60));
        EXPECT_TRUE(settled) << "the provisioning jobs did not finish";
        auto s = d_.daemon().database().session();
        s << "UPDATE services SET state = 'active', last_error = NULL", now;
    }

    TestDaemon& daemon() { return d_; }
    int port() { return d_.daemon().port(); }
    const std::string& a() const { return a_; }
    const std::string& memberId() const { return memberId_; }
    const std::string& invoice() const { return invoice_; }
    const std::string& subscription() const { return subscription_; }
    const std::string& invitation() const { return invitation_; }
    const std::string& service() const { return service_; }
    std::string unique(const std::string& stem) { return stem + std::to_string(++counter_); }

    // The caller's bearer token; empty for anonymous.
    std::string token(Who who) const { return tokens_[who]; }
    ApiClient api(Who who) const {
        ApiClient c = d_.client();
        c.setToken(token(who));
        return c;
    }
    std::string newSession(Who who) {
        return who == kAnonymous ? "" : d_.login(kEmails[who], kPassword).token();
    }

    // The second factor of the caller's own account. beginTotp starts an enrolment and returns the
    // code that confirms it ("000000" when it cannot start: anonymous, or staff, who have one);
    // removeTotpBody removes what beginTotp's code confirmed. Staff keep theirs (a wrong password):
    // without it, every route after would answer them 403 totp_enrolment_required.
    std::string beginTotp(Who who) {
        const auto r = api(who).post("/api/v1/me/totp", "{}");
        if (r.status != 201) {
            return "000000";
        }
        totpSecrets_[who] = r.json()->getValue<std::string>("secret");
        return *chatiere::manager::totpCodeAtStep(totpSecrets_[who], d_.nowTotpStep());
    }
    std::string removeTotpBody(Who who) {
        const auto secret = totpSecrets_.find(who);
        if (secret == totpSecrets_.end()) {
            return R"({"password": "not the password", "code": "000000"})";
        }
        return R"({"password": ")" + kPassword + R"(", "code": ")" +
               *chatiere::manager::totpCodeAtStep(secret->second, d_.nowTotpStep() + 1) + "\"}";
    }

    // An association where A's manager is a manager, A's member a member, B's manager nobody;
    // pending, approved, or approved with a subscription (its first invoice a draft).
    std::string associationWithRoles(bool approve) {
        ApiClient admin = api(kAdmin);
        const std::string email = unique("contact") + "@roles.test";
        const std::string id = d_.signup(unique("Asso "), email).first;
        addMember(id, kEmails[kManager], "manager");
        addMember(id, kEmails[kMember], "member");
        if (approve) {
            EXPECT_EQ(admin.post("/api/v1/associations/" + id + "/approve", "{}").status, 200);
            EXPECT_EQ(admin.put("/api/v1/associations/" + id + "/plan", R"({"plan": "web"})").status, 200);
        }
        return id;
    }
    // A subscription (a month of "web") of a fresh association with roles.
    std::pair<std::string, std::string> subscribedAssociation() {
        const std::string id = associationWithRoles(true);
        const auto r = api(kAdmin).post("/api/v1/associations/" + id + "/subscriptions",
                                        R"({"plan": "web", "interval": "month"})");
        expect201(r);
        return {id, r.json()->getValue<std::string>("id")};
    }
    std::string draftOf(const std::string& association) {
        const auto r = api(kAdmin).get("/api/v1/invoices?association=" + association);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()->getArray("invoices")->getObject(0)->getValue<std::string>("id");
    }
    std::string addMember(const std::string& association, const std::string& email, const std::string& role) {
        const auto r = api(kAdmin).post("/api/v1/associations/" + association + "/members",
                                        R"({"email": ")" + email + R"(", "role": ")" + role + "\"}");
        expect201(r);
        return r.json()->getValue<std::string>("user_id");
    }
    // A fresh member of A (an account of its own first).
    std::string freshMember() {
        const std::string email = unique("membre") + "@a.test";
        d_.signup(unique("Perso "), email);
        return addMember(a_, email, "member");
    }
    // An invitation of A to a fresh address: its id and the token its mail carries.
    std::pair<std::string, std::string> invite(const std::string& association, const std::string& email) {
        const auto r = api(kAdmin).post("/api/v1/associations/" + association + "/invitations",
                                        R"({"email": ")" + email + "\"}");
        expect201(r);
        const auto tokens = d_.sink().linkTokens(email, "/invitations/accept");
        EXPECT_EQ(tokens.size(), 1u) << email;
        return {r.json()->getValue<std::string>("id"), tokens.empty() ? "" : tokens.front()};
    }
    std::string invitationToken() { return invite(a_, unique("invite") + "@a.test").second; }
    // A fresh account's e-mail verification token.
    std::string verificationToken() {
        const std::string email = unique("verify") + "@v.test";
        d_.signup(unique("Verif "), email);
        const auto tokens = d_.sink().linkTokens(email, "/verify-email");
        EXPECT_EQ(tokens.size(), 1u) << email;
        return tokens.empty() ? "" : tokens.front();
    }
    // A fresh account's password reset token.
    std::string resetToken() {
        const std::string email = unique("reset") + "@r.test";
        d_.signup(unique("Reset "), email);
        EXPECT_EQ(d_.client().post("/api/v1/password-resets", R"({"email": ")" + email + "\"}").status, 202);
        const auto tokens = d_.sink().linkTokens(email, "/password/reset");
        EXPECT_EQ(tokens.size(), 1u) << email;
        return tokens.empty() ? "" : tokens.front();
    }
    // One of the services made at the start, active, for a call that changes or deletes it.
    std::string spareService() {
        EXPECT_FALSE(spareServices_.empty()) << "make more spare services";
        if (spareServices_.empty()) {
            return service_;
        }
        const std::string id = spareServices_.back();
        spareServices_.pop_back();
        return id;
    }
    std::string signupJson() {
        const std::string email = unique("nouveau") + "@signup.test";
        return R"({"association": {"name": ")" + unique("Nouvelle ") +
               R"(", "kind": "association", "email": ")" + email +
               R"("}, "manager": {"name": "Sacha", "email": ")" + email +
               R"(", "password": "correct horse battery"}, "accept_terms": true})";
    }
    // A later code of the second factor beginTotp began (one step of skew ahead), for the page's
    // removal; "000000" when none was begun.
    std::string laterTotpCode(Who who) {
        const auto it = totpSecrets_.find(who);
        return it == totpSecrets_.end()
                   ? "000000"
                   : *chatiere::manager::totpCodeAtStep(it->second, d_.nowTotpStep() + 1);
    }

private:
    static void expect201(const ApiResponse& r) { EXPECT_EQ(r.status, 201) << r.body; }
    std::string newService() {
        const auto r = api(kAdmin).post("/api/v1/associations/" + a_ + "/services",
                                        R"({"template": "website", "name": ")" + unique("site") + "\"}");
        EXPECT_EQ(r.status, 202) << r.body;
        return r.json()->getValue<std::string>("id");
    }

    TestDaemon d_;
    std::array<std::string, kCallers> tokens_;
    std::string a_, b_, memberId_, invoice_, subscription_, invitation_, service_;
    std::vector<std::string> spareServices_;
    std::map<Who, std::string> totpSecrets_;
    int counter_ = 0;
};

Call shared(std::map<std::string, std::string> params, std::string body = "", std::string query = "") {
    Call c;
    c.params = std::move(params);
    c.body = std::move(body);
    c.query = std::move(query);
    return c;
}

// Every route, with who may call it. Keep in the order of the router's table (by file).
std::map<std::string, Expectation> expectations() {
    auto A = [](World& w) { return std::map<std::string, std::string>{{"id", w.a()}}; };
    auto service = [](World& w) { return std::map<std::string, std::string>{{"id", w.service()}}; };
    auto invoice = [](World& w) { return std::map<std::string, std::string>{{"id", w.invoice()}}; };
    auto get = [](std::function<std::map<std::string, std::string>(World&)> params, std::string query = "") {
        return [=](World& w, Who) { return shared(params(w), "", query); };
    };
    auto none = [](World&, Who) { return Call{}; };
    auto json = [](std::function<std::map<std::string, std::string>(World&)> params, std::string body) {
        return [=](World& w, Who) { return shared(params(w), body); };
    };
    auto noParams = [](World&) { return std::map<std::string, std::string>{}; };

    std::map<std::string, Expectation> e;
    // --- System, sessions, accounts ---------------------------------------------------------
    e["GET /healthz"] = {"++++++", none};
    e["GET /api/v1/terms"] = {"++++++", none};
    e["GET /api/v1/system/overview"] = {"UFFFF+", none};
    e["GET /api/v1/audit"] = {"UFFFF+", none};
    e["POST /api/v1/sessions"] = {
        "++++++", json(noParams, R"({"email": "manager@a.test", "password": ")" + kPassword + "\"}")};
    e["DELETE /api/v1/sessions"] = {"U+++++", [](World&, Who) {
                                        Call c;
                                        c.freshSession = true;
                                        return c;
                                    }};
    e["GET /api/v1/me"] = {"U+++++", none};
    // One's own second factor: anyone signed in (staff too, who must enrol before anything else);
    // the staff of this world have one (TestDaemon::staffClient), hence 409 to enrol again.
    e["POST /api/v1/me/totp"] = {"U+++CC", json(noParams, "{}")};
    e["POST /api/v1/me/totp/confirm"] = {
        "U+++CC", [](World& w, Who who) { return shared({}, R"({"code": ")" + w.beginTotp(who) + "\"}"); }};
    e["DELETE /api/v1/me/totp"] = {"U+++UU",
                                   [](World& w, Who who) { return shared({}, w.removeTotpBody(who)); }};
    e["POST /api/v1/verify-email"] = {
        "++++++", [](World& w, Who) { return shared({}, R"({"token": ")" + w.verificationToken() + "\"}"); }};
    e["POST /api/v1/password-resets"] = {
        "++++++",
        [](World& w, Who) { return shared({}, R"({"email": ")" + w.unique("nobody") + "@x.test\"}"); }};
    e["POST /api/v1/password-resets/confirm"] = {
        "++++++", [](World& w, Who) {
            return shared({},
                          R"({"token": ")" + w.resetToken() + R"(", "password": "a new long passphrase"})");
        }};
    e["POST /api/v1/tokens"] = {"U+++++", json(noParams, R"({"name": "script"})")};
    e["GET /api/v1/tokens"] = {"U+++++", none};
    e["DELETE /api/v1/tokens/{id}"] = {
        "U+++++", [](World& w, Who who) {
            const auto r =
                w.api(who == kAnonymous ? kAdmin : who).post("/api/v1/tokens", R"({"name": "to revoke"})");
            return shared({{"id", r.json()->getValue<std::string>("id")}});
        }};
    // --- Associations, members, invitations ---------------------------------------------------
    e["POST /api/v1/signup"] = {"++++++", [](World& w, Who) { return shared({}, w.signupJson()); }};
    e["GET /api/v1/associations"] = {"U+++++", none};
    e["GET /api/v1/associations/{id}"] = {"U++N++", get(A)};
    e["POST /api/v1/associations/{id}/approve"] = {
        "UFFNF+", [](World& w, Who) {
            return shared({{"id", w.associationWithRoles(false)}}, "{}");
        }};
    e["POST /api/v1/associations/{id}/reject"] = {
        "UFFNF+", [](World& w, Who) {
            return shared({{"id", w.associationWithRoles(false)}}, R"({"reason": "Not an association."})");
        }};
    e["PUT /api/v1/associations/{id}/plan"] = {"UFFNF+", json(A, R"({"plan": "web"})")};
    // The billing identity: the association's managers (and the admin) edit it.
    e["PATCH /api/v1/associations/{id}"] = {"UF+NF+", json(A, R"({"legal_name": "Les Jardins partagés"})")};
    e["GET /api/v1/associations/{id}/members"] = {"U++N++", get(A)};
    e["POST /api/v1/associations/{id}/members"] = {
        "UF+NF+", json(A, R"({"email": "dominique@atelier.test", "role": "member"})")};
    e["POST /api/v1/associations/{id}/invitations"] = {
        "UF+NF+", [](World& w, Who) {
            return shared({{"id", w.a()}}, R"({"email": ")" + w.unique("sacha") + "@a.test\"}");
        }};
    e["GET /api/v1/associations/{id}/invitations"] = {"U++N++", get(A)};
    e["DELETE /api/v1/associations/{id}/invitations/{invitationId}"] = {
        "UF+NF+", [](World& w, Who) {
            return shared(
                {{"id", w.a()}, {"invitationId", w.invite(w.a(), w.unique("retire") + "@a.test").first}});
        }};
    // The link proves the invited address: with no account for it yet, the body makes that account
    // whoever is signed in on the browser (InvitationTest checks an existing account joins only
    // once signed in to it).
    e["POST /api/v1/invitations/accept"] = {"++++++", [](World& w, Who) {
                                                return shared({}, R"({"token": ")" + w.invitationToken() +
                                                                      R"(", "name": "Sacha", "password": ")" +
                                                                      kPassword +
                                                                      R"(", "accept_terms": true})");
                                            }};
    e["DELETE /api/v1/associations/{id}/members/{userId}"] = {
        "UF+NF+", [](World& w, Who) {
            return shared({{"id", w.a()}, {"userId", w.freshMember()}});
        }};
    e["GET /api/v1/associations/{id}/export"] = {"UF+NF+", get(A)};
    // --- Plans ------------------------------------------------------------------------------
    e["GET /api/v1/plans"] = {"++++++", none};
    e["GET /api/v1/plans/{slug}"] = {"++++++", get([](World&) {
                                         return std::map<std::string, std::string>{{"slug", "web"}};
                                     })};
    e["POST /api/v1/plans"] = {
        "UFFFF+", [](World& w, Who) {
            return shared({}, R"({"slug": ")" + w.unique("plan-") + R"(", "name": "P", "prices": []})");
        }};
    e["PUT /api/v1/plans/{slug}"] = {"UFFFF+",
                                     json(
                                         [](World&) {
                                             return std::map<std::string, std::string>{{"slug", "spare"}};
                                         },
                                         R"({"name": "Spare", "prices": []})")};
    // --- Services and usage -----------------------------------------------------------------
    e["GET /api/v1/templates"] = {"++++++", none};
    // Restarting guests on a rebuilt image is the admin's (docs/images.md).
    e["GET /api/v1/templates/rollout"] = {"UFFFF+", none};
    e["POST /api/v1/templates/rollout"] = {"UFFFF+", [](World&, Who) { return shared({}, "{}"); }};
    e["POST /api/v1/associations/{id}/services"] = {
        "UF+NF+", [](World& w, Who) {
            return shared({{"id", w.a()}}, R"({"template": "website", "name": ")" + w.unique("neuf") + "\"}");
        }};
    e["GET /api/v1/associations/{id}/services"] = {"U++N++", get(A)};
    e["GET /api/v1/services/{id}"] = {"U++N++", get(service)};
    e["POST /api/v1/services/{id}/suspend"] = {"UF+NF+", json(service, "{}")};
    e["POST /api/v1/services/{id}/resume"] = {"UF+NF+", json(service, "{}")};
    e["PATCH /api/v1/services/{id}"] = {"UF+NF+", [](World& w, Who) {
                                            return shared({{"id", w.spareService()}}, R"({"vcpus": 2})");
                                        }};
    // The association's own domain (null: its default name) is the managers' and the admin's.
    e["PUT /api/v1/services/{id}/domain"] = {"UF+NF+", json(service, R"({"domain": null})")};
    // The public names' certificates are the admin's; with the proxy off, renewing is a conflict.
    e["GET /api/v1/certificates"] = {"UFFFF+", none};
    e["POST /api/v1/certificates/{name}/renew"] = {"UFFFFC", [](World&, Who) {
                                                       return shared({{"name", "site.example.org"}}, "{}");
                                                   }};
    e["PUT /api/v1/services/{id}/content"] = {"UF+NF+", [](World& w, Who) {
                                                  Call c = shared({{"id", w.spareService()}}, siteTar());
                                                  c.contentType = "application/x-tar";
                                                  return c;
                                              }};
    e["DELETE /api/v1/services/{id}"] = {"UF+NF+", [](World& w, Who) {
                                             return shared({{"id", w.spareService()}});
                                         }};
    // Pads on a website (the matrix's service): who may ask gets 409 not_an_editor after the role
    // check; members list and create, managers and the admin delete, the treasurer only reads.
    e["GET /api/v1/services/{id}/pads"] = {"UCCNCC", get(service)};
    e["POST /api/v1/services/{id}/pads"] = {"UCCNFC", json(service, R"({"name": "notes"})")};
    e["DELETE /api/v1/services/{id}/pads/{name}"] = {
        "UFCNFC", [](World& w, Who) {
            return shared({{"id", w.service()}, {"name", "notes"}});
        }};
    e["DELETE /api/v1/services/{id}/pads/{name}/{rest}"] = {
        "UFCNFC", [](World& w, Who) {
            return shared({{"id", w.service()}, {"name", "a"}, {"rest", "b"}});
        }};
    // Mailboxes and aliases on a website: 409 not_a_mail_service after the role check; members and
    // the treasurer list, managers and the admin change.
    e["GET /api/v1/services/{id}/mailboxes"] = {"UCCNCC", get(service)};
    e["POST /api/v1/services/{id}/mailboxes"] = {"UFCNFC",
                                                  json(service, R"({"local_part": "x", "quota_mib": 1})")};
    e["PATCH /api/v1/services/{id}/mailboxes/{address}"] = {
        "UFCNFC", [](World& w, Who) {
            return shared({{"id", w.service()}, {"address", "x"}}, R"({"quota_mib": 2})");
        }};
    e["DELETE /api/v1/services/{id}/mailboxes/{address}"] = {
        "UFCNFC", [](World& w, Who) {
            return shared({{"id", w.service()}, {"address", "x"}});
        }};
    e["GET /api/v1/services/{id}/aliases"] = {"UCCNCC", get(service)};
    e["GET /api/v1/services/{id}/dns"] = {"UCCNCC", get(service)};
    e["POST /api/v1/services/{id}/aliases"] = {"UFCNFC",
                                                json(service, R"({"local_part": "x", "destinations": ["y"]})")};
    e["DELETE /api/v1/services/{id}/aliases/{local_part}"] = {
        "UFCNFC", [](World& w, Who) {
            return shared({{"id", w.service()}, {"local_part", "x"}});
        }};
    e["GET /api/v1/services/{id}/usage"] = {"U++N++", get(service)};
    e["GET /api/v1/services/{id}/uptime"] = {"U++N++", get(service)};
    e["GET /api/v1/associations/{id}/usage"] = {"U++N++", get(A)};
    e["GET /api/v1/status"] = {"++++++", none};
    e["POST /api/v1/associations/{id}/quota-exceptions"] = {"UFFNF+",
                                                            json(A, R"({"reason": "A fair.", "days": 7})")};
    e["GET /api/v1/alerts"] = {"UFFFF+", none};
    // Prometheus scrapes with the metrics token (data.dir/metrics.token); a user's token opens it
    // only for the admin: loopback alone opens nothing, a guest's traffic arrives from there.
    e["GET /metrics"] = {"UFFFF+", none};
    // --- Billing ----------------------------------------------------------------------------
    e["POST /api/v1/associations/{id}/subscriptions"] = {
        "UF+NF+", [](World& w, Who) {
            return shared({{"id", w.associationWithRoles(true)}}, R"({"plan": "web", "interval": "month"})");
        }};
    e["GET /api/v1/associations/{id}/subscriptions"] = {"UF+N++", get(A)};
    // For an association without a subscription yet: what a first one would cost.
    e["GET /api/v1/associations/{id}/subscriptions/preview"] = {
        "UF+N++", [](World& w, Who) {
            return shared({{"id", w.associationWithRoles(true)}}, "", "?plan=web&interval=month");
        }};
    e["GET /api/v1/subscriptions/{id}/preview"] = {
        "UF+N++", get(
                      [](World& w) {
                          return std::map<std::string, std::string>{{"id", w.subscription()}};
                      },
                      "?plan=web&interval=year")};
    e["POST /api/v1/subscriptions/{id}/change"] = {"UF+NF+", [](World& w, Who) {
                                                       return shared(
                                                           {{"id", w.subscribedAssociation().second}},
                                                           R"({"plan": "web", "interval": "year"})");
                                                   }};
    e["POST /api/v1/subscriptions/{id}/cancel"] = {
        "UF+NF+", [](World& w, Who) {
            return shared({{"id", w.subscribedAssociation().second}}, "{}");
        }};
    e["POST /api/v1/billing/run"] = {"UFFF++", json(noParams, "{}")};
    e["GET /api/v1/billing/export"] = {"UFFF++",
                                       get(noParams, "?what=invoices&from=2026-01-01&to=2027-01-01")};
    e["GET /api/v1/invoices"] = {"UFFF++", none};
    e["GET /api/v1/invoices/{id}"] = {"UF+N++", get(invoice)};
    e["GET /api/v1/invoices/{id}/pdf"] = {"UF+N++", get(invoice)};
    e["GET /api/v1/invoices/{id}/html"] = {"UF+N++", get(invoice)};
    e["POST /api/v1/invoices/{id}/finalize"] = {
        "UFFN++", [](World& w, Who) {
            return shared({{"id", w.draftOf(w.subscribedAssociation().first)}}, "{}");
        }};
    e["POST /api/v1/invoices/{id}/payments"] = {
        "UFFN++", json(invoice, R"({"amount_cents": 10, "method": "transfer"})")};
    e["POST /api/v1/invoices/{id}/credit-notes"] = {
        "UFFN++", json(invoice, R"({"amount_cents": 10, "reason": "A gesture."})")};

    // --- Pages: public ----------------------------------------------------------------------
    for (const char* page : {"GET /", "GET /terms", "GET /promises", "GET /status", "GET /signup",
                             "GET /login", "GET /password/forgot"}) {
        e[page] = {"++++++", none};
    }
    e["GET /assets/{name}"] = {"++++++", get([](World&) {
                                   return std::map<std::string, std::string>{{"name", "style.css"}};
                               })};
    e["POST /signup"] = {"++++++", [](World& w, Who) {
                             const std::string email = w.unique("page") + "@signup.test";
                             return form({{"association_name", w.unique("Page ")},
                                          {"association_email", email},
                                          {"association_kind", "association"},
                                          {"association_address_line1", "3 place du Marché"},
                                          {"association_address_postal_code", "35000"},
                                          {"association_address_city", "Rennes"},
                                          {"manager_name", "Sacha"},
                                          {"manager_email", email},
                                          {"manager_password", kPassword},
                                          {"accept_terms", "yes"}});
                         }};
    e["GET /verify-email"] = {
        "++++++", [](World& w, Who) { return shared({}, "", "?token=" + w.verificationToken()); }};
    e["POST /login"] = {"++++++", [](World&, Who) {
                            return form({{"email", "manager@a.test"}, {"password", kPassword}});
                        }};
    e["POST /logout"] = {"++++++", [](World&, Who) {
                             Call c = form({});
                             c.freshSession = true;
                             return c;
                         }};
    e["POST /password/forgot"] = {"++++++", [](World& w, Who) {
                                      return form({{"email", w.unique("nobody") + "@x.test"}});
                                  }};
    e["GET /password/reset"] = {"++++++",
                                [](World& w, Who) { return shared({}, "", "?token=" + w.resetToken()); }};
    e["POST /password/reset"] = {
        "++++++", [](World& w, Who) {
            return form({{"token", w.resetToken()}, {"password", "a new long passphrase"}});
        }};
    // The second factor's pages: each signed-in caller's own. A member's enrolment (begun through
    // the API) is confirmed and removed; staff, enrolled by the fixture, are sent back to their
    // status page (a 303) by a second enrolment, and keep their second factor (a wrong password).
    e["POST /login/totp"] = {"UUUUUU", [](World&, Who) {
                                 return form({{"challenge", "not-a-challenge"}, {"code", "123456"}});
                             }};
    e["GET /account/security"] = {"L+++++", none};
    e["POST /account/security/totp"] = {"L+++++", [](World&, Who) { return form({}); }};
    e["POST /account/security/totp/confirm"] = {"L+++++", [](World& w, Who who) {
                                                    return form({{"code", w.beginTotp(who)}});
                                                }};
    e["POST /account/security/totp/remove"] = {
        "L+++UU", [](World& w, Who who) {
            return form({{"password", who >= kTreasurer ? "not the password" : kPassword},
                         {"code", w.laterTotpCode(who)}});
        }};
    e["GET /invitations/accept"] = {
        "++++++", [](World& w, Who) { return shared({}, "", "?token=" + w.invitationToken()); }};
    e["POST /invitations/accept"] = {"++++++", [](World& w, Who) {
                                         return form({{"token", w.invitationToken()},
                                                      {"name", "Sacha"},
                                                      {"password", kPassword},
                                                      {"accept_terms", "yes"}});
                                     }};
    // --- Pages: the association's space ------------------------------------------------------
    e["GET /space"] = {"L+++++", none};
    e["GET /associations/{id}"] = {"L++N++", get(A)};
    e["GET /associations/{id}/invoices/{invoice}"] = {
        "LF+N++", get([](World& w) {
            return std::map<std::string, std::string>{{"id", w.a()}, {"invoice", w.invoice()}};
        })};
    e["POST /associations/{id}/services"] = {
        "LF+NF+", [](World& w, Who) {
            return form({{"template", "website"}, {"name", w.unique("page")}}, {{"id", w.a()}});
        }};
    e["POST /services/{id}/suspend"] = {"LF+NF+", [](World& w, Who) {
                                            return form({}, {{"id", w.service()}});
                                        }};
    e["POST /services/{id}/resume"] = {"LF+NF+", [](World& w, Who) {
                                           return form({}, {{"id", w.service()}});
                                       }};
    // The own domain from the dashboard ("": back to the default name), as PUT .../domain.
    e["POST /services/{id}/domain"] = {"LF+NF+", [](World& w, Who) {
                                           return form({{"domain", ""}}, {{"id", w.service()}});
                                       }};
    e["GET /services/{id}/content"] = {"LF+NF+", get(service)};
    e["POST /services/{id}/content"] = {
        "LF+NF+", [](World& w, Who) {
            const std::string boundary = "----chatiere-matrix-boundary";
            Call c;
            c.params = {{"id", w.spareService()}};
            c.body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                     "{csrf}\r\n--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; "
                     "filename=\"site.tar\"\r\nContent-Type: "
                     "application/octet-stream\r\n\r\n" +
                     siteTar() + "\r\n--" + boundary + "--\r\n";
            c.contentType = "multipart/form-data; boundary=" + boundary;
            return c;
        }};
    e["GET /services/{id}/delete"] = {"LF+NF+", get(service)};
    e["POST /services/{id}/delete"] = {"LF+NF+", [](World& w, Who) {
                                           return form({}, {{"id", w.spareService()}});
                                       }};
    e["GET /services/{id}/pads"] = {"LCCNCC", get(service)};
    e["POST /services/{id}/pads"] = {"LCCNFC", [](World& w, Who) {
                                         return form({{"name", "notes"}}, {{"id", w.service()}});
                                     }};
    e["GET /services/{id}/pads/{name}/delete"] = {"LFCNFC", [](World& w, Who) {
                                                      return shared({{"id", w.service()}, {"name", "notes"}});
                                                  }};
    e["POST /services/{id}/pads/{name}/delete"] = {
        "LFCNFC", [](World& w, Who) {
            return form({}, {{"id", w.service()}, {"name", "notes"}});
        }};
    // The mail pages on a website (the matrix's service): 409 not_a_mail_service after the role
    // check, as the API; members and the treasurer see the page, managers and the admin change.
    e["GET /services/{id}/mail"] = {"LCCNCC", get(service)};
    e["POST /services/{id}/mailboxes"] = {
        "LFCNFC", [](World& w, Who) {
            return form({{"local_part", "x"}, {"quota_mib", "1"}}, {{"id", w.service()}});
        }};
    e["POST /services/{id}/mailboxes/{address}"] = {
        "LFCNFC", [](World& w, Who) {
            return form({{"name", "x"}, {"quota_mib", "2"}}, {{"id", w.service()}, {"address", "x"}});
        }};
    e["POST /services/{id}/mailboxes/{address}/password"] = {
        "LFCNFC", [](World& w, Who) {
            return form({}, {{"id", w.service()}, {"address", "x"}});
        }};
    e["GET /services/{id}/mailboxes/{address}/delete"] = {
        "LFCNFC", [](World& w, Who) {
            return shared({{"id", w.service()}, {"address", "x"}});
        }};
    e["POST /services/{id}/mailboxes/{address}/delete"] = {
        "LFCNFC", [](World& w, Who) {
            return form({}, {{"id", w.service()}, {"address", "x"}});
        }};
    e["POST /services/{id}/aliases"] = {
        "LFCNFC", [](World& w, Who) {
            return form({{"local_part", "x"}, {"destinations", "y"}}, {{"id", w.service()}});
        }};
    e["GET /services/{id}/aliases/{local_part}/delete"] = {
        "LFCNFC", [](World& w, Who) {
            return shared({{"id", w.service()}, {"local_part", "x"}});
        }};
    e["POST /services/{id}/aliases/{local_part}/delete"] = {
        "LFCNFC", [](World& w, Who) {
            return form({}, {{"id", w.service()}, {"local_part", "x"}});
        }};
    e["GET /associations/{id}/members"] = {"L++N++", get(A)};
    e["POST /associations/{id}/members"] = {
        "LF+NF+", [](World& w, Who) {
            return form({{"email", w.unique("page-invite") + "@a.test"}, {"role", "member"}},
                        {{"id", w.a()}});
        }};
    e["POST /associations/{id}/invitations/{invitation}/withdraw"] = {
        "LF+NF+", [](World& w, Who) {
            return form({}, {{"id", w.a()},
                             {"invitation", w.invite(w.a(), w.unique("page-retire") + "@a.test").first}});
        }};
    e["POST /associations/{id}/members/{user}/remove"] = {
        "LF+NF+", [](World& w, Who) {
            return form({}, {{"id", w.a()}, {"user", w.freshMember()}});
        }};
    e["GET /associations/{id}/profile"] = {"LF+NF+", get(A)};
    e["POST /associations/{id}/profile"] = {
        "LF+NF+", [](World& w, Who) {
            return form({{"legal_name", "Les Jardins partagés"}}, {{"id", w.a()}});
        }};
    e["GET /associations/{id}/subscription"] = {"LF+N++", get(A)};
    e["POST /associations/{id}/subscription"] = {
        "LF+NF+", [](World& w, Who) {
            return form({{"offer", "web:month"}}, {{"id", w.associationWithRoles(true)}});
        }};
    e["POST /associations/{id}/subscription/cancel"] = {
        "LF+NF+", [](World& w, Who) {
            return form({}, {{"id", w.subscribedAssociation().first}});
        }};
    // --- Pages: the admin console (staff only; others do not learn it exists) ----------------
    e["GET /admin"] = {"LNNNF+", none};
    // "Renew now" on the overview is the admin's; with the proxy off, a conflict.
    e["POST /admin/certificates/{name}/renew"] = {"LNNNFC", [](World&, Who) {
                                                      return form({}, {{"name", "site.example.org"}});
                                                  }};
    e["GET /admin/services"] = {"LNNN++", none};
    e["GET /admin/associations"] = {"LNNN++", none};
    e["GET /admin/signups"] = {"LNNN++", none};
    e["POST /admin/signups/{id}/approve"] = {"LNNNF+", [](World& w, Who) {
                                                 return form({}, {{"id", w.associationWithRoles(false)}});
                                             }};
    e["POST /admin/signups/{id}/reject"] = {
        "LNNNF+", [](World& w, Who) {
            return form({{"reason", "Not an association."}}, {{"id", w.associationWithRoles(false)}});
        }};
    e["GET /admin/audit"] = {"LNNNF+", none};
    e["GET /admin/invoices"] = {"LNNN++", none};
    e["POST /admin/billing/run"] = {"LNNN++", [](World&, Who) { return form({}); }};
    e["GET /admin/invoices/{id}"] = {"LNNN++", get(invoice)};
    e["POST /admin/invoices/{id}/finalize"] = {
        "LNNN++", [](World& w, Who) {
            return form({}, {{"id", w.draftOf(w.subscribedAssociation().first)}});
        }};
    e["POST /admin/invoices/{id}/payments"] = {
        "LNNN++", [](World& w, Who) {
            return form({{"amount", "0,10"}, {"method", "transfer"}}, {{"id", w.invoice()}});
        }};
    e["POST /admin/invoices/{id}/credit-notes"] = {
        "LNNN++", [](World& w, Who) {
            return form({{"amount", "0,10"}, {"reason", "A gesture."}}, {{"id", w.invoice()}});
        }};
    e["GET /admin/plans"] = {"LNNN++", none};
    e["GET /admin/plans/new"] = {"LNNN++", none};
    e["POST /admin/plans"] = {"LNNNF+", [](World& w, Who) {
                                  return form({{"slug", w.unique("page-plan-")},
                                               {"name_fr", "Formule"},
                                               {"name_en", "Plan"},
                                               {"template_website", "yes"},
                                               {"trial_days", "0"}});
                              }};
    e["GET /admin/plans/{slug}"] = {"LNNN++", get([](World&) {
                                        return std::map<std::string, std::string>{{"slug", "spare"}};
                                    })};
    e["POST /admin/plans/{slug}"] = {
        "LNNNF+", [](World&, Who) {
            return form(
                {{"slug", "spare"}, {"name_fr", "Réserve"}, {"name_en", "Spare"}, {"trial_days", "0"}},
                {{"slug", "spare"}});
        }};
    return e;
}

// The first three letters of a status class as the table writes it.
char outcomeOf(const ApiResponse& r) {
    if (r.status == 401) {
        return 'U';
    }
    if (r.status == 403) {
        return 'F';
    }
    if (r.status == 404) {
        return 'N';
    }
    if (r.status == 409) {
        return 'C';  // allowed, but the state says no
    }
    if (r.status >= 300 && r.status < 400) {
        const auto location = r.headers.find("Location");
        return location != r.headers.end() && location->second == "/login" ? 'L' : '+';
    }
    if (r.status >= 200 && r.status < 300) {
        return '+';
    }
    return '?';
}

std::string fill(std::string pattern, const std::map<std::string, std::string>& params) {
    for (const auto& [name, value] : params) {
        const std::string key = "{" + name + "}";
        for (std::size_t at; (at = pattern.find(key)) != std::string::npos;) {
            pattern.replace(at, key.size(), value);
        }
    }
    return pattern;
}

}  // namespace

TEST(RoleMatrix, EveryRouteAnswersEachRoleAsTheTableSays) {
    World w;
    const auto table = expectations();
    const auto routes = w.daemon().daemon().routes();
    ASSERT_GT(routes.size(), 100u);
    const std::string origin = w.daemon().settings().publicUrl;
    // The page's form token for a cookie: read from a page, as a browser does.
    const auto formToken = [&](const std::string& cookies, std::string& kept) {
        const auto r = ApiClient(w.port()).request("GET", "/login", "", "", {{"Cookie", cookies}});
        kept = cookies;
        for (const auto& c : r.cookies) {
            if (c.getName() != "chatiere_session" && !c.getValue().empty()) {
                kept += (kept.empty() ? "" : "; ") + c.getName() + "=" + c.getValue();
            }
        }
        std::smatch m;
        const std::string body = r.body;
        EXPECT_TRUE(std::regex_search(body, m, std::regex(R"(name="csrf_token" value="([^"]+)\")"))) << body;
        return m.empty() ? std::string() : m[1].str();
    };

    std::set<std::string> seen;
    int calls = 0;
    for (const auto& route : routes) {
        const std::string key = route.method + " " + route.pattern;
        seen.insert(key);
        const auto found = table.find(key);
        if (found == table.end()) {
            ADD_FAILURE() << key << " has no entry in the role matrix: decide who may call it";
            continue;
        }
        const Expectation& expectation = found->second;
        ASSERT_EQ(expectation.outcomes.size(), static_cast<std::size_t>(kCallers)) << key;
        const bool isPage = route.pattern.rfind("/api/", 0) != 0 && route.pattern != "/metrics" &&
                            route.pattern != "/healthz";
        std::string got;
        for (int who = 0; who < kCallers; ++who) {
            const Who caller = static_cast<Who>(who);
            Call call = expectation.prepare(w, caller);
            std::string session = w.token(caller);
            if (call.freshSession) {
                session = w.newSession(caller);
            }
            const std::string path = fill(route.pattern, call.params) + call.query;
            ASSERT_EQ(path.find('{'), std::string::npos) << key << ": a placeholder without a value";
            std::map<std::string, std::string> headers;
            ApiClient client(w.port());
            if (isPage) {
                std::string cookies = session.empty() ? "" : "chatiere_session=" + session;
                if (call.body.find("{csrf}") != std::string::npos) {
                    const std::string token = formToken(cookies, cookies);
                    for (std::size_t at; (at = call.body.find("{csrf}")) != std::string::npos;) {
                        call.body.replace(at, 6, token);
                    }
                }
                if (!cookies.empty()) {
                    headers["Cookie"] = cookies;
                }
            } else {
                client.setToken(session);
            }
            if (route.method != "GET" && route.method != "HEAD") {
                headers["Origin"] = origin;
            }
            const auto r =
                client.request(route.method, path, call.body,
                               call.body.empty() && route.method == "GET" ? "" : call.contentType, headers);
            ++calls;
            const char outcome = outcomeOf(r);
            got.push_back(outcome);
            EXPECT_EQ(outcome, expectation.outcomes[who])
                << key << " as " << kWhoNames[who] << " (" << path << "): " << r.status << " "
                << r.body.substr(0, 300);
        }
        EXPECT_EQ(got, expectation.outcomes) << key;
    }
    for (const auto& [key, expectation] : table) {
        EXPECT_TRUE(seen.count(key)) << key << " is in the role matrix but the router has no such route";
    }
    EXPECT_EQ(calls, static_cast<int>(routes.size()) * kCallers);
}
