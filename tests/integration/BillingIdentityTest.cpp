// The association's billing identity and the invoice as an accountant reads it: an association
// signs up on the web page with its address, is approved, subscribes; billing runs; its PDF, read
// back with pdftotext, carries every mandatory mention with the buyer's name and address. The
// identity is edited by its managers (API and page, audited, each bad field a 400 by its name and
// nothing written) and an invoice already issued keeps the identity it was issued with.

#include "Browser.h"
#include "TestDaemon.h"
#include "chatiere/manager/Time.h"

#include <Poco/Data/Statement.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>

using namespace chatiere::testing;
using namespace chatiere::manager;
using namespace Poco::Data::Keywords;

namespace {

const std::string kWeb = R"({"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"},
    "templates": ["website"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 1000},
               {"interval": "month", "kind": "individual", "amount_cents": 500}],
    "quotas": {"services": {"included": 1, "limit": 3}, "disk_gib": {"included": 1, "limit": 50}},
    "overage": {"disk_gib": {"unit_cents": 50}}})";

TimePoint at(const std::string& text) {
    return parseTime(text).value();
}

// What an accountant reads: the PDF's text by pdftotext, every run of white space (line breaks,
// narrow no-break spaces) one space, so that a mention wrapped on two lines still reads as one.
std::string pdfText(const std::filesystem::path& dir, const std::string& pdf) {
    const auto path = dir / "invoice.pdf";
    std::ofstream(path, std::ios::binary) << pdf;
    FILE* pipe = popen(("pdftotext '" + path.string() + "' - 2>/dev/null").c_str(), "r");
    if (!pipe) {
        return "";
    }
    std::string raw;
    char buffer[4096];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        raw.append(buffer, n);
    }
    if (pclose(pipe) != 0) {
        return "";
    }
    return std::regex_replace(std::regex_replace(raw, std::regex("\u202F|\u00A0"), " "), std::regex("\\s+"),
                              " ");
}

class BillingIdentity : public ::testing::Test {
protected:
    BillingIdentity()
        : d_([](Settings& s) {
              s.sessionTtlHours = 24 * 365;
              s.monitoringIntervalSeconds = 3600;
              s.billing.runIntervalSeconds = 86400;
              s.billing.sellerName = "Fab'Lab du Pays";
              s.billing.sellerAddress = {"1 rue de la Fabrique", "35000 Rennes"};
              s.billing.sellerSiren = "73282932000074";
              s.billing.sellerRna = "W351000001";
              s.billing.sellerEmail = "tresorerie@fablab.test";
              s.billing.iban = "FR76 3000 6000 0112 3456 7890 189";
              s.billing.bic = "AGRIFRPP";
          }) {}

    void SetUp() override {
        ASSERT_EQ(std::system("command -v pdftotext >/dev/null 2>&1"), 0) << "install poppler-utils";
        d_.clock().set(at("2026-12-06T09:00:00Z"));
        admin_ = std::make_unique<ApiClient>(d_.staffClient("admin@chatons.test"));
        treasurer_ = std::make_unique<ApiClient>(d_.staffClient("tresorier@chatons.test", "treasurer"));
        ASSERT_EQ(admin_->post("/api/v1/plans", kWeb).status, 201);
    }

    // The sign-up page, filled as a treasurer would; returns the new association's id.
    std::string signUpOnThePage() {
        Browser b(d_.daemon().port());
        EXPECT_EQ(b.get("/signup").status, 200);
        const auto r = b.post("/signup", {{"association_name", "Les Amis du Jardin"},
                                          {"association_kind", "association"},
                                          {"association_email", "bureau@amis-jardin.test"},
                                          {"association_rna", "W351234567"},
                                          {"association_siren", "552 100 554 00013"},  // a SIRET
                                          {"association_legal_name", "Association des Amis du Jardin"},
                                          {"association_address_line1", "3 place du Marché"},
                                          {"association_address_line2", "Bâtiment B"},
                                          {"association_address_postal_code", "35000"},
                                          {"association_address_city", "Rennes"},
                                          {"association_address_country", ""},
                                          {"association_billing_email", "tresorerie@amis-jardin.test"},
                                          {"manager_name", "Camille Martin"},
                                          {"manager_email", "camille@amis-jardin.test"},
                                          {"manager_password", "correct horse battery"},
                                          {"plan", "asso-web"},
                                          {"accept_terms", "yes"}});
        EXPECT_EQ(r.status, 201) << r.body;
        const auto list = admin_->get("/api/v1/associations?status=pending");
        const auto items = list.json()->getArray("associations");
        EXPECT_EQ(items->size(), 1u) << list.body;
        return items->getObject(0)->getValue<std::string>("id");
    }

