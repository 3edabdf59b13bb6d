// The mail pages (issue 19, item 7; docs/web.md): the dashboard's mail section and a mail
// service's page, over the real HTTP server with a real SQLite file. The mail guests cannot boot
// with the test driver: the services are created through the API and marked active, as
// PadsFixture does; what reaches a guest is MailApiTest's and the system tier's.

#include "Browser.h"
#include "MailFixture.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>

using namespace chatiere::testing;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

namespace {

class MailPagesTest : public MailFixture {
protected:
    bool activeServices() const override { return true; }

    int liveMailboxes() {
        return count("SELECT COUNT(*) FROM mailboxes WHERE service_id = ? AND deleted_at IS NULL", mail_);
    }
    // The mail service's audit entries of mailboxes and aliases (jobs may add others meanwhile).
    int auditRows() {
        return count(
            "SELECT COUNT(*) FROM audit_log WHERE target_id = ? AND "
            "(action LIKE 'mailbox.%' OR action LIKE 'alias.%')",
            mail_);
    }
    // A column of the mailbox `localPart` of A's mail service, as text.
    std::string column(const std::string& name, std::string localPart) {
        auto s = d_->daemon().database().session();
        std::string value;
        s << "SELECT CAST(" + name + " AS TEXT) FROM mailboxes WHERE service_id = ? AND local_part = ?",
            use(mail_), use(localPart), into(value), now;
        return value;
    }
    std::string hashOf(const std::string& localPart) { return column("password_hash", localPart); }
    std::string quotaOf(const std::string& localPart) { return column("quota_mib", localPart); }
    void mailbox(const std::string& body) {
        const auto r = managerA_->post("/api/v1/services/" + mail_ + "/mailboxes", body);
        ASSERT_EQ(r.status, 201) << r.body;
    }

    std::string page() { return "/services/" + mail_ + "/mail"; }
    std::string mailboxes() { return "/services/" + mail_ + "/mailboxes"; }
    std::string aliases() { return "/services/" + mail_ + "/aliases"; }
};

// The password a page shows once; "" when it shows none.
std::string shownPassword(const ApiResponse& r) {
    static const std::regex kShown(R"re(<code id="new-password-value">([^<]*)</code>)re");
    std::smatch found;
    return std::regex_search(r.body, found, kShown) ? found[1].str() : std::string();
}

// The part of a page from the element with id `id` to the end of its section.
std::string part(const ApiResponse& r, const std::string& id) {
    const std::string text = pageText(r);
    const auto start = text.find("id=\"" + id + "\"");
    return start == std::string::npos ? "" : text.substr(start, text.find("</section>", start) - start);
}

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

}  // namespace

TEST_F(MailPagesTest, TheDashboardHasASectionPerMailService) {
    mailbox(R"({"local_part": "contact", "quota_mib": 100, "password": "un mot de passe éprouvé"})");
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    const auto dash = manager.get("/associations/" + a_);
    ASSERT_EQ(dash.status, 200) << dash.body;
    const std::string section = part(dash, "mail-" + mail_);
    ASSERT_FALSE(section.empty()) << dash.body;
    EXPECT_TRUE(has(section, "Messagerie « courrier »")) << section;
    EXPECT_TRUE(has(section, "<strong>asso-test.example</strong>")) << section;
    EXPECT_TRUE(has(section, "Boîtes aux lettres : 1")) << section;
    EXPECT_TRUE(has(section, "href=\"/services/" + mail_ + "/mail\"")) << section;
    // The services table links to it; the website has no mail section, B's is not on A's page.
    EXPECT_TRUE(has(pageText(dash), "aria-label=\"Messagerie courrier\"")) << dash.body;
    EXPECT_TRUE(part(dash, "mail-" + website_).empty());
    EXPECT_TRUE(part(dash, "mail-" + mailB_).empty());

    Browser member = signedInBrowser(*d_, "member@a.test");
    const auto english = member.get("/associations/" + a_ + "?lang=en");
    ASSERT_EQ(english.status, 200);
    EXPECT_TRUE(has(part(english, "mail-" + mail_), "Mailboxes: 1")) << english.body;
}

