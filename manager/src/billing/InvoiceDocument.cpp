#include "billing/InvoiceDocument.h"

#include "billing/Money.h"

#include <chatiere/templates/Catalogue.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <stdexcept>

namespace chatiere::manager {
namespace {

// Every word the document prints, in one language. Labels keep their punctuation: French puts a
// space before the colon, English does not.
struct Labels {
    const char* invoice;
    const char* creditNote;
    const char* draft;
    const char* issueDate;
    const char* dueDate;
    const char* periodFrom;  // "Période du" before the first day
    const char* periodTo;    // "au" before the last day
    const char* linePeriodFrom;
    const char* creditedInvoice;
    const char* reason;
    const char* seller;
    const char* buyer;
    const char* siren;
    const char* siret;
    const char* rna;
    const char* vatNumber;
    const char* email;
    const char* description;
    const char* quantity;
    const char* unitPrice;
    const char* vatRate;
    const char* amount;
    const char* totalExclTax;
    const char* totalVat;
    const char* totalInclTax;
    const char* total;
    const char* alreadyPaid;
    const char* amountDue;
    const char* transferReference;
    const char* iban;
    const char* bic;
    const char* latePenalties;
    const char* recoveryIndemnity;
    const char* percent;  // after a VAT rate
    const char* noDiscount;
    const char* paymentMethods;
    const char* methodNames[5];  // transfer, cheque, cash, card, helloasso
};

constexpr Labels kFrench{"Facture",
                         "Avoir",
                         "BROUILLON",
                         "Date d'émission :",
                         "Date d'échéance :",
                         "Période du",
                         "au",
                         "du",
                         "Avoir sur la facture",
                         "Motif :",
                         "Émetteur",
                         "Client",
                         "SIREN :",
                         "SIRET :",
                         "RNA :",
                         "N° TVA intracommunautaire :",
                         "Courriel :",
                         "Description",
                         "Quantité",
                         "Prix unitaire HT",
                         "TVA",
                         "Montant HT",
                         "Total HT :",
                         "TVA :",
                         "Total TTC :",
                         "Total :",
                         "Déjà réglé :",
                         "Reste à payer :",
                         "Référence du virement :",
                         "IBAN :",
                         "BIC :",
                         "Pénalités de retard :",
                         "Indemnité forfaitaire pour frais de recouvrement : 40\u202F€",
                         "\u202F%",
                         "Pas d'escompte pour paiement anticipé.",
                         "Moyens de paiement acceptés :",
                         {"virement", "chèque", "espèces", "carte bancaire", "HelloAsso"}};

constexpr Labels kEnglish{"Invoice",
                          "Credit note",
                          "DRAFT",
                          "Issue date:",
                          "Due date:",
                          "Period from",
                          "to",
                          "from",
                          "Credit note for invoice",
                          "Reason:",
                          "Seller",
                          "Customer",
                          "SIREN:",
                          "SIRET:",
                          "RNA:",
                          "VAT number:",
                          "Email:",
                          "Description",
                          "Quantity",
                          "Unit price excl. VAT",
                          "VAT",
                          "Amount excl. VAT",
                          "Total excl. VAT:",
                          "VAT:",
                          "Total incl. VAT:",
                          "Total:",
                          "Already paid:",
                          "Amount due:",
                          "Transfer reference:",
                          "IBAN:",
                          "BIC:",
                          "Late payment penalties:",
                          "Fixed compensation for recovery costs: €40",
                          "%",
                          "No discount for early payment.",
                          "Payment methods accepted:",
                          {"bank transfer", "cheque", "cash", "card", "HelloAsso"}};

constexpr const char* kMethodCodes[] = {"transfer", "cheque", "cash", "card", "helloasso"};

// "virement, chèque, espèces." — unknown codes as they are.
std::string methodsText(const std::vector<std::string>& methods, const Labels& l) {
    std::string out;
    for (const std::string& method : methods) {
        std::string name = method;
        for (std::size_t i = 0; i < std::size(kMethodCodes); ++i) {
            if (method == kMethodCodes[i]) {
                name = l.methodNames[i];
            }
        }
        out += (out.empty() ? "" : ", ") + name;
    }
    return out + ".";
}

const Labels& labelsFor(const std::string& language) {
    return language == "en" ? kEnglish : kFrench;
}

// The day before an ISO date: the last day of a period whose end is exclusive.
std::string dayBefore(const std::string& isoDate) {
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    char tail = 0;
    if (isoDate.size() != 10 || std::sscanf(isoDate.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) {
        throw std::invalid_argument("not a YYYY-MM-DD date: " + isoDate);
    }
    const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
    if (!date.ok()) {
        throw std::invalid_argument("not a valid date: " + isoDate);
    }
    const std::chrono::year_month_day previous{std::chrono::sys_days{date} - std::chrono::days{1}};
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(previous.year()),
                  static_cast<unsigned>(previous.month()), static_cast<unsigned>(previous.day()));
    return out;
}

// "du 31/01/2027 au 27/02/2027" from a start and an exclusive end.
std::string periodText(const std::string& from, const std::string& start, const std::string& endExclusive,
                       const Labels& l, const std::string& language) {
    return std::string(from) + " " + formatDate(start, language) + " " + l.periodTo + " " +
           formatDate(dayBefore(endExclusive), language);
}

std::vector<std::string> partyLines(const char* heading, const DocumentParty& party, const Labels& l) {
    std::vector<std::string> out{heading, party.name};
    out.insert(out.end(), party.addressLines.begin(), party.addressLines.end());
    if (!party.siren.empty()) {
        out.push_back(std::string(party.siren.size() == 14 ? l.siret : l.siren) + " " + party.siren);
    }
    if (!party.rna.empty()) {
        out.push_back(std::string(l.rna) + " " + party.rna);
    }
    if (!party.vatNumber.empty()) {
        out.push_back(std::string(l.vatNumber) + " " + party.vatNumber);
    }
    if (!party.email.empty()) {
        out.push_back(std::string(l.email) + " " + party.email);
    }
    return out;
}

std::vector<std::string> tableRow(const DocumentLine& line, const InvoiceDocument& doc, const Labels& l) {
    const std::string& lang = doc.language;
    std::string description = line.description;
    if (!line.periodStart.empty() && !line.periodEnd.empty()) {
        description += " (" + periodText(l.linePeriodFrom, line.periodStart, line.periodEnd, l, lang) + ")";
    }
    std::string quantity = formatQuantity(line.quantityMilli, lang);
    if (!line.unit.empty()) {
        quantity += " " + line.unit;
    }
    std::vector<std::string> row{description, quantity, formatMoney(line.unitPriceCents, lang)};
    if (doc.vatApplicable) {
        // Basis points are hundredths of a percent: 550 → "5,5 %".
        row.push_back(formatQuantity(static_cast<int64_t>(line.vatRateBasisPoints) * 10, lang) + l.percent);
    }
    row.push_back(formatMoney(line.amountCents, lang));
    return row;
}

std::string escape(const std::string& text) {
    return chatiere::templates::escapeXml(text);
}

void appendParagraphs(std::string& html, const std::vector<std::string>& lines, std::size_t from,
                      const char* cssClass) {
    html += "<p class=\"";
    html += cssClass;
    html += "\">";
    for (std::size_t i = from; i < lines.size(); ++i) {
        html += (i == from ? "" : "<br>\n") + escape(lines[i]);
    }
    html += "</p>\n";
}

constexpr const char* kStyle = R"(@page { size: A4; margin: 18mm 16mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 10pt; color: #111;
       background: #fff; margin: 0 auto; max-width: 180mm; padding: 12mm 0; line-height: 1.35; }
h1 { font-size: 18pt; margin: 0 0 4mm; }
h2 { font-size: 10pt; text-transform: uppercase; letter-spacing: 0.04em; color: #444; margin: 0 0 1mm; }
.meta { margin: 0 0 6mm; }
.parties { display: flex; gap: 10mm; margin-bottom: 8mm; }
.party { flex: 1; }
.party p { margin: 0; }
.party .name { font-weight: bold; }
table { border-collapse: collapse; width: 100%; }
table.lines { margin-bottom: 5mm; }
table.lines th { text-align: left; border-bottom: 1.5pt solid #111; padding: 1.5mm 2mm; font-size: 9pt; }
table.lines td { border-bottom: 0.5pt solid #bbb; padding: 1.5mm 2mm; vertical-align: top; }
table.lines .num { text-align: right; white-space: nowrap; }
table.totals { width: auto; margin: 0 0 6mm auto; }
table.totals td { padding: 1mm 2mm; }
table.totals td.num { text-align: right; white-space: nowrap; }
table.totals tr:last-child td { font-weight: bold; }
.notes p { margin: 0 0 1.5mm; }
@media print { body { padding: 0; max-width: none; } tr { page-break-inside: avoid; } }
)";

}  // namespace

InvoiceSections invoiceSections(const InvoiceDocument& doc) {
    const Labels& l = labelsFor(doc.language);
    const std::string& lang = doc.language;
    const bool invoice = doc.kind == InvoiceDocument::Kind::Invoice;
    InvoiceSections s;

    s.title = std::string(invoice ? l.invoice : l.creditNote) + " " + (doc.draft ? l.draft : doc.number);
    if (!doc.issueDate.empty()) {
        s.meta.push_back(std::string(l.issueDate) + " " + formatDate(doc.issueDate, lang));
    }
    if (invoice && !doc.dueDate.empty()) {
        s.meta.push_back(std::string(l.dueDate) + " " + formatDate(doc.dueDate, lang));
    }
    if (!doc.periodStart.empty() && !doc.periodEnd.empty()) {
        s.meta.push_back(periodText(l.periodFrom, doc.periodStart, doc.periodEnd, l, lang));
    }
    if (!invoice) {
        if (!doc.creditedInvoiceNumber.empty()) {
            s.meta.push_back(std::string(l.creditedInvoice) + " " + doc.creditedInvoiceNumber);
        }
        if (!doc.creditReason.empty()) {
            s.meta.push_back(std::string(l.reason) + " " + doc.creditReason);
        }
    }

    s.seller = partyLines(l.seller, doc.seller, l);
    s.buyer = partyLines(l.buyer, doc.buyer, l);

    s.tableHeader = {l.description, l.quantity, l.unitPrice};
    if (doc.vatApplicable) {
        s.tableHeader.push_back(l.vatRate);
    }
    s.tableHeader.push_back(l.amount);
    for (const DocumentLine& line : doc.lines) {
        s.rows.push_back(tableRow(line, doc, l));
    }

    if (doc.vatApplicable) {
        s.totals.emplace_back(l.totalExclTax, formatMoney(doc.totalExclTaxCents, lang));
        s.totals.emplace_back(l.totalVat, formatMoney(doc.totalVatCents, lang));
        s.totals.emplace_back(l.totalInclTax, formatMoney(doc.totalInclTaxCents, lang));
    } else {
        s.totals.emplace_back(l.total, formatMoney(doc.totalInclTaxCents, lang));
    }
    if (doc.paidCents > 0) {
        s.totals.emplace_back(l.alreadyPaid, formatMoney(doc.paidCents, lang));
        s.totals.emplace_back(l.amountDue, formatMoney(doc.totalInclTaxCents - doc.paidCents, lang));
    }

    if (!doc.vatApplicable && !doc.vatExemptionMention.empty()) {
        s.notes.push_back(doc.vatExemptionMention);
    }
    if (!doc.paymentTerms.empty()) {
        s.notes.push_back(doc.paymentTerms);
    }
    if (invoice) {
        // Mandatory even when there is none (art. L441-9 of the Code de commerce).
        s.notes.push_back(l.noDiscount);
        if (!doc.paymentMethods.empty()) {
            s.notes.push_back(std::string(l.paymentMethods) + " " + methodsText(doc.paymentMethods, l));
        }
    }
    const bool transfers = doc.paymentMethods.empty() ||
                           std::find(doc.paymentMethods.begin(), doc.paymentMethods.end(), "transfer") !=
                               doc.paymentMethods.end();
    // A draft has no number yet, hence no transfer reference to give.
    if (invoice && transfers && !doc.draft && !doc.number.empty()) {
        s.notes.push_back(std::string(l.transferReference) + " " + doc.number);
    }
    if (transfers && !doc.iban.empty()) {
        s.notes.push_back(std::string(l.iban) + " " + doc.iban);
    }
    if (transfers && !doc.bic.empty()) {
        s.notes.push_back(std::string(l.bic) + " " + doc.bic);
    }
    // Late-payment mentions concern invoices to professional buyers only (never consumers).
    if (invoice && doc.professionalBuyer) {
        s.notes.push_back(std::string(l.latePenalties) + " " + doc.latePenaltyRate);
        s.notes.push_back(l.recoveryIndemnity);
    }
    return s;
}

std::vector<std::string> invoiceTextLines(const InvoiceDocument& doc) {
    const InvoiceSections s = invoiceSections(doc);
    std::vector<std::string> out{s.title};
    out.insert(out.end(), s.meta.begin(), s.meta.end());
    out.insert(out.end(), s.seller.begin(), s.seller.end());
    out.insert(out.end(), s.buyer.begin(), s.buyer.end());
    auto joined = [](const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            line += (i == 0 ? "" : " | ") + cells[i];
        }
        return line;
    };
    out.push_back(joined(s.tableHeader));
    for (const auto& row : s.rows) {
        out.push_back(joined(row));
    }
    for (const auto& [label, amount] : s.totals) {
        out.push_back(label + " " + amount);
    }
    out.insert(out.end(), s.notes.begin(), s.notes.end());
    return out;
}

std::string invoiceHtmlStyle() {
    return std::string("\n") + kStyle;
}

std::string renderInvoiceHtml(const InvoiceDocument& doc) {
    const InvoiceSections s = invoiceSections(doc);
    std::string html = "<!DOCTYPE html>\n<html lang=\"" + escape(doc.language == "en" ? "en" : "fr") +
                       "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(s.title) +
                       "</title>\n<style>" + invoiceHtmlStyle() +
                       "</style>\n</head>\n<body>\n<header>\n<h1>" + escape(s.title) + "</h1>\n";
    appendParagraphs(html, s.meta, 0, "meta");
    html += "</header>\n<section class=\"parties\">\n";
    for (const auto* party : {&s.seller, &s.buyer}) {
        html += "<div class=\"party\">\n<h2>" + escape(party->front()) + "</h2>\n<p class=\"name\">" +
                escape(party->at(1)) + "</p>\n";
        appendParagraphs(html, *party, 2, "details");
        html += "</div>\n";
    }
    html += "</section>\n<table class=\"lines\">\n<thead>\n<tr>";
    for (std::size_t i = 0; i < s.tableHeader.size(); ++i) {
        html += std::string(i == 0 ? "<th>" : "<th class=\"num\">") + escape(s.tableHeader[i]) + "</th>";
    }
    html += "</tr>\n</thead>\n<tbody>\n";
    for (const auto& row : s.rows) {
        html += "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i) {
            html += std::string(i == 0 ? "<td>" : "<td class=\"num\">") + escape(row[i]) + "</td>";
        }
        html += "</tr>\n";
    }
    html += "</tbody>\n</table>\n<table class=\"totals\">\n";
    for (const auto& [label, amount] : s.totals) {
        html += "<tr><td>" + escape(label) + "</td><td class=\"num\">" + escape(amount) + "</td></tr>\n";
    }
    html += "</table>\n<section class=\"notes\">\n";
    for (const std::string& note : s.notes) {
        html += "<p>" + escape(note) + "</p>\n";
    }
    html += "</section>\n</body>\n</html>\n";
    return html;
}

}  // namespace chatiere::manager
