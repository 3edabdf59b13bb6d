// The public pages on the real HTTP server, as a browser without JavaScript uses them: French by
// default and English on request, the plans with their prices, security headers, no outside
// resource, the CSRF token on every form (403 without it, nothing written), sign-up with each
// message next to its field and what was typed kept, login and logout.

#include "Browser.h"
#include "TestDaemon.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <regex>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPlan = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 123456},
               {"interval": "year", "kind": "association", "amount_cents": 3500, "membership_cents": 1500}],
    "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}},
    "overage": {"disk_gib": {"unit_cents": 50}}})";

const std::string kNarrowNbsp = "\u202f";

class WebPages : public ::testing::Test {
protected:
    void SetUp() override {
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kPlan).status, 201);
    }

    int64_t associations() {
        auto s = d_.daemon().database().session();
        int64_t n = 0;
        s << "SELECT COUNT(*) FROM associations", into(n), now;
        return n;
    }

    Browser browser() { return Browser(d_.daemon().port()); }

    std::vector<std::pair<std::string, std::string>> goodSignup() {
        return {{"association_name", "Les Jardins <partagés>"},
                {"association_kind", "association"},
                {"association_email", "contact@jardins.test"},
                {"association_rna", "W351234567"},
                {"association_address_line1", "3 place du Marché"},
                {"association_address_postal_code", "35000"},
                {"association_address_city", "Rennes"},
                {"manager_name", "Camille"},
                {"manager_email", "camille@jardins.test"},
                {"manager_password", "correct horse battery"},
                {"plan", "asso-web"},
                {"accept_terms", "yes"}};
    }

    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_;
};

