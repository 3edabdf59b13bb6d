// The association's space on the real server with libvirt's test driver: the dashboard shows the
// services, usage against the plan and a 30-day chart of the disk used, the subscription and the invoices
// with their PDF; a manager creates a service (field errors by the field), suspends, resumes and deletes it
// after a confirmation; another association's manager gets 404 on every page of it; forms need their token.

#include "Browser.h"
#include "Eventually.h"
#include "TestDaemon.h"
#include "chatiere/manager/Time.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000}],
    "quotas": {"services": {"included": 1, "limit": 1}, "disk_gib": {"included": 1, "limit": 5},
               "memory_mib": {"included": 512, "limit": 1024}, "vcpus": {"included": 2, "limit": 2}}})";

// A site: index.html in a plain tar archive.
std::string siteTar() {
    return chatiere::provisioning::makeTar({{"index.html", "<h1>Jardin</h1>"}});
}

class SpacePages : public ::testing::Test {
protected:
    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
        a_ = d_.approvedAssociation(*admin_, "Jardin partagé", "camille@jardin.test", "asso-web");
        b_ = d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "asso-web");
    }

    Browser signedIn(const std::string& email) {
        return signedInBrowser(d_.daemon().port(), email, "correct horse battery", d_.nextTotpCode(email));
    }

    // Services come with a subscription.
    void subscribe(const std::string& association) {
        ASSERT_EQ(admin_
                      ->post("/api/v1/associations/" + association + "/subscriptions",
                             R"({"plan": "asso-web", "interval": "month"})")
                      .status,
                  201);
    }

    int64_t services() {
        auto s = d_.daemon().database().session();
        int64_t n = 0;
        s << "SELECT COUNT(*) FROM services WHERE state != 'deleted'", into(n), now;
        return n;
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
    std::string a_, b_;
};

TEST_F(SpacePages, AManagerSeesTheDashboardAndManagesServices) {
    subscribe(a_);
    Browser camille = signedIn("camille@jardin.test");
    auto r = camille.get("/space");
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.headers["Location"], "/associations/" + a_);
    r = camille.get("/associations/" + a_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("<h1>Jardin partagé</h1>"), std::string::npos);
    EXPECT_NE(r.body.find("Aucun service pour l’instant."), std::string::npos);
    EXPECT_NE(r.body.find("<meter aria-labelledby=\"usage-memory_mib\" min=\"0\" max=\"1024\" value=\"0\""),
              std::string::npos)
        << r.body;

    // A bad name is refused by its field, nothing created; then a good one.
    r = camille.post("/associations/" + a_ + "/services", {{"template", "website"}, {"name", "Mon Site!"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"name-error\">Erreur : 1 à 40 caractères"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("value=\"Mon Site!\""), std::string::npos);
    EXPECT_EQ(services(), 0);
    r = camille.post("/associations/" + a_ + "/services", {{"template", "website"}, {"name", "site"}}, false);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(services(), 0);
    r = camille.post("/associations/" + a_ + "/services", {{"template", "website"}, {"name", "site"}});
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.headers["Location"], "/associations/" + a_ + "?done=created");
    EXPECT_EQ(services(), 1);
    // The plan allows one: the second is refused with the reason.
    r = camille.post("/associations/" + a_ + "/services", {{"template", "website"}, {"name", "autre"}});
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(r.body.find("Votre formule ne permet pas un service de plus."), std::string::npos);

    // libvirt's test driver cannot boot a guest: its creation fails, then, as if it had booted,
    // the service shows as active with its address.
    ASSERT_TRUE(eventually(
        [&] { return camille.get("/associations/" + a_).body.find(">en échec<") != std::string::npos; },
        std::chrono::seconds(30)));
    {
        auto s = d_.daemon().database().session();
        s << "UPDATE services SET state = 'active', last_error = NULL, endpoint = 'http://127.0.0.1:21000/'",
            now;
    }
    r = camille.get("/associations/" + a_ + "?done=created");
    EXPECT_NE(r.body.find("Le service est en cours de création"), std::string::npos);
    EXPECT_NE(r.body.find(">actif<"), std::string::npos);
    EXPECT_NE(r.body.find("href=\"http:&#x2F;&#x2F;127.0.0.1:21000&#x2F;\">Ouvrir"), std::string::npos)
        << r.body;
    const std::smatch id = [&] {
        std::smatch m;
        std::regex_search(r.body, m, std::regex("/services/([a-z0-9_]+)/suspend"));
        return m;
    }();
    ASSERT_FALSE(id.empty()) << r.body;
    const std::string service = id[1];

    // Publish the site: the page, then an archive (bad ones refused by their message).
    r = camille.get("/services/" + service + "/content");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("enctype=\"multipart/form-data\""), std::string::npos);
    const auto jobs = [&] {
        auto s = d_.daemon().database().session();
        int64_t n = 0;
        s << "SELECT COUNT(*) FROM jobs WHERE kind = 'replace_content'", into(n), now;
        return n;
    };
    EXPECT_EQ(
        camille.postFile("/services/" + service + "/content", "file", "site.tar", siteTar(), false).status,
        403);
    r = camille.postFile("/services/" + service + "/content", "file", "site.txt", "pas une archive");
    EXPECT_EQ(r.status, 415);
    EXPECT_NE(r.body.find("Envoyez une archive .zip, .tar.gz ou .tar."), std::string::npos) << r.body;
    r = camille.postFile("/services/" + service + "/content", "file", "site.tar", "");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(jobs(), 0);
    r = camille.postFile("/services/" + service + "/content", "file", "site.tar", siteTar());
    EXPECT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], "/associations/" + a_ + "?done=uploaded");
    EXPECT_EQ(jobs(), 1);

    // Its job runs (and fails on the test driver, which has no guest to restart): as if it had
    // worked, the service is active again.
    ASSERT_TRUE(eventually(
        [&] {
            auto s = d_.daemon().database().session();
            int64_t n = 0;
            s << "SELECT COUNT(*) FROM jobs WHERE status = 'pending'", into(n), now;
            return n == 0;
        },
        std::chrono::seconds(30)));
    {
        auto s = d_.daemon().database().session();
        s << "UPDATE services SET state = 'active', last_error = NULL", now;
    }

    // Suspend, resume, then delete after the confirmation that says what is lost.
    r = camille.post("/services/" + service + "/suspend", {});
    EXPECT_EQ(r.status, 303);
    r = camille.get("/associations/" + a_);
    EXPECT_NE(r.body.find("suspendu (par l’association)"), std::string::npos) << r.body;
    EXPECT_EQ(camille.post("/services/" + service + "/resume", {}).status, 303);
    r = camille.get("/services/" + service + "/delete");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("ne pourront pas être récupérés"), std::string::npos);
    EXPECT_EQ(camille.post("/services/" + service + "/delete", {}, false).status, 403);
    EXPECT_EQ(camille.post("/services/" + service + "/delete", {}).status, 303);
    EXPECT_TRUE(eventually([&] { return services() == 0; }, std::chrono::seconds(30)));
}