    std::string auditDetails(const std::string& associationId, const std::string& action) {
        auto s = d_.daemon().database().session();
        std::string details;
        s << "SELECT COALESCE(group_concat(details, '\n'), '') FROM audit_log WHERE association_id = ? AND "
             "action = ?",
            bind(associationId), bind(action), into(details), now;
        return details;
    }

    std::string identityRow(const std::string& associationId) {
        auto s = d_.daemon().database().session();
        std::string row;
        s << "SELECT legal_name || '|' || address_line1 || '|' || address_line2 || '|' || postal_code || '|' "
             "|| city || '|' || country || '|' || COALESCE(siren, '-') || '|' || COALESCE(siret, '-') || '|' "
             "|| COALESCE(rna, '-') || '|' || billing_email || '|' || updated_at FROM associations WHERE id "
             "= ?",
            bind(associationId), into(row), now;
        return row;
    }

    // A form post from a signed-in browser, with its cookies, its form token and the same-origin
    // Origin header a browser sends.
    TestDaemon d_;
    std::unique_ptr<ApiClient> admin_, treasurer_;
};

TEST_F(BillingIdentity, AnInvoiceFromARealSignUpCarriesEveryMandatoryMentionInItsPdf) {
    const std::string id = signUpOnThePage();
    // What the page asked for is the association's billing identity.
    const auto record = admin_->get("/api/v1/associations/" + id).json();
    EXPECT_EQ(record->getValue<std::string>("legal_name"), "Association des Amis du Jardin");
    EXPECT_EQ(record->getValue<std::string>("siret"), "55210055400013");
    EXPECT_EQ(record->getValue<std::string>("billing_email"), "tresorerie@amis-jardin.test");
    EXPECT_EQ(record->getObject("address")->getValue<std::string>("postal_code"), "35000");
    EXPECT_EQ(record->getObject("address")->getValue<std::string>("country"), "FR");
    ASSERT_EQ(admin_->post("/api/v1/associations/" + id + "/approve", "{}").status, 200);

    const ApiClient manager = d_.login("camille@amis-jardin.test", "correct horse battery");
    const auto subscribed = manager.post("/api/v1/associations/" + id + "/subscriptions",
                                         R"({"plan": "asso-web", "interval": "month"})");
    ASSERT_EQ(subscribed.status, 201) << subscribed.body;
    ASSERT_EQ(treasurer_->post("/api/v1/billing/run", "{}").status, 200);
    const auto invoices = manager.get("/api/v1/invoices?association=" + id).json()->getArray("invoices");
    ASSERT_EQ(invoices->size(), 1u);
    const std::string invoice = invoices->getObject(0)->getValue<std::string>("id");
    const std::string number = invoices->getObject(0)->getValue<std::string>("number");
    EXPECT_EQ(number, "F-2026-000001");

    const auto pdf = manager.get("/api/v1/invoices/" + invoice + "/pdf");
    ASSERT_EQ(pdf.status, 200);
    const std::string fr = pdfText(d_.dir(), pdf.body);
    ASSERT_FALSE(fr.empty()) << "pdftotext read nothing";
    for (const std::string& mention : std::vector<std::string>{
             "Facture " + number,
             "Date d'émission : 06/12/2026",
             "Date d'échéance : 05/01/2027",
             "Période du 06/12/2026 au 05/01/2027",
             // The seller.
             "Fab'Lab du Pays",
             "1 rue de la Fabrique",
             "SIRET : 73282932000074",
             "RNA : W351000001",
             // The buyer: its legal name and the address given at sign-up.
             "Association des Amis du Jardin",
             "3 place du Marché",
             "Bâtiment B",
             "35000 Rennes",
             "SIRET : 55210055400013",
             "RNA : W351234567",
             "Courriel : tresorerie@amis-jardin.test",
             // The line: what, how many, unit price HT, amount.
             "Quantité",
             "Prix unitaire HT",
             "10,00 €",
             "Total : 10,00 €",
             "TVA non applicable, art. 293 B du CGI",
             "Paiement à 30 jours de la date d'émission.",
             "Pas d'escompte pour paiement anticipé.",
             "Moyens de paiement acceptés : virement, chèque, espèces, carte bancaire, HelloAsso.",
             "Référence du virement : " + number,
             "IBAN : FR76 3000 6000 0112 3456 7890 189",
             "BIC : AGRIFRPP",
             // An association is a professional buyer (billing.professional_kinds).
             "Pénalités de retard : 3 fois le taux d'intérêt légal",
             "Indemnité forfaitaire pour frais de recouvrement : 40 €",
         }) {
        EXPECT_NE(fr.find(mention), std::string::npos) << "missing: " << mention << "\nin: " << fr;
    }

    const auto en = pdfText(d_.dir(), manager.get("/api/v1/invoices/" + invoice + "/pdf?lang=en").body);
    for (const std::string& mention :
         std::vector<std::string>{"Invoice " + number, "Customer", "Association des Amis du Jardin",
                                  "3 place du Marché", "35000 Rennes", "No discount for early payment.",
                                  "Payment methods accepted: bank transfer, cheque, cash, card, HelloAsso.",
                                  "Transfer reference: " + number}) {
        EXPECT_NE(en.find(mention), std::string::npos) << "missing: " << mention << "\nin: " << en;
    }
    // The HTML page says the same.
    const auto html = manager.get("/api/v1/invoices/" + invoice + "/html");
    EXPECT_NE(html.body.find("Pas d&apos;escompte pour paiement anticipé."), std::string::npos) << html.body;
    EXPECT_NE(pageText(html).find("3 place du Marché"), std::string::npos);
}

