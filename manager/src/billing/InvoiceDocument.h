#pragma once

#include "store/Invoices.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace chatiere::manager {

// Everything printed on an invoice or a credit note (avoir), already computed and rounded: the
// renderers only lay it out. Money in int64 cents (EUR); dates "YYYY-MM-DD".
struct DocumentLine {
    std::string description;       // already in the document's language
    int64_t quantityMilli = 1000;  // thousandths of a unit (2.345 GiB → 2345)
    std::string unit;              // "GiB", "" …
    int64_t unitPriceCents = 0;    // HT
    int vatRateBasisPoints = 0;    // 2000 = 20 %; 0 when VAT does not apply
    int64_t amountCents = 0;       // HT, rounded once (lineAmount)
    std::string periodStart;       // may be empty
    std::string periodEnd;         // exclusive; may be empty
};

struct InvoiceDocument {
    enum class Kind { Invoice, CreditNote };
    Kind kind = Kind::Invoice;
    std::string language = "fr";  // fr | en
    bool draft = false;           // a draft has no number yet: printed "BROUILLON" / "DRAFT"
    std::string number;           // F-2026-000123 / A-2026-000007; empty for a draft
    std::string issueDate;
    std::string dueDate;                // invoices only
    std::string periodStart;            // the service period billed, may be empty
    std::string periodEnd;              // exclusive
    std::string creditedInvoiceNumber;  // credit notes: the invoice corrected
    std::string creditReason;           // credit notes
    DocumentParty seller;
    DocumentParty buyer;
    std::vector<DocumentLine> lines;
    int64_t totalExclTaxCents = 0;  // HT
    int64_t totalVatCents = 0;      // TVA
    int64_t totalInclTaxCents = 0;  // TTC (= HT when VAT does not apply)
    int64_t paidCents = 0;          // already paid or credited
    bool vatApplicable = false;
    std::string vatExemptionMention;  // "TVA non applicable, art. 293 B du CGI" when !vatApplicable
    std::string paymentTerms;         // e.g. "Paiement à 30 jours par virement."
    // Accepted ways to pay, in order: transfer | cheque | cash | card | helloasso. Printed on
    // invoices with the discount condition (none for early payment: a mandatory mention too); the
    // IBAN and the transfer reference only when transfers are accepted (or no list is given).
    std::vector<std::string> paymentMethods;
    std::string iban;
    std::string bic;
    // For professional buyers only: the late-payment penalty rate text and the 40 € indemnity.
    bool professionalBuyer = false;
    std::string latePenaltyRate;  // e.g. "3 fois le taux d'intérêt légal"
};

// The document's text grouped by where the renderers place it, in reading order: title, meta
// (dates, period, credited invoice and reason), seller, buyer, the table, the totals, then the notes
// (exemption mention, payment terms, discount condition, payment methods, transfer reference,
// IBAN/BIC, late-payment mentions).
// Labels carry their own punctuation ("Total HT :") so that every renderer prints the same words.
struct InvoiceSections {
    std::string title;
    std::vector<std::string> meta;
    std::vector<std::string> seller;  // heading first, then name, address, identifiers
    std::vector<std::string> buyer;   // heading first ("Client" / "Customer")
    std::vector<std::string> tableHeader;
    std::vector<std::vector<std::string>> rows;               // same columns as tableHeader
    std::vector<std::pair<std::string, std::string>> totals;  // label, amount
    std::vector<std::string> notes;
};
InvoiceSections invoiceSections(const InvoiceDocument& doc);

// The document's text, line by line, in reading order, in its language: what both renderers print
// and what golden tests compare. A table row is one line, its cells joined by " | "; a total is its
// label, a space and its amount.
std::vector<std::string> invoiceTextLines(const InvoiceDocument& doc);
// A standalone HTML page (UTF-8, escaped, inline CSS in a <style> element, no external asset).
std::string renderInvoiceHtml(const InvoiceDocument& doc);
// The text of that <style> element (its hash lets it through the pages' Content-Security-Policy).
std::string invoiceHtmlStyle();
// A PDF (A4) with `fontPath` (a TrueType font with the accents and U+202F, e.g. DejaVuSans)
// embedded. Throws std::runtime_error when the font cannot be loaded or the PDF not written.
std::string renderInvoicePdf(const InvoiceDocument& doc, const std::string& fontPath);

}  // namespace chatiere::manager