TEST_F(SpacePages, InvoicesAreListedWithTheirPdf) {
    ASSERT_EQ(admin_
                  ->post("/api/v1/associations/" + a_ + "/subscriptions",
                         R"({"plan": "asso-web", "interval": "month"})")
                  .status,
              201);
    Browser camille = signedIn("camille@jardin.test");
    auto r = camille.get("/associations/" + a_);
    EXPECT_NE(r.body.find("Site web — 10,00\u202f€ par mois"), std::string::npos) << r.body;
    std::smatch m;
    ASSERT_TRUE(
        std::regex_search(r.body, m,
                          std::regex("href=\"(&#x2F;api&#x2F;v1&#x2F;invoices&#x2F;|/api/v1/invoices/)"
                                     "([a-z0-9_]+)(&#x2F;|/)pdf")))
        << r.body;
    EXPECT_NE(r.body.find("à payer"), std::string::npos);
    // The link works with the page's session cookie.
    r = camille.get("/api/v1/invoices/" + m[2].str() + "/pdf");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.substr(0, 5), "%PDF-");
    // Saved under its number.
    EXPECT_TRUE(std::regex_match(r.headers["Content-Disposition"],
                                 std::regex(R"(attachment; filename="F-\d{4}-\d{6}\.pdf")")))
        << r.headers["Content-Disposition"];
}

TEST_F(SpacePages, AnotherAssociationsPagesAreNotFound) {
    subscribe(a_);
    const auto created = admin_->post("/api/v1/associations/" + a_ + "/services",
                                      R"({"template": "website", "name": "site"})");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string service = created.json()->getValue<std::string>("id");
    Browser dominique = signedIn("dominique@chorale.test");
    EXPECT_EQ(dominique.get("/associations/" + b_).status, 200);
    auto r = dominique.get("/associations/" + a_);
    EXPECT_EQ(r.status, 404);
    EXPECT_NE(r.body.find("Cette page n’existe pas."), std::string::npos);
    EXPECT_EQ(r.body.find("Jardin"), std::string::npos);
    EXPECT_EQ(dominique.get("/services/" + service + "/delete").status, 404);
    EXPECT_EQ(dominique.post("/services/" + service + "/suspend", {}).status, 404);
    EXPECT_EQ(dominique.post("/services/" + service + "/delete", {}).status, 404);
    EXPECT_EQ(
        dominique.post("/associations/" + a_ + "/services", {{"template", "website"}, {"name", "x"}}).status,
        404);
    EXPECT_EQ(services(), 1);
    // Nobody signed in: to the login page.
    Browser anonymous(d_.daemon().port());
    r = anonymous.get("/associations/" + a_);
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.headers["Location"], "/login");
}

}  // namespace