TEST_F(BillingIdentity, AnIssuedInvoiceKeepsTheIdentityItWasIssuedWith) {
    const std::string id = signUpOnThePage();
    ASSERT_EQ(admin_->post("/api/v1/associations/" + id + "/approve", "{}").status, 200);
    const ApiClient manager = d_.login("camille@amis-jardin.test", "correct horse battery");
    ASSERT_EQ(manager
                  .post("/api/v1/associations/" + id + "/subscriptions",
                        R"({"plan": "asso-web", "interval": "month"})")
                  .status,
              201);
    const auto first = manager.get("/api/v1/invoices?association=" + id).json()->getArray("invoices");
    ASSERT_EQ(first->size(), 1u);
    const std::string invoice = first->getObject(0)->getValue<std::string>("id");

    // The association moves.
    const auto moved = manager.request("PATCH", "/api/v1/associations/" + id,
                                       R"json({"legal_name": "Les Amis du Jardin (association)",
                                           "address": {"line1": "8 rue Neuve", "postal_code": "69002",
                                                       "city": "Lyon"}})json");
    ASSERT_EQ(moved.status, 200) << moved.body;
    EXPECT_EQ(moved.json()->getObject("address")->getValue<std::string>("city"), "Lyon");

    // The invoice issued before still shows where it was sent, in its PDF and its JSON.
    const std::string before = pdfText(d_.dir(), manager.get("/api/v1/invoices/" + invoice + "/pdf").body);
    EXPECT_NE(before.find("3 place du Marché"), std::string::npos) << before;
    EXPECT_NE(before.find("Association des Amis du Jardin"), std::string::npos) << before;
    EXPECT_EQ(before.find("8 rue Neuve"), std::string::npos) << before;
    const auto json = manager.get("/api/v1/invoices/" + invoice).json();
    EXPECT_EQ(json->getObject("buyer")->getValue<std::string>("name"), "Association des Amis du Jardin");

    // The next one, the new identity.
    d_.clock().set(at("2027-01-06T09:00:00Z"));
    ASSERT_EQ(treasurer_->post("/api/v1/billing/run", "{}").status, 200);
    const auto both = manager.get("/api/v1/invoices?association=" + id).json()->getArray("invoices");
    ASSERT_EQ(both->size(), 2u);
    const std::string next = both->getObject(0)->getValue<std::string>("id");
    const std::string after = pdfText(d_.dir(), manager.get("/api/v1/invoices/" + next + "/pdf").body);
    EXPECT_NE(after.find("8 rue Neuve"), std::string::npos) << after;
    EXPECT_NE(after.find("69002 Lyon"), std::string::npos) << after;
    EXPECT_NE(after.find("Les Amis du Jardin (association)"), std::string::npos) << after;
    EXPECT_EQ(after.find("3 place du Marché"), std::string::npos) << after;
}