TEST_F(MailPagesTest, MembersSeeTheMailboxesAndAliasesInFrenchAndEnglish) {
    mailbox(R"({"local_part": "contact", "name": "Accueil", "quota_mib": 256})");
    ASSERT_EQ(managerA_
                  ->post("/api/v1/services/" + mail_ + "/aliases",
                         R"({"local_part": "info", "destinations": ["contact"]})")
                  .status,
              201);
    Browser member = signedInBrowser(*d_, "member@a.test");
    auto r = member.get(page());
    ASSERT_EQ(r.status, 200) << r.body;
    std::string text = pageText(r);
    EXPECT_TRUE(has(text, "<h1>Messagerie « courrier »</h1>")) << text;
    EXPECT_TRUE(has(text, "<th scope=\"row\">contact@asso-test.example</th>")) << text;
    EXPECT_TRUE(has(text, "<td>Accueil</td>")) << text;
    EXPECT_TRUE(has(text, "<td>256</td>")) << text;
    EXPECT_TRUE(has(text, "<td>—</td>")) << "usage not yet known: " << text;
    EXPECT_TRUE(has(text, "<th scope=\"row\">info@asso-test.example</th>")) << text;
    EXPECT_TRUE(has(text, "<td>contact@asso-test.example</td>")) << text;
    EXPECT_TRUE(has(text, "Configurer un logiciel de messagerie")) << text;
    EXPECT_TRUE(has(text, "<code>contact@asso-test.example</code>")) << text;
    // A member changes nothing: no form but the layout's.
    EXPECT_FALSE(has(text, "action=\"" + mailboxes())) << text;
    EXPECT_FALSE(has(text, "action=\"" + aliases())) << text;
    EXPECT_FALSE(has(text, "/delete")) << text;

    // What Dovecot counted, once the monitoring cycle has stored it.
    {
        auto s = d_->daemon().database().session();
        s << "UPDATE mailboxes SET used_bytes = 3145728, messages = 42, usage_at = '2026-12-07T09:00:00Z'",
            now;
    }
    r = member.get(page() + "?lang=en");
    ASSERT_EQ(r.status, 200);
    text = pageText(r);
    EXPECT_TRUE(has(text, "<h1>Mail « courrier »</h1>")) << text;
    EXPECT_TRUE(has(text, "<td>3.0</td>")) << text;
    EXPECT_TRUE(has(text, "<td>42</td>")) << text;
    EXPECT_TRUE(has(text, "Setting up a mail client")) << text;
    EXPECT_TRUE(has(text, "Delivered to")) << text;
    EXPECT_TRUE(has(pageText(member.get(page() + "?lang=fr")), "<td>3,0</td>"));
}