TEST_F(WebPages, TheHomePageShowsThePlansInFrenchThenEnglish) {
    Browser b = browser();
    auto r = b.get("/");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["Content-Type"], "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("<html lang=\"fr\">"), std::string::npos);
    EXPECT_NE(r.body.find("Site web"), std::string::npos);
    EXPECT_NE(r.body.find("1" + kNarrowNbsp + "234,56" + kNarrowNbsp + "€"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("50,00" + kNarrowNbsp + "€"), std::string::npos);  // 35 € service + 15 € membership
    EXPECT_NE(r.body.find("dont adhésion 15,00" + kNarrowNbsp + "€"), std::string::npos);
    EXPECT_NE(r.body.find("par mois"), std::string::npos);

    // Security headers, and nothing from another site.
    const std::string csp = r.headers["Content-Security-Policy"];
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(r.headers["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(r.headers["Referrer-Policy"], "same-origin");
    EXPECT_FALSE(std::regex_search(r.body, std::regex(R"((src|href)="(https?:)?//)"))) << r.body;
    EXPECT_EQ(r.body.find("<script"), std::string::npos);
    EXPECT_EQ(r.body.find("style=\""), std::string::npos);

    // English from Accept-Language, or from the switch, which a cookie keeps.
    r = b.get("/", {{"Accept-Language", "en-GB,en;q=0.9"}});
    EXPECT_NE(r.body.find("<html lang=\"en\">"), std::string::npos);
    EXPECT_NE(r.body.find("Website"), std::string::npos);
    EXPECT_NE(r.body.find("€1,234.56"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("per month"), std::string::npos);
    r = b.get("/?lang=en");
    EXPECT_EQ(b.cookie("chatiere_lang"), "en");
    r = b.get("/promises");
    EXPECT_NE(r.body.find("<html lang=\"en\">"), std::string::npos);
    EXPECT_NE(r.body.find("no tracker"), std::string::npos);
    r = b.get("/?lang=fr");
    EXPECT_NE(r.body.find("Nos engagements"), std::string::npos);

    r = b.get("/terms");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Conditions d’utilisation"), std::string::npos);
    r = b.get("/assets/style.css");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["Content-Type"], "text/css; charset=utf-8");
    for (const std::string bad :
         {"/assets/..%2Fterms.fr.md", "/assets/style.exe", "/assets/.hidden.css", "/assets/nothere.css"}) {
        EXPECT_EQ(b.get(bad).status, 404) << bad;
    }
}

TEST_F(WebPages, EveryFormRefusesARequestWithoutItsToken) {
    Browser b = browser();
    ASSERT_EQ(b.get("/signup").status, 200);
    const std::string token = b.csrfToken();
    ASSERT_GE(token.size(), 32u);
    const int64_t before = associations();
    for (const std::string path : {"/signup", "/login", "/logout"}) {
        auto r = b.post(path, goodSignup(), /*csrf=*/false);
        EXPECT_EQ(r.status, 403) << path;
        EXPECT_NE(r.body.find("Le formulaire a expiré"), std::string::npos) << r.body;
        auto fields = goodSignup();
        fields.emplace_back("csrf_token", std::string(token.size(), 'x'));
        EXPECT_EQ(b.post(path, fields, /*csrf=*/false).status, 403) << path;
    }
    // A token without its pre-session cookie (another browser's) is refused too.
    Browser other = browser();
    auto fields = goodSignup();
    fields.emplace_back("csrf_token", token);
    EXPECT_EQ(other.post("/signup", fields, /*csrf=*/false).status, 403);
    EXPECT_EQ(associations(), before);

    // With its token, the same form is accepted.
    EXPECT_EQ(b.post("/signup", goodSignup()).status, 201);
    EXPECT_EQ(associations(), before + 1);
}

TEST_F(WebPages, SignUpShowsEachMessageByItsFieldKeepsWhatWasTypedThenRegisters) {
    Browser b = browser();
    auto r = b.get("/signup?plan=asso-web");
    ASSERT_EQ(r.status, 200);
    // The form's token is this browser's, signed from its pre-session cookie (never the cookie itself).
    ASSERT_GE(b.cookie("chatiere_csrf").size(), 32u);
    EXPECT_NE(r.body.find("name=\"csrf_token\" value=\"" + b.csrfToken() + "\""), std::string::npos);
    EXPECT_EQ(r.body.find("value=\"" + b.cookie("chatiere_csrf") + "\""), std::string::npos);
    EXPECT_NE(r.body.find("<option value=\"asso-web\" selected>"), std::string::npos);
    EXPECT_NE(r.body.find("<label for=\"association_name\">Nom</label>"), std::string::npos);

    const int64_t before = associations();
    auto fields = goodSignup();
    const auto set = [&fields](const std::string& name, const std::string& value) {
        for (auto& [key, v] : fields) {
            if (key == name) {
                v = value;
            }
        }
    };
    set("association_email", "pas-une-adresse");
    set("association_rna", "12345");
    set("manager_password", "court");
    set("association_address_postal_code", "350");
    set("association_address_city", "");
    fields.pop_back();  // terms not accepted
    r = b.post("/signup", fields);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(associations(), before);
    EXPECT_NE(r.body.find("role=\"alert\""), std::string::npos);
    const auto errorOf = [&](const std::string& id) {
        const std::regex re("<p class=\"field-error\" id=\"" + id + "-error\">Erreur : ([^<]*)</p>");
        std::smatch m;
        return std::regex_search(r.body, m, re) ? m[1].str() : std::string("(none)");
    };
    EXPECT_EQ(errorOf("association_email"), "Cette adresse électronique n’est pas valable.");
    EXPECT_EQ(errorOf("association_rna"), "Un numéro RNA s’écrit W suivi de 9 chiffres.");
    EXPECT_NE(errorOf("manager_password").find("10 caractères"), std::string::npos);
    EXPECT_EQ(errorOf("accept_terms"), "Vous devez accepter les conditions d’utilisation.");
    EXPECT_EQ(errorOf("manager_email"), "(none)");
    // The address, asked of an association, each missing or bad part by its box.
    EXPECT_EQ(errorOf("association_address_postal_code"), "Ce code postal n’est pas valable.");
    EXPECT_EQ(errorOf("association_address_city"), "Ce champ est obligatoire.");
    EXPECT_EQ(errorOf("association_address_line1"), "(none)");
    // Each input says it is invalid and points at its message; what was typed is kept, escaped,
    // and the password is never sent back.
    EXPECT_NE(r.body.find("aria-invalid=\"true\" aria-describedby=\"association_email-error\""),
              std::string::npos);
    EXPECT_NE(r.body.find("value=\"Les Jardins &lt;partagés&gt;\""), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("Les Jardins <partagés>"), std::string::npos);
    EXPECT_NE(r.body.find("value=\"pas-une-adresse\""), std::string::npos);
    EXPECT_EQ(r.body.find("court"), std::string::npos);

    // Corrected: registered, pending approval; the same address again is refused by its field.
    r = b.post("/signup", goodSignup());
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_NE(r.body.find("Demande envoyée"), std::string::npos);
    EXPECT_EQ(associations(), before + 1);
    r = b.post("/signup", goodSignup());
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(r.body.find("Un compte existe déjà avec cette adresse."), std::string::npos);
    EXPECT_EQ(associations(), before + 1);

    // The verification link of the mail works as a page; a wrong one says so.
    EXPECT_EQ(b.get("/verify-email?token=nope").status, 400);
}

TEST_F(WebPages, LoginAndLogoutWithAForm) {
    Browser b = browser();
    ASSERT_EQ(b.get("/login").status, 200);
    auto r = b.post("/login", {{"email", "admin@chatons.test"}, {"password", "not the password"}});
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.body.find("Adresse ou mot de passe incorrect."), std::string::npos);
    EXPECT_NE(r.body.find("value=\"admin@chatons.test\""), std::string::npos);
    EXPECT_TRUE(b.cookie("chatiere_session").empty());

    r = b.post("/login", {{"email", "admin@chatons.test"},
                          {"password", "correct horse battery"},
                          {"totp", d_.nextTotpCode("admin@chatons.test")}});
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.headers["Location"], "/space");
    EXPECT_FALSE(b.cookie("chatiere_session").empty());
    r = b.get("/");
    EXPECT_NE(r.body.find("admin@chatons.test"), std::string::npos);
    EXPECT_NE(r.body.find("action=\"/logout\""), std::string::npos);
    // The session cookie is the API's too.
    EXPECT_EQ(b.get("/api/v1/me").status, 200);

    r = b.post("/logout", {});
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Vous êtes déconnecté·e."), std::string::npos);
    EXPECT_TRUE(b.cookie("chatiere_session").empty());
    EXPECT_EQ(b.get("/api/v1/me").status, 401);
}

}  // namespace