TEST_F(BillingIdentity, ManagersEditTheIdentityThroughTheApiAuditedAndBadFieldsWriteNothing) {
    const std::string id = d_.approvedAssociation(*admin_, "Jardin", "camille@jardin.test", "asso-web");
    const std::string other =
        d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "asso-web");
    const ApiClient manager = d_.login("camille@jardin.test", "correct horse battery");
    const ApiClient stranger = d_.login("dominique@chorale.test", "correct horse battery");
    // A member who is not a manager.
    d_.signup("Autre", "alex@autre.test");
    ASSERT_EQ(manager
                  .post("/api/v1/associations/" + id + "/members",
                        R"({"email": "alex@autre.test", "role": "member"})")
                  .status,
              201);
    const ApiClient member = d_.login("alex@autre.test", "correct horse battery");
    const std::string path = "/api/v1/associations/" + id;
    const std::string good =
        R"({"legal_name": "Jardin partagé", "siren": "552100554", "siret": "55210055400013", "rna": "W351234567",
            "billing_email": "compta@jardin.test",
            "address": {"line1": "2 rue Haute", "postal_code": "35000", "city": "Rennes"}})";

    const std::string before = identityRow(id);
    auto r = member.request("PATCH", path, good);
    EXPECT_EQ(r.status, 403) << r.body;
    r = stranger.request("PATCH", path, good);
    EXPECT_EQ(r.status, 404) << r.body;
    r = d_.client().request("PATCH", path, good);
    EXPECT_EQ(r.status, 401) << r.body;
    // Every bad field at once, each by its name.
    r = manager.request("PATCH", path,
                        R"({"legal_name": "Jardin", "siren": "552100555", "siret": "55210055400014",
                            "rna": "W35123456", "billing_email": "pas-une-adresse", "name": "Autre",
                            "address": {"line1": "2 rue Haute", "postal_code": "3500", "city": "Rennes"}})");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.errorCode(), "invalid_fields") << r.body;
    const auto fields = r.fieldErrors();
    EXPECT_EQ(fields.at("siren"), "invalid_siren");
    EXPECT_EQ(fields.at("siret"), "invalid_siret");
    EXPECT_EQ(fields.at("rna"), "invalid_rna");
    EXPECT_EQ(fields.at("billing_email"), "invalid_email");
    EXPECT_EQ(fields.at("address.postal_code"), "invalid_postal_code");
    EXPECT_EQ(fields.at("name"), "unknown_field");
    EXPECT_FALSE(fields.count("legal_name"));
    // A SIRET of another SIREN.
    r = manager.request("PATCH", path, R"({"siren": "552100554", "siret": "73282932000074"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.fieldErrors()["siret"], "siret_siren_mismatch") << r.body;
    EXPECT_EQ(identityRow(id), before);
    EXPECT_EQ(auditDetails(id, "association.update_identity"), "");

    r = manager.request("PATCH", path, good);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("siret"), "55210055400013");
    EXPECT_EQ(r.json()->getValue<std::string>("legal_name"), "Jardin partagé");
    const std::string audited = auditDetails(id, "association.update_identity");
    EXPECT_NE(audited.find("\"legal_name\":{\"from\":\"\",\"to\":\"Jardin partag"), std::string::npos)
        << audited;
    EXPECT_NE(audited.find("2 rue Haute"), std::string::npos) << audited;
    // Another association is untouched; a field left out is kept, null clears one.
    EXPECT_EQ(admin_->get("/api/v1/associations/" + other).json()->getValue<std::string>("legal_name"), "");
    r = manager.request("PATCH", path, R"({"siret": null})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()->isNull("siret"));
    EXPECT_EQ(r.json()->getValue<std::string>("siren"), "552100554");
    EXPECT_EQ(r.json()->getValue<std::string>("billing_email"), "compta@jardin.test");
}