TEST_F(MailPagesTest, TheDashboardCreatesAMailServiceWithItsDomain) {
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    const std::string path = "/associations/" + a_ + "/services";
    auto r = manager.get("/associations/" + a_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(has(r.body, "name=\"mail_domain\"")) << r.body;
    // Without its domain: refused by the field, what was typed kept, nothing created.
    r = manager.post(path, {{"template", "mail"}, {"name", "courriel"}, {"mail_domain", ""}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(has(r.body, "id=\"mail-domain-error\"")) << r.body;
    EXPECT_TRUE(has(r.body, "value=\"courriel\""));
    // Another association's domain: 409 by the field.
    r = manager.post(path, {{"template", "mail"}, {"name", "courriel"}, {"mail_domain", "chorale.example"}});
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_TRUE(has(r.body, "id=\"mail-domain-error\"")) << r.body;
    EXPECT_TRUE(has(r.body, "value=\"chorale.example\""));
    const auto before =
        managerA_->get("/api/v1/associations/" + a_ + "/services").json()->getArray("services")->size();
    r = manager.post(path,
                     {{"template", "mail"}, {"name", "courriel"}, {"mail_domain", "autre-asso.example"}});
    ASSERT_EQ(r.status, 303) << r.body;
    const auto services =
        managerA_->get("/api/v1/associations/" + a_ + "/services").json()->getArray("services");
    EXPECT_EQ(services->size(), before + 1);
}

TEST_F(MailPagesTest, ManagersCreateMailboxesAndAMadePasswordIsShownOnce) {
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    auto r = manager.get(page());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(has(r.body, "action=\"" + mailboxes() + "\"")) << r.body;
    EXPECT_TRUE(has(pageText(r), "> @asso-test.example</span>")) << "the domain after the local part";

    // With a password: back to the page, which does not show it.
    r = manager.post(mailboxes(), {{"local_part", "Contact"},
                                   {"name", "Accueil"},
                                   {"quota_mib", "200"},
                                   {"password", "un mot de passe éprouvé"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], page() + "?done=mailbox_created");
    r = manager.get(page() + "?done=mailbox_created");
    EXPECT_TRUE(has(pageText(r), "La boîte aux lettres est créée.")) << r.body;
    EXPECT_TRUE(has(pageText(r), "contact@asso-test.example"));
    EXPECT_TRUE(shownPassword(r).empty());
    EXPECT_FALSE(has(r.body, "éprouvé")) << "never echoed";

    // Without: the password made for it, in this answer only.
    r = manager.post(mailboxes(), {{"local_part", "bureau"}, {"quota_mib", "100"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string made = shownPassword(r);
    EXPECT_EQ(made.size(), 16u) << r.body;
    EXPECT_TRUE(has(pageText(r), "il ne sera plus jamais affiché")) << r.body;
    EXPECT_TRUE(has(pageText(r), "Mot de passe de bureau@asso-test.example")) << r.body;
    EXPECT_EQ(r.headers.count("Location"), 0u);
    EXPECT_EQ(r.headers["Cache-Control"], "no-store");
    EXPECT_EQ(liveMailboxes(), 2);
    EXPECT_EQ(hashOf("bureau").rfind("{SHA512-CRYPT}$6$", 0), 0u);
    // A reload of the page does not show it again.
    r = manager.get(page());
    EXPECT_FALSE(has(r.body, made)) << r.body;
    EXPECT_TRUE(shownPassword(r).empty());
}

TEST_F(MailPagesTest, ManagersChangeAQuotaAndResetAPasswordShownOnce) {
    mailbox(
        R"({"local_part": "contact", "name": "Accueil", "quota_mib": 100, "password": "un mot de passe éprouvé"})");
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    auto r = manager.get(page());
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(has(r.body, "action=\"" + mailboxes() + "/contact\"")) << r.body;
    r = manager.post(mailboxes() + "/contact", {{"name", "Secrétariat"}, {"quota_mib", "300"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], page() + "?done=mailbox_changed");
    EXPECT_EQ(quotaOf("contact"), "300");
    r = manager.get(page());
    EXPECT_TRUE(has(pageText(r), "<td>Secrétariat</td>")) << r.body;

    const std::string before = hashOf("contact");
    r = manager.post(mailboxes() + "/contact/password", {});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string made = shownPassword(r);
    EXPECT_EQ(made.size(), 16u) << r.body;
    EXPECT_TRUE(has(pageText(r), "Un nouveau mot de passe remplace l’ancien.")) << r.body;
    EXPECT_NE(hashOf("contact"), before);
    r = manager.get(page());
    EXPECT_FALSE(has(r.body, made));
    EXPECT_TRUE(shownPassword(r).empty());
    // In English too.
    r = manager.post(mailboxes() + "/contact/password?lang=en", {});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(has(pageText(r), "it will never be shown again")) << r.body;
}

TEST_F(MailPagesTest, DeletingAsksForAConfirmation) {
    mailbox(R"({"local_part": "contact", "quota_mib": 100, "password": "un mot de passe éprouvé"})");
    mailbox(R"({"local_part": "bureau", "quota_mib": 100, "password": "un mot de passe éprouvé"})");
    ASSERT_EQ(managerA_
                  ->post("/api/v1/services/" + mail_ + "/aliases",
                         R"({"local_part": "info", "destinations": ["contact", "bureau"]})")
                  .status,
              201);
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    auto r = manager.get(page());
    EXPECT_TRUE(has(r.body, "href=\"" + mailboxes() + "/contact/delete\"")) << r.body;
    EXPECT_TRUE(has(r.body, "href=\"" + aliases() + "/info/delete\"")) << r.body;

    auto confirm = manager.get(mailboxes() + "/contact/delete");
    ASSERT_EQ(confirm.status, 200) << confirm.body;
    EXPECT_TRUE(has(pageText(confirm), "Supprimer la boîte « contact@asso-test.example »")) << confirm.body;
    EXPECT_TRUE(has(confirm.body, "action=\"" + mailboxes() + "/contact/delete\"")) << confirm.body;
    EXPECT_TRUE(has(confirm.body, "href=\"" + page() + "\"")) << "cancel";
    EXPECT_EQ(liveMailboxes(), 2) << "the confirmation changes nothing";
    EXPECT_EQ(manager.get(mailboxes() + "/personne/delete").status, 404);

    // An alias still delivers to it: refused, said on the page, nothing changed.
    r = manager.post(mailboxes() + "/contact/delete", {});
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_TRUE(has(part(r, "mail-alert"), "Un alias remet encore le courrier à cette boîte")) << r.body;
    EXPECT_EQ(liveMailboxes(), 2);

    confirm = manager.get(aliases() + "/info/delete");
    ASSERT_EQ(confirm.status, 200) << confirm.body;
    EXPECT_TRUE(has(pageText(confirm), "Supprimer l’alias « info@asso-test.example »")) << confirm.body;
    r = manager.post(aliases() + "/info/delete", {});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], page() + "?done=alias_deleted");
    EXPECT_EQ(aliasRows(), 0);

    r = manager.post(mailboxes() + "/contact/delete", {});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], page() + "?done=mailbox_deleted");
    EXPECT_EQ(liveMailboxes(), 1);
    r = manager.get(page() + "?done=mailbox_deleted");
    EXPECT_TRUE(has(pageText(r), "La boîte aux lettres est supprimée.")) << r.body;
    EXPECT_FALSE(has(r.body, "contact@asso-test.example</th>")) << r.body;
}

TEST_F(MailPagesTest, ManagersCreateAliases) {
    mailbox(R"({"local_part": "contact", "quota_mib": 100, "password": "un mot de passe éprouvé"})");
    mailbox(R"({"local_part": "bureau", "quota_mib": 100, "password": "un mot de passe éprouvé"})");
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    ASSERT_EQ(manager.get(page()).status, 200);
    auto r = manager.post(aliases(),
                          {{"local_part", "info"}, {"destinations", "contact\nbureau@asso-test.example"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], page() + "?done=alias_created");
    r = manager.post(aliases(), {{"local_part", "tous"}, {"destinations", " info , contact ,"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(aliasRows(), 2);
    r = manager.get(page() + "?done=alias_created");
    const std::string text = pageText(r);
    EXPECT_TRUE(has(text, "L’alias est créé.")) << text;
    EXPECT_TRUE(has(text, "<td>contact@asso-test.example, bureau@asso-test.example</td>")) << text;
    EXPECT_TRUE(has(text, "<td>info@asso-test.example, contact@asso-test.example</td>")) << text;
}

TEST_F(MailPagesTest, RefusalsAreShownByTheirFieldWithNothingChanged) {
    mailbox(R"({"local_part": "contact", "quota_mib": 900, "password": "un mot de passe éprouvé"})");
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    ASSERT_EQ(manager.get(page()).status, 200);
    const int boxes = liveMailboxes(), audit = auditRows();
    const std::string hash = hashOf("contact");

    // The create form: each refusal by its field, what was typed kept (never the password).
    struct Case {
        std::vector<std::pair<std::string, std::string>> fields;
        int status;
        std::string errorId;
        std::string message;
        std::string kept;
    };
    const std::vector<Case> cases = {
        {{{"local_part", "a b"}, {"quota_mib", "10"}},
         400,
         "mailbox-local-part-error",
         "sans « @ » ni espace",
         "value=\"a b\""},
        {{{"local_part", "x@y"}, {"quota_mib", "10"}},
         400,
         "mailbox-local-part-error",
         "1 à 64",
         "value=\"x@y\""},
        {{{"local_part", "a..b"}, {"quota_mib", "10"}},
         400,
         "mailbox-local-part-error",
         "1 à 64",
         "value=\"a..b\""},
        {{{"local_part", std::string(65, 'a')}, {"quota_mib", "10"}},
         400,
         "mailbox-local-part-error",
         "1 à 64",
         std::string(65, 'a')},
        {{{"local_part", "Contact"}, {"quota_mib", "10"}},
         409,
         "mailbox-local-part-error",
         "déjà une boîte ou un alias",
         "value=\"Contact\""},
        {{{"local_part", "gros"}, {"name", "Grosse boîte"}, {"quota_mib", "200"}},
         409,
         "mailbox-quota-error",
         "Votre formule ne laisse pas assez de place",
         "value=\"Grosse boîte\""},
        {{{"local_part", "nul"}, {"quota_mib", "beaucoup"}},
         400,
         "mailbox-quota-error",
         "Un nombre entier de Mio",
         "value=\"beaucoup\""},
        {{{"local_part", "vide"}}, 400, "mailbox-quota-error", "Ce champ est obligatoire.", "value=\"vide\""},
        {{{"local_part", "faible"}, {"quota_mib", "10"}, {"password", "court"}},
         400,
         "mailbox-password-error",
         "au moins 10 caractères",
         "value=\"faible\""},
    };
    for (const auto& c : cases) {
        const auto r = manager.post(mailboxes(), c.fields);
        EXPECT_EQ(r.status, c.status) << c.errorId << " " << r.body;
        const std::string text = pageText(r);
        EXPECT_TRUE(has(text, "id=\"" + c.errorId + "\"")) << c.errorId << " " << text;
        EXPECT_TRUE(has(text, c.message)) << c.message << " " << text;
        EXPECT_TRUE(has(text, c.kept)) << c.kept << " " << text;
        EXPECT_TRUE(has(text, "aria-invalid=\"true\"")) << text;
        EXPECT_FALSE(has(text, "value=\"court\"")) << "a password is never shown again";
    }

    // A mailbox's own form: a quota over the plan, in its row, what was typed kept.
    auto r = manager.post(mailboxes() + "/contact", {{"name", "Nouveau nom"}, {"quota_mib", "2000"}});
    EXPECT_EQ(r.status, 409) << r.body;
    std::string row = part(r, "manage-contact");
    EXPECT_TRUE(has(row, "id=\"quota-contact-error\"")) << row;
    EXPECT_TRUE(has(row, "value=\"2000\"")) << row;
    EXPECT_TRUE(has(row, "value=\"Nouveau nom\"")) << row;
    r = manager.post(mailboxes() + "/contact", {{"name", "x"}, {"quota_mib", "0"}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(has(part(r, "manage-contact"), "Un nombre entier de Mio")) << r.body;
    EXPECT_EQ(manager.post(mailboxes() + "/personne", {{"name", "x"}, {"quota_mib", "10"}}).status, 404);

    // The alias form.
    const std::vector<Case> aliasCases = {
        {{{"local_part", "boucle"}, {"destinations", "boucle"}},
         400,
         "alias-destinations-error",
         "se renverrait le courrier à lui-même",
         ">boucle</textarea>"},
        {{{"local_part", "dehors"}, {"destinations", "quelquun@ailleurs.example"}},
         409,
         "alias-destinations-error",
         "ne permet pas de renvoyer le courrier vers un autre domaine",
         ">quelquun@ailleurs.example</textarea>"},
        {{{"local_part", "perdu"}, {"destinations", "personne"}},
         400,
         "alias-destinations-error",
         "ni une boîte ni un alias",
         ">personne</textarea>"},
        {{{"local_part", "contact"}, {"destinations", "autre"}},
         409,
         "alias-local-part-error",
         "déjà une boîte ou un alias",
         "value=\"contact\""},
        {{{"local_part", "info"}, {"destinations", ""}},
         400,
         "alias-destinations-error",
         "Ce champ est obligatoire.",
         "value=\"info\""},
    };
    for (const auto& c : aliasCases) {
        r = manager.post(aliases(), c.fields);
        EXPECT_EQ(r.status, c.status) << c.errorId << " " << r.body;
        const std::string text = pageText(r);
        EXPECT_TRUE(has(text, "id=\"" + c.errorId + "\"")) << c.errorId << " " << text;
        EXPECT_TRUE(has(text, c.message)) << c.message << " " << text;
        EXPECT_TRUE(has(text, c.kept)) << c.kept << " " << text;
    }
    // In English.
    r = manager.post(aliases() + "?lang=en", {{"local_part", "boucle"}, {"destinations", "boucle"}});
    EXPECT_TRUE(has(pageText(r), "This alias would send the mail back to itself.")) << r.body;

    EXPECT_EQ(liveMailboxes(), boxes);
    EXPECT_EQ(aliasRows(), 0);
    EXPECT_EQ(quotaOf("contact"), "900");
    EXPECT_EQ(hashOf("contact"), hash);
    EXPECT_EQ(auditRows(), audit);
}

TEST_F(MailPagesTest, MembersMayNotChangeStrangersSeeNothingAndAWebsiteHasNoMail) {
    mailbox(R"({"local_part": "contact", "quota_mib": 100, "password": "un mot de passe éprouvé"})");
    ASSERT_EQ(managerA_
                  ->post("/api/v1/services/" + mail_ + "/aliases",
                         R"({"local_part": "info", "destinations": ["contact"]})")
                  .status,
              201);
    const std::string hash = hashOf("contact");
    const int audit = auditRows();

    Browser member = signedInBrowser(*d_, "member@a.test");
    ASSERT_EQ(member.get(page()).status, 200);
    EXPECT_EQ(member.post(mailboxes(), {{"local_part", "moi"}, {"quota_mib", "10"}}).status, 403);
    EXPECT_EQ(member.post(mailboxes() + "/contact", {{"name", "x"}, {"quota_mib", "10"}}).status, 403);
    EXPECT_EQ(member.post(mailboxes() + "/contact/password", {}).status, 403);
    EXPECT_EQ(member.get(mailboxes() + "/contact/delete").status, 403);
    EXPECT_EQ(member.post(mailboxes() + "/contact/delete", {}).status, 403);
    EXPECT_EQ(member.post(aliases(), {{"local_part", "moi"}, {"destinations", "contact"}}).status, 403);
    EXPECT_EQ(member.get(aliases() + "/info/delete").status, 403);
    EXPECT_EQ(member.post(aliases() + "/info/delete", {}).status, 403);

    Browser stranger = signedInBrowser(*d_, "manager@b.test");
    EXPECT_EQ(stranger.get(page()).status, 404);
    EXPECT_EQ(stranger.post(mailboxes(), {{"local_part", "moi"}, {"quota_mib", "10"}}).status, 404);
    EXPECT_EQ(stranger.post(mailboxes() + "/contact/password", {}).status, 404);
    EXPECT_EQ(stranger.get(mailboxes() + "/contact/delete").status, 404);
    EXPECT_EQ(stranger.post(aliases() + "/info/delete", {}).status, 404);
    // B's own mail page is B's.
    EXPECT_EQ(stranger.get("/services/" + mailB_ + "/mail").status, 200);

    Browser manager = signedInBrowser(*d_, "manager@a.test");
    const auto site = manager.get("/services/" + website_ + "/mail");
    EXPECT_EQ(site.status, 409) << site.body;
    EXPECT_TRUE(has(site.body, "<h1>")) << "an HTML error page: " << site.body;
    EXPECT_EQ(manager.post("/services/" + website_ + "/mailboxes", {{"local_part", "x"}, {"quota_mib", "10"}})
                  .status,
              409);
    EXPECT_EQ(manager.post("/services/" + website_ + "/aliases", {{"local_part", "x"}, {"destinations", "y"}})
                  .status,
              409);

    EXPECT_EQ(liveMailboxes(), 1);
    EXPECT_EQ(aliasRows(), 1);
    EXPECT_EQ(hashOf("contact"), hash);
    EXPECT_EQ(auditRows(), audit);
}
