// Invoice rendering: the text lines (golden files), the HTML page and the PDF.
//
// Golden files live in manager/tests/golden/. To regenerate them after a deliberate change, run
//   CHATIERE_REGENERATE_GOLDEN=1 ./manager_unit_tests --gtest_filter='InvoiceDocument*'
// then review the diff like code: the tests write the files instead of comparing.
//
// The PDF test extracts the text with `pdftotext` (poppler-utils, installed by
// packaging/scripts/deps.sh test) and fails, rather than skips, when it is missing.
#include "Golden.h"
#include "billing/InvoiceDocument.h"
#include "billing/Money.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace chatiere::manager {
namespace {

const std::string kFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const std::string kNnbsp = "\u202F";  // narrow no-break space

DocumentParty seller() {
    return {"Fablab de la Chatière",
            {"12 rue des Chats", "69001 Lyon", "France"},
            "12345678900012",
            "W691234567",
            "",
            "tresorerie@chatiere.example"};
}

DocumentParty association() {
    return {
        "Les Amis du Jardin",           {"3 place du Marché", "69002 Lyon", "France"}, "", "W691000001", "",
        "bureau@amis-du-jardin.example"};
}

DocumentLine line(std::string description, int64_t quantityMilli, std::string unit, int64_t unitPriceCents,
                  int vatRate = 0) {
    DocumentLine l;
    l.description = std::move(description);
    l.quantityMilli = quantityMilli;
    l.unit = std::move(unit);
    l.unitPriceCents = unitPriceCents;
    l.vatRateBasisPoints = vatRate;
    l.amountCents = lineAmount(quantityMilli, unitPriceCents);
    return l;
}

void sumLines(InvoiceDocument& doc) {
    doc.totalExclTaxCents = 0;
    doc.totalVatCents = 0;
    for (const DocumentLine& l : doc.lines) {
        doc.totalExclTaxCents += l.amountCents;
        doc.totalVatCents += divideRounded(l.amountCents * l.vatRateBasisPoints, 10000);
    }
    doc.totalInclTaxCents = doc.totalExclTaxCents + doc.totalVatCents;
}

// An association without VAT: membership, a service at 1 234,56 € and 2.345 GiB of overage.
InvoiceDocument frenchInvoice() {
    InvoiceDocument doc;
    doc.number = "F-2026-000123";
    doc.issueDate = "2027-01-31";
    doc.dueDate = "2027-03-02";
    doc.periodStart = "2027-01-31";
    doc.periodEnd = "2027-02-28";
    doc.seller = seller();
    doc.buyer = association();
    doc.lines = {line("Adhésion annuelle 2027", 1000, "", 2000),
                 line("Hébergement de l'éditeur collaboratif, offre Grande association", 1000, "", 123456),
                 line("Dépassement du quota de stockage", 2345, "GiB", 50)};
    doc.lines[1].periodStart = "2027-01-31";
    doc.lines[1].periodEnd = "2027-02-28";
    sumLines(doc);
    doc.vatExemptionMention = "TVA non applicable, art. 293 B du CGI";
    doc.paymentTerms = "Paiement à 30 jours par virement, sans escompte.";
    doc.paymentMethods = {"transfer", "cheque", "cash", "card", "helloasso"};
    doc.iban = "FR76 3000 6000 0112 3456 7890 189";
    doc.bic = "AGRIFRPP";
    return doc;
}

// A professional buyer, VAT at 20 %, partly paid.
InvoiceDocument englishVatInvoice() {
    InvoiceDocument doc;
    doc.language = "en";
    doc.number = "F-2026-000124";
    doc.issueDate = "2027-02-01";
    doc.dueDate = "2027-03-03";
    doc.seller = seller();
    doc.seller.vatNumber = "FR32123456789";
    doc.buyer = {"Acme Web SARL", {"8 avenue Foch", "75016 Paris", "France"},
                 "552100554",     "",
                 "FR40552100554", "billing@acme.example"};
    doc.lines = {line("Website hosting, Standard plan", 1000, "", 2500, 2000),
                 line("Extra storage", 1500, "GiB", 200, 2000)};
    doc.lines[0].periodStart = "2027-02-01";
    doc.lines[0].periodEnd = "2027-03-01";
    sumLines(doc);
    doc.paidCents = 1000;
    doc.vatApplicable = true;
    doc.paymentTerms = "Payment within 30 days by bank transfer, no discount for early payment.";
    doc.paymentMethods = {"transfer", "card"};
    doc.iban = "FR76 3000 6000 0112 3456 7890 189";
    doc.bic = "AGRIFRPP";
    doc.professionalBuyer = true;
    doc.latePenaltyRate = "three times the French legal interest rate";
    return doc;
}

InvoiceDocument frenchCreditNote() {
    InvoiceDocument doc = frenchInvoice();
    doc.kind = InvoiceDocument::Kind::CreditNote;
    doc.number = "A-2026-000007";
    doc.issueDate = "2027-02-10";
    doc.dueDate.clear();
    doc.creditedInvoiceNumber = "F-2026-000123";
    doc.creditReason = "Dépassement facturé à tort (quota relevé le 15/02/2027).";
    doc.lines = {frenchInvoice().lines[2]};
    sumLines(doc);
    doc.paymentTerms = "Montant remboursé par virement ou déduit de la prochaine facture.";
    doc.iban.clear();
    doc.bic.clear();
    return doc;
}

InvoiceDocument frenchDraft() {
    InvoiceDocument doc = frenchInvoice();
    doc.draft = true;
    doc.number.clear();
    return doc;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) {
        out += l + "\n";
    }
    return out;
}