TEST_F(BillingIdentity, TheProfilePageEditsTheIdentityByItsManagersOnly) {
    const std::string id = d_.approvedAssociation(*admin_, "Jardin", "camille@jardin.test", "asso-web");
    d_.approvedAssociation(*admin_, "Chorale", "dominique@chorale.test", "asso-web");
    const std::string page = "/associations/" + id + "/profile";
    Browser manager = signedInBrowser(d_.daemon().port(), "camille@jardin.test");
    auto r = manager.get("/associations/" + id);
    EXPECT_NE(r.body.find("href=\"" + page + "\""), std::string::npos) << "the dashboard links to it";
    r = manager.get(page);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(pageText(r).find("Identité de facturation"), std::string::npos);

    const std::string before = identityRow(id);
    r = manager.post(page, {{"legal_name", "Jardin partagé"},
                            {"address_line1", "2 rue Haute"},
                            {"address_postal_code", "35O00"},
                            {"address_city", ""},
                            {"siren", "552100555"},
                            {"rna", "W351234567"}});
    EXPECT_EQ(r.status, 400) << r.body;
    const std::string text = pageText(r);
    EXPECT_NE(text.find("id=\"address_postal_code-error\">Erreur : Ce code postal n’est pas valable."),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("id=\"address_city-error\">Erreur : Ce champ est obligatoire."), std::string::npos);
    EXPECT_NE(text.find("id=\"siren-error\">"), std::string::npos);
    EXPECT_NE(text.find("value=\"Jardin partagé\""), std::string::npos) << "what was typed is kept";
    EXPECT_EQ(identityRow(id), before);

    r = manager.post(page, {{"legal_name", "Jardin partagé"},
                            {"address_line1", "2 rue Haute"},
                            {"address_postal_code", "35000"},
                            {"address_city", "Rennes"},
                            {"siren", "552100554"},
                            {"rna", "W351234567"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], page + "?done=saved");
    const auto record = admin_->get("/api/v1/associations/" + id).json();
    EXPECT_EQ(record->getValue<std::string>("legal_name"), "Jardin partagé");
    EXPECT_EQ(record->getObject("address")->getValue<std::string>("city"), "Rennes");
    EXPECT_NE(auditDetails(id, "association.update_identity"), "");

    // Another association's manager: 404; without a session: the login page.
    Browser stranger = signedInBrowser(d_.daemon().port(), "dominique@chorale.test");
    EXPECT_EQ(stranger.get(page).status, 404);
    const std::string kept = identityRow(id);
    EXPECT_EQ(stranger.post(page, {{"legal_name", "Volé"}}).status, 404);
    EXPECT_EQ(identityRow(id), kept);
    EXPECT_EQ(Browser(d_.daemon().port()).get(page).status, 303);
}

TEST_F(BillingIdentity, TheSignUpPageAsksTheAddressOfEveryKindButAnIndividual) {
    const auto count = [this] {
        auto s = d_.daemon().database().session();
        int n = 0;
        s << "SELECT COUNT(*) FROM associations", into(n), now;
        return n;
    };
    const auto form = [](const std::string& kind, const std::string& email) {
        return std::vector<std::pair<std::string, std::string>>{{"association_name", "Structure"},
                                                                {"association_kind", kind},
                                                                {"association_email", email},
                                                                {"manager_name", "Alex"},
                                                                {"manager_email", email},
                                                                {"manager_password", "correct horse battery"},
                                                                {"accept_terms", "yes"}};
    };
    Browser b(d_.daemon().port());
    b.get("/signup");
    const int before = count();
    auto r = b.post("/signup", form("other", "alex@autre.test"));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("id=\"association_address_line1-error\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("id=\"association_address_city-error\""), std::string::npos);
    EXPECT_EQ(count(), before);
    r = b.post("/signup", form("individual", "sam@perso.test"));
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(count(), before + 1);
}

}  // namespace