namespace {

TEST_F(SpacePages, ManagersAddChangeAndRemoveMembersButKeepOneManager) {
    Browser camille = signedIn("camille@jardin.test");
    auto r = camille.get("/associations/" + a_ + "/members");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("camille@jardin.test"), std::string::npos);
    EXPECT_NE(r.body.find("gestionnaire"), std::string::npos);

    // An address that is not an e-mail address, then the last manager: refused with the reason.
    // (An address without an account gets an invitation: InvitationTest.)
    r = camille.post("/associations/" + a_ + "/members",
                     {{"email", "personne-nulle-part"}, {"role", "member"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("id=\"email-error\">Erreur : "), std::string::npos) << r.body;
    const std::string camilleId = [&] {
        std::smatch m;
        std::regex_search(r.body, m, std::regex("/members/([a-z0-9_]+)/remove"));
        return m[1].str();
    }();
    ASSERT_FALSE(camilleId.empty());
    r = camille.post("/associations/" + a_ + "/members/" + camilleId + "/remove", {});
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(r.body.find("Une association garde au moins un·e gestionnaire."), std::string::npos);

    // Dominique (who has an account, with the Chorale) joins as a member, then is removed.
    r = camille.post("/associations/" + a_ + "/members",
                     {{"email", "dominique@chorale.test"}, {"role", "member"}});
    EXPECT_EQ(r.status, 303);
    r = camille.get("/associations/" + a_ + "/members?done=added");
    EXPECT_NE(r.body.find("dominique@chorale.test"), std::string::npos);
    // A member sees the list, without the forms.
    Browser dominique = signedIn("dominique@chorale.test");
    r = dominique.get("/associations/" + a_ + "/members");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("/remove"), std::string::npos);
    EXPECT_EQ(dominique.post("/associations/" + a_ + "/members", {{"email", "x@y.test"}, {"role", "manager"}})
                  .status,
              403);
    r = camille.get("/associations/" + a_ + "/members");
    const std::string body = r.body;
    const std::regex remove("/members/([a-z0-9_]+)/remove");
    std::vector<std::string> ids;
    for (std::sregex_iterator it(body.begin(), body.end(), remove), end; it != end; ++it) {
        ids.push_back((*it)[1].str());
    }
    ASSERT_EQ(ids.size(), 2u);
    const std::string dominiqueId = ids[0] == camilleId ? ids[1] : ids[0];
    EXPECT_EQ(camille.post("/associations/" + a_ + "/members/" + dominiqueId + "/remove", {}).status, 303);
    EXPECT_EQ(camille.get("/associations/" + a_ + "/members").body.find("dominique@chorale.test"),
              std::string::npos);
    // Another association's manager: 404.
    EXPECT_EQ(dominique.get("/associations/" + a_ + "/members").status, 404);
}

}  // namespace