void expectMatchesGolden(const InvoiceDocument& doc, const std::string& name) {
    chatiere::testing::expectGolden(
        joined(invoiceTextLines(doc)),
        std::filesystem::path(CHATIERE_SOURCE_DIR) / "manager/tests/golden" / name);
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

// `pdftotext -layout` of the PDF bytes, or a failure when poppler-utils is missing.
::testing::AssertionResult extractPdfText(const std::string& pdf, std::string& text) {
    if (std::system("command -v pdftotext >/dev/null 2>&1") != 0) {
        return ::testing::AssertionFailure() << "pdftotext not found: install poppler-utils "
                                                "(packaging/scripts/deps.sh test installs it)";
    }
    std::string path = (std::filesystem::temp_directory_path() / "chatiere-invoice-XXXXXX").string();
    const int fd = mkstemp(path.data());
    if (fd < 0) {
        return ::testing::AssertionFailure() << "cannot create a temporary file";
    }
    const bool written = ::write(fd, pdf.data(), pdf.size()) == static_cast<ssize_t>(pdf.size());
    ::close(fd);
    if (!written) {
        std::filesystem::remove(path);
        return ::testing::AssertionFailure() << "cannot write " << path;
    }
    FILE* pipe = popen(("pdftotext -layout '" + path + "' - 2>/dev/null").c_str(), "r");
    text.clear();
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while (pipe != nullptr && (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        text.append(buffer.data(), n);
    }
    const int status = pipe != nullptr ? pclose(pipe) : -1;
    std::filesystem::remove(path);
    if (status != 0) {
        return ::testing::AssertionFailure() << "pdftotext failed (status " << status << ")";
    }
    return ::testing::AssertionSuccess();
}

TEST(InvoiceDocument, FrenchInvoiceMatchesGolden) {
    expectMatchesGolden(frenchInvoice(), "invoice_fr.txt");
}
TEST(InvoiceDocument, EnglishVatInvoiceMatchesGolden) {
    expectMatchesGolden(englishVatInvoice(), "invoice_vat_en.txt");
}
TEST(InvoiceDocument, CreditNoteMatchesGolden) {
    expectMatchesGolden(frenchCreditNote(), "credit_note_fr.txt");
}
TEST(InvoiceDocument, DraftMatchesGolden) {
    expectMatchesGolden(frenchDraft(), "draft_fr.txt");
}

TEST(InvoiceDocument, OverageLineIsRoundedOnceAndTotalsAreSumsOfLines) {
    const InvoiceDocument doc = frenchInvoice();
    EXPECT_EQ(117, doc.lines[2].amountCents);  // 2.345 GiB × 0,50 € = 1,1725 €
    EXPECT_EQ(2000 + 123456 + 117, doc.totalInclTaxCents);
    const std::string text = joined(invoiceTextLines(doc));
    EXPECT_TRUE(contains(
        text, "Dépassement du quota de stockage | 2,345 GiB | 0,50" + kNnbsp + "€ | 1,17" + kNnbsp + "€\n"))
        << text;
    EXPECT_TRUE(contains(text, "Total : 1" + kNnbsp + "255,73" + kNnbsp + "€\n")) << text;
}

TEST(InvoiceDocument, FrenchAmountsUseNarrowNoBreakSpaces) {
    const std::string text = joined(invoiceTextLines(frenchInvoice()));
    EXPECT_TRUE(contains(text, "1" + kNnbsp + "234,56" + kNnbsp + "€")) << text;
    EXPECT_FALSE(contains(text, "1 234,56")) << "a plain space would let the amount break across lines";
}

TEST(InvoiceDocument, FrenchInvoiceCarriesEveryMandatoryMention) {
    const std::string text = joined(invoiceTextLines(frenchInvoice()));
    for (const char* mention : {"Facture F-2026-000123\n",
                                "Date d'émission : 31/01/2027\n",
                                "Date d'échéance : 02/03/2027\n",
                                "Période du 31/01/2027 au 27/02/2027\n",
                                "Fablab de la Chatière\n",
                                "12 rue des Chats\n",
                                "69001 Lyon\n",
                                "SIRET : 12345678900012\n",
                                "RNA : W691234567\n",
                                "Client\n",
                                "Les Amis du Jardin\n",
                                "3 place du Marché\n",
                                "69002 Lyon\n",
                                "Description | Quantité | Prix unitaire HT | Montant HT\n",
                                "Adhésion annuelle 2027 | 1 | 20,00",
                                "(du 31/01/2027 au 27/02/2027)",
                                "TVA non applicable, art. 293 B du CGI\n",
                                "Paiement à 30 jours par virement, sans escompte.\n",
                                "Pas d'escompte pour paiement anticipé.\n",
                                "Moyens de paiement acceptés : virement, chèque, espèces, carte bancaire, "
                                "HelloAsso.\n",
                                "Référence du virement : F-2026-000123\n",
                                "IBAN : FR76 3000 6000 0112 3456 7890 189\n",
                                "BIC : AGRIFRPP\n"}) {
        EXPECT_TRUE(contains(text, mention)) << "missing: " << mention << "\n" << text;
    }
    EXPECT_FALSE(contains(text, "Total HT")) << "no VAT totals without VAT";
    EXPECT_FALSE(contains(text, "Déjà réglé")) << "nothing paid yet";
}

TEST(InvoiceDocument, EnglishInvoiceSaysNoDiscountAndTheMethods) {
    InvoiceDocument doc = frenchInvoice();
    doc.language = "en";
    const std::string text = joined(invoiceTextLines(doc));
    EXPECT_TRUE(contains(text, "No discount for early payment.\n")) << text;
    EXPECT_TRUE(contains(text, "Payment methods accepted: bank transfer, cheque, cash, card, HelloAsso.\n"))
        << text;
}

TEST(InvoiceDocument, NoDiscountIsSaidEvenWithoutPaymentMethodsAndNoIbanWithoutTransfers) {
    InvoiceDocument doc = frenchInvoice();
    doc.paymentMethods.clear();
    EXPECT_TRUE(contains(joined(invoiceTextLines(doc)), "Pas d'escompte pour paiement anticipé.\n"));
    doc.paymentMethods = {"cheque", "helloasso"};
    const std::string text = joined(invoiceTextLines(doc));
    EXPECT_TRUE(contains(text, "Moyens de paiement acceptés : chèque, HelloAsso.\n")) << text;
    EXPECT_FALSE(contains(text, "IBAN")) << "no transfer, no IBAN: " << text;
    EXPECT_FALSE(contains(text, "Référence du virement")) << text;
}

TEST(InvoiceDocument, NoLatePaymentMentionsForANonProfessionalBuyer) {
    const std::string text = joined(invoiceTextLines(frenchInvoice()));
    EXPECT_FALSE(contains(text, "Pénalités")) << text;
    EXPECT_FALSE(contains(text, "Indemnité forfaitaire")) << text;
    EXPECT_FALSE(contains(text, "40" + kNnbsp + "€")) << text;
}

TEST(InvoiceDocument, ProfessionalBuyerWithVatGetsVatTotalsAndLatePaymentMentions) {
    const std::string text = joined(invoiceTextLines(englishVatInvoice()));
    for (const char* mention :
         {"Invoice F-2026-000124\n", "Issue date: 1 February 2027\n", "Due date: 3 March 2027\n",
          "Customer\n", "VAT number: FR40552100554\n", "SIREN: 552100554\n",
          "Description | Quantity | Unit price excl. VAT | VAT | Amount excl. VAT\n", "| 20% |",
          "Total excl. VAT: €28.00\n", "VAT: €5.60\n", "Total incl. VAT: €33.60\n", "Already paid: €10.00\n",
          "Amount due: €23.60\n", "Transfer reference: F-2026-000124\n",
          "Late payment penalties: three times the French legal interest rate\n",
          "Fixed compensation for recovery costs: €40\n"}) {
        EXPECT_TRUE(contains(text, mention)) << "missing: " << mention << "\n" << text;
    }
    EXPECT_FALSE(contains(text, "art. 293 B")) << text;
}

TEST(InvoiceDocument, CreditNoteCitesItsInvoiceAndAsksForNoTransfer) {
    const std::string text = joined(invoiceTextLines(frenchCreditNote()));
    EXPECT_TRUE(contains(text, "Avoir A-2026-000007\n")) << text;
    EXPECT_TRUE(contains(text, "Avoir sur la facture F-2026-000123\n")) << text;
    EXPECT_TRUE(contains(text, "Motif : Dépassement facturé à tort")) << text;
    EXPECT_FALSE(contains(text, "échéance")) << text;
    EXPECT_FALSE(contains(text, "Référence du virement")) << text;
}

TEST(InvoiceDocument, DraftIsMarkedAndHasNoNumber) {
    const std::vector<std::string> lines = invoiceTextLines(frenchDraft());
    EXPECT_EQ("Facture BROUILLON", lines.front());
    EXPECT_FALSE(contains(joined(lines), "Référence du virement")) << "a draft has no number to quote";
    InvoiceDocument english = englishVatInvoice();
    english.draft = true;
    english.number.clear();
    EXPECT_EQ("Invoice DRAFT", invoiceTextLines(english).front());
}

TEST(InvoiceDocument, HtmlIsAStandalonePageWithEveryTextEscaped) {
    InvoiceDocument doc = frenchInvoice();
    doc.buyer.name = "<script>&\"";
    const std::string html = renderInvoiceHtml(doc);
    EXPECT_EQ(0U, html.rfind("<!DOCTYPE html>", 0));
    EXPECT_TRUE(contains(html, "<html lang=\"fr\">"));
    EXPECT_TRUE(contains(html, "<meta charset=\"utf-8\">"));
    EXPECT_TRUE(contains(html, "<style>"));
    EXPECT_TRUE(contains(html, "&lt;script&gt;&amp;&quot;")) << html;
    EXPECT_FALSE(contains(html, "<script")) << html;
    for (const char* external : {"<link", "src=", "url(", "http://", "https://", "@import"}) {
        EXPECT_FALSE(contains(html, external)) << external;
    }
    EXPECT_TRUE(contains(html, "1" + kNnbsp + "234,56" + kNnbsp + "€"));
    EXPECT_TRUE(contains(html, "Référence du virement : F-2026-000123"));
    EXPECT_TRUE(contains(html, "Date d&apos;échéance : 02/03/2027"));
    EXPECT_TRUE(contains(renderInvoiceHtml(englishVatInvoice()), "<html lang=\"en\">"));
}

TEST(InvoiceDocument, PdfTextCanBeExtractedWithAccentsAndAmounts) {
    ASSERT_TRUE(std::filesystem::exists(kFontPath)) << kFontPath << " missing: install fonts-dejavu-core";
    const std::string pdf = renderInvoicePdf(frenchInvoice(), kFontPath);
    ASSERT_EQ(0U, pdf.rfind("%PDF-", 0));
    std::string text;
    ASSERT_TRUE(extractPdfText(pdf, text));
    // pdftotext prints U+202F as such, as a no-break space or as a plain space.
    const std::string flat = replaceAll(replaceAll(text, kNnbsp, " "), "\u00A0", " ");
    for (const char* expected :
         {"Facture F-2026-000123", "Date d'émission : 31/01/2027", "Date d'échéance : 02/03/2027",
          "Les Amis du Jardin", "Fablab de la Chatière", "1 234,56 €", "1 255,73 €",
          "Référence du virement : F-2026-000123", "TVA non applicable, art. 293 B du CGI", "1/1"}) {
        EXPECT_TRUE(contains(flat, expected)) << "missing from the PDF text: " << expected << "\n" << text;
    }
}

TEST(InvoiceDocument, PdfContinuesALongTableOnANewPage) {
    InvoiceDocument doc = englishVatInvoice();
    for (int i = 0; i < 60; ++i) {
        doc.lines.push_back(
            line("Mailbox " + std::to_string(i) +
                     " for a member of the association, with a description long enough to wrap "
                     "onto a second line of the table",
                 1000, "", 150, 2000));
    }
    sumLines(doc);
    std::string text;
    ASSERT_TRUE(extractPdfText(renderInvoicePdf(doc, kFontPath), text));
    EXPECT_TRUE(contains(text, "Mailbox 59")) << text;
    EXPECT_TRUE(contains(text, "Invoice F-2026-000124 \u2014 1/")) << text;
    EXPECT_FALSE(contains(text, "Invoice F-2026-000124 \u2014 1/1")) << "the table should need several pages";
    EXPECT_TRUE(contains(text, "Late payment penalties")) << text;
}

TEST(InvoiceDocument, PdfWithAMissingFontThrows) {
    EXPECT_THROW(renderInvoicePdf(frenchInvoice(), "/nonexistent/NoSuchFont.ttf"), std::runtime_error);
    // A file that is not a TrueType font: libharu reports the error, which becomes an exception.
    const std::string notAFont = std::string(CHATIERE_SOURCE_DIR) + "/manager/tests/golden/invoice_fr.txt";
    EXPECT_THROW(renderInvoicePdf(frenchInvoice(), notAFont), std::runtime_error);
}

}  // namespace
}  // namespace chatiere::manager