namespace {

// The disk used each day over 30 days: a bar per day with data, a gap without, the same numbers in
// a table; only the association's own.
TEST_F(SpacePages, TheDashboardChartsTheDiskUsedOver30Days) {
    d_.clock().set(parseTime("2026-12-15T10:00:00Z").value());
    const auto stored = [&](const std::string& association, const std::string& day,
                            const std::optional<int64_t>& bytes) {
        auto s = d_.daemon().database().session();
        const Poco::Nullable<Poco::Int64> value =
            bytes ? Poco::Nullable<Poco::Int64>(*bytes) : Poco::Nullable<Poco::Int64>();
        s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, stored_bytes_avg, "
             "stored_bytes_max) VALUES (?, ?, 1440, 0, ?, ?)",
            bind(association), bind(day), bind(value), bind(value), now;
    };
    constexpr int64_t kGib = int64_t{1} << 30;
    stored(a_, "2026-12-15", kGib * 3 / 2);
    stored(a_, "2026-12-13", kGib * 2);
    stored(a_, "2026-12-10", std::nullopt);  // measured nothing: a gap
    stored(a_, "2026-11-16", kGib / 4);
    stored(a_, "2026-11-15", kGib * 9);  // before the 30 days
    stored(b_, "2026-12-14", kGib * 7);  // another association's

    const auto decoded = [](const std::string& html) {
        return std::regex_replace(html, std::regex("&#x2F;"), "/");
    };
    Browser camille = signedIn("camille@jardin.test");
    auto r = camille.get("/associations/" + a_);
    ASSERT_EQ(r.status, 200) << r.body;
    std::string page = decoded(r.body);
    const std::string summary =
        "Espace disque sur 30 jours (16/11/2026 – 15/12/2026) : au plus 2 Gio (13/12/2026), dernière mesure "
        "1,5 Gio (15/12/2026), 27 jour(s) sans données.";
    EXPECT_NE(page.find("<svg class=\"usage-chart\" role=\"img\" aria-label=\"" + summary + "\""),
              std::string::npos)
        << page;
    EXPECT_NE(page.find("<title>" + summary + "</title>"), std::string::npos);
    // A bar for each of the 3 days with data, to the scale of 2 GiB over 120 units; nothing else.
    const std::regex bar(
        R"re(<rect class="bar" x="([0-9.]+)" y="([0-9.]+)" width="8" height="([0-9.]+)"/>)re");
    std::vector<std::string> bars;
    for (std::sregex_iterator it(page.begin(), page.end(), bar), end; it != end; ++it) {
        bars.push_back((*it)[1].str() + "," + (*it)[2].str() + "," + (*it)[3].str());
    }
    EXPECT_EQ(bars, (std::vector<std::string>{"45,115,15", "315,10,120", "335,40,90"})) << page;
    EXPECT_NE(page.find("text-anchor=\"end\">2</text>"), std::string::npos);
    // The same numbers in a table, a gap said in words.
    EXPECT_NE(page.find("<tr><th scope=\"row\">15/12/2026</th><td>1,5 Gio</td></tr>"), std::string::npos);
    EXPECT_NE(page.find("<tr><th scope=\"row\">13/12/2026</th><td>2 Gio</td></tr>"), std::string::npos);
    EXPECT_NE(page.find("<tr><th scope=\"row\">16/11/2026</th><td>0,25 Gio</td></tr>"), std::string::npos);
    for (const std::string gap : {"14/12/2026", "12/12/2026", "10/12/2026"}) {
        EXPECT_NE(
            page.find("<tr class=\"gap\"><th scope=\"row\">" + gap + "</th><td>pas de données</td></tr>"),
            std::string::npos)
            << gap;
    }
    EXPECT_EQ(page.find("15/11/2026"), std::string::npos);
    EXPECT_EQ(page.find("7 Gio"), std::string::npos);
    EXPECT_EQ(page.find("9 Gio"), std::string::npos);
    EXPECT_EQ(page.find("style=\""), std::string::npos);
    EXPECT_EQ(page.find("<style"), std::string::npos);
    EXPECT_EQ(page.find("<script"), std::string::npos);

    r = camille.get("/associations/" + a_ + "?lang=en");
    page = decoded(r.body);
    EXPECT_NE(
        page.find("aria-label=\"Disk space over 30 days (16 November 2026 – 15 December 2026): at most 2 "
                  "GiB (13 December 2026), latest 1.5 GiB (15 December 2026), 27 day(s) without data.\""),
        std::string::npos)
        << page;
    EXPECT_NE(page.find("<td>1.5 GiB</td>"), std::string::npos);
    EXPECT_NE(page.find("<td>no data</td>"), std::string::npos);

    // The other association sees only its own day.
    Browser dominique = signedIn("dominique@chorale.test");
    page = decoded(dominique.get("/associations/" + b_).body);
    EXPECT_NE(page.find("<tr><th scope=\"row\">14/12/2026</th><td>7 Gio</td></tr>"), std::string::npos)
        << page;
    EXPECT_NE(page.find("au plus 7 Gio (14/12/2026), dernière mesure 7 Gio (14/12/2026), 29 jour(s)"),
              std::string::npos);
    EXPECT_EQ(page.find("1,5 Gio"), std::string::npos);
    EXPECT_EQ(page.find("0,25 Gio"), std::string::npos);

    // Nothing measured yet: the chart says so, every day a gap.
    {
        auto s = d_.daemon().database().session();
        s << "DELETE FROM association_usage_daily WHERE association_id = ?", bind(a_), now;
    }
    page = decoded(camille.get("/associations/" + a_ + "?lang=fr").body);
    EXPECT_NE(page.find("(16/11/2026 – 15/12/2026) : rien de mesuré pour l’instant."), std::string::npos)
        << page;
    EXPECT_EQ(page.find("<rect class=\"bar\""), std::string::npos);
}

}  // namespace
