#include "store/Invoices.h"

#include "chatiere/manager/Error.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <sstream>

namespace chatiere::manager {

namespace {

#define INVOICE_COLUMNS                                                                                   \
    "id, kind, association_id, subscription_id, credited_invoice_id, status, number, period_start, "      \
    "period_end, issue_date, due_date, total_cents, vat_cents, total_incl_cents, buyer, seller, reason, " \
    "finalize_on, created_at, finalized_at, paid_at"

// Read by index, in the order of INVOICE_COLUMNS.
Invoice invoiceFrom(const Row& r) {
    Invoice i;
    i.id = r.text(0);
    i.kind = r.text(1);
    i.associationId = r.text(2);
    i.subscriptionId = r.optText(3);
    i.creditedInvoiceId = r.optText(4);
    i.status = storedState<InvoiceStatus>(r.text(5), "invoices.status");
    i.number = r.optText(6);
    i.periodStart = r.optText(7);
    i.periodEnd = r.optText(8);
    i.issueDate = r.optText(9);
    i.dueDate = r.optText(10);
    i.totalCents = r.integer(11);
    i.vatCents = r.integer(12);
    i.totalInclCents = r.integer(13);
    i.buyer = partyFromText(r.text(14));
    i.seller = partyFromText(r.text(15));
    i.reason = r.optText(16);
    i.finalizeOn = r.optText(17);
    i.createdAt = r.text(18);
    i.finalizedAt = r.optText(19);
    i.paidAt = r.optText(20);
    return i;
}

InvoiceLine lineFrom(const Row& r) {
    InvoiceLine l;
    l.kind = r.text(0);
    l.descriptionFr = r.text(1);
    l.descriptionEn = r.text(2);
    l.quantityMilli = r.integer(3);
    l.unit = r.text(4);
    l.unitPriceCents = r.integer(5);
    l.vatRateBasisPoints = static_cast<int>(r.integer(6));
    l.amountCents = r.integer(7);
    l.periodStart = r.optText(8);
    l.periodEnd = r.optText(9);
    return l;
}

constexpr const char* kFind = "SELECT " INVOICE_COLUMNS " FROM invoices WHERE id = ?";
// LIMIT -1: no limit.
constexpr const char* kList = "SELECT " INVOICE_COLUMNS
                              " FROM invoices WHERE (?1 = '' OR association_id = ?1) AND (?2 = '' OR kind = "
                              "?2) ORDER BY created_at DESC, id DESC LIMIT ?3";
constexpr const char* kOverdue =
    "SELECT " INVOICE_COLUMNS
    " FROM invoices WHERE kind = 'invoice' AND status = 'finalized' AND due_date "
    "< ? ORDER BY due_date, number";
constexpr const char* kOpen = "SELECT " INVOICE_COLUMNS
                              " FROM invoices WHERE kind = 'invoice' AND status = 'finalized' AND "
                              "association_id = ? ORDER BY issue_date, number";
constexpr const char* kDrafts = "SELECT " INVOICE_COLUMNS
                                " FROM invoices WHERE status = 'draft' AND finalize_on IS NOT NULL AND "
                                "finalize_on <= ? ORDER BY created_at, id";
constexpr const char* kLines =
    "SELECT kind, description_fr, description_en, quantity_milli, unit, unit_price_cents, vat_rate_bp, "
    "amount_cents, period_start, period_end FROM invoice_lines WHERE invoice_id = ? ORDER BY position";

#undef INVOICE_COLUMNS

Poco::JSON::Array strings(const std::vector<std::string>& items) {
    Poco::JSON::Array out;
    for (const auto& i : items) {
        out.add(i);
    }
    return out;
}

}  // namespace

std::string partyToText(const DocumentParty& p) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("name", p.name);
    o.set("address", strings(p.addressLines));
    o.set("siren", p.siren);
    o.set("rna", p.rna);
    o.set("vat_number", p.vatNumber);
    o.set("email", p.email);
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

DocumentParty partyFromText(const std::string& text) {
    Poco::JSON::Parser parser;
    const auto o = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    DocumentParty p;
    p.name = o->optValue<std::string>("name", "");
    if (const auto lines = o->getArray("address")) {
        for (std::size_t i = 0; i < lines->size(); ++i) {
            p.addressLines.push_back(lines->getElement<std::string>(static_cast<unsigned>(i)));
        }
    }
    p.siren = o->optValue<std::string>("siren", "");
    p.rna = o->optValue<std::string>("rna", "");
    p.vatNumber = o->optValue<std::string>("vat_number", "");
    p.email = o->optValue<std::string>("email", "");
    return p;
}

void InvoiceRepository::insert(const Invoice& v) {
    session_.execute(
        "INSERT INTO invoices (id, kind, association_id, subscription_id, credited_invoice_id, status, "
        "number, "
        "period_start, period_end, issue_date, due_date, total_cents, vat_cents, total_incl_cents, buyer, "
        "seller, reason, finalize_on, created_at) VALUES (?, ?, ?, ?, ?, 'draft', NULL, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?)",
        v.id, v.kind, v.associationId, v.subscriptionId, v.creditedInvoiceId, v.periodStart, v.periodEnd,
        v.issueDate, v.dueDate, v.totalCents, v.vatCents, v.totalInclCents, partyToText(v.buyer),
        partyToText(v.seller), v.reason, v.finalizeOn, v.createdAt);
    int position = 0;
    for (const auto& line : v.lines) {
        session_.execute(
            "INSERT INTO invoice_lines (invoice_id, position, kind, description_fr, description_en, "
            "quantity_milli, unit, unit_price_cents, vat_rate_bp, amount_cents, period_start, period_end) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            v.id, position, line.kind, line.descriptionFr, line.descriptionEn, line.quantityMilli, line.unit,
            line.unitPriceCents, line.vatRateBasisPoints, line.amountCents, line.periodStart, line.periodEnd);
        ++position;
    }
}

std::string InvoiceRepository::finalize(Invoice& invoice, const std::string& issueDate,
                                        const std::optional<std::string>& dueDate, const std::string& at) {
    if (invoice.status != InvoiceStatus::Draft) {
        throw Error(ErrorKind::Conflict, "already_finalized", "This document is already finalized.");
    }
    const int year = std::stoi(issueDate.substr(0, 4));
    const int64_t seq = session_
                            .integer(
                                "INSERT INTO invoice_sequences (kind, year, last) VALUES (?, ?, 1) "
                                "ON CONFLICT (kind, year) DO UPDATE SET last = last + 1 RETURNING last",
                                invoice.kind, year)
                            .value_or(0);
    char number[32];
    std::snprintf(number, sizeof number, "%s-%04d-%06lld", invoice.kind == "invoice" ? "F" : "A", year,
                  static_cast<long long>(seq));
    const std::string text = number;
    session_.execute(
        "UPDATE invoices SET status = 'finalized', number = ?, number_year = ?, number_seq = ?, "
        "issue_date = ?, due_date = ?, buyer = ?, finalize_on = NULL, finalized_at = ? WHERE id = "
        "? AND status = 'draft'",
        text, year, seq, issueDate, dueDate, partyToText(invoice.buyer), at, invoice.id);
    invoice.status = InvoiceStatus::Finalized;
    invoice.number = text;
    invoice.issueDate = issueDate;
    invoice.dueDate = dueDate;
    invoice.finalizeOn.reset();
    invoice.finalizedAt = at;
    return text;
}

void InvoiceRepository::setStatus(const std::string& id, InvoiceStatus status,
                                  const std::optional<std::string>& paidAt) {
    session_.execute("UPDATE invoices SET status = ?, paid_at = ? WHERE id = ? AND status != 'draft'",
                     wireName(status), paidAt, id);
}

void InvoiceRepository::removeDraft(const std::string& id) {
    session_.execute(
        "DELETE FROM invoice_lines WHERE invoice_id = (SELECT id FROM invoices WHERE id = ? AND "
        "status = 'draft')",
        id);
    session_.execute("UPDATE billing_events SET invoice_id = NULL WHERE invoice_id = ?", id);
    session_.execute("DELETE FROM invoices WHERE id = ? AND status = 'draft'", id);
}

void InvoiceRepository::allocate(const std::string& associationId, const std::string& invoiceId,
                                 const std::optional<std::string>& paymentId,
                                 const std::optional<std::string>& creditNoteId, int64_t amountCents,
                                 const std::string& at) {
    session_.execute(
        "INSERT INTO allocations (association_id, invoice_id, payment_id, credit_note_id, "
        "amount_cents, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        associationId, invoiceId, paymentId, creditNoteId, amountCents, at);
}

int64_t InvoiceRepository::allocated(const std::string& invoiceId) {
    return session_
        .integer("SELECT COALESCE(SUM(amount_cents), 0) FROM allocations WHERE invoice_id = ?", invoiceId)
        .value_or(0);
}

int64_t InvoiceRepository::credited(const std::string& invoiceId) {
    return session_
        .integer(
            "SELECT COALESCE(SUM(total_incl_cents), 0) FROM invoices WHERE kind = 'credit_note' AND "
            "credited_invoice_id = ? AND status != 'draft'",
            invoiceId)
        .value_or(0);
}

int64_t InvoiceRepository::creditBalance(const std::string& associationId) {
    return session_
        .integer(
            "SELECT (SELECT COALESCE(SUM(amount_cents), 0) FROM payments WHERE association_id = ?1) + "
            "(SELECT COALESCE(SUM(total_incl_cents), 0) FROM invoices WHERE association_id = ?1 AND kind "
            "= 'credit_note' AND status != 'draft') - (SELECT COALESCE(SUM(amount_cents), 0) FROM "
            "allocations WHERE association_id = ?1)",
            associationId)
        .value_or(0);
}

std::vector<CreditSource> InvoiceRepository::creditSources(const std::string& associationId) {
    std::vector<CreditSource> sources;
    session_.each(
        "SELECT 'p' AS type, p.id, p.amount_cents - COALESCE((SELECT SUM(amount_cents) FROM allocations "
        "WHERE "
        "payment_id = p.id), 0) AS left, p.date AS d, p.created_at AS c FROM payments p WHERE "
        "p.association_id = ?1 UNION ALL SELECT 'c', i.id, i.total_incl_cents - COALESCE((SELECT "
        "SUM(amount_cents) FROM allocations WHERE credit_note_id = i.id), 0), i.issue_date, i.created_at "
        "FROM "
        "invoices i WHERE i.association_id = ?1 AND i.kind = 'credit_note' AND i.status != 'draft' ORDER BY "
        "d, "
        "c",
        [&](const Row& r) {
            const int64_t left = r.integer(2);
            if (left <= 0) {
                return;
            }
            if (r.text(0) == "p") {
                sources.push_back({r.text(1), std::nullopt, left});
            } else {
                sources.push_back({std::nullopt, r.text(1), left});
            }
        },
        associationId);
    return sources;
}

void InvoiceRepository::insertPayment(const Payment& p) {
    session_.execute(
        "INSERT INTO payments (id, association_id, invoice_id, amount_cents, method, reference, "
        "date, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        p.id, p.associationId, p.invoiceId, p.amountCents, p.method, p.reference, p.date, p.recordedBy,
        p.createdAt);
}

bool InvoiceRepository::recordDunningStep(const std::string& invoiceId, const std::string& step,
                                          const std::string& at) {
    return session_.execute(
               "INSERT INTO dunning_steps (invoice_id, step, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
               invoiceId, step, at) == 1;
}

std::vector<std::string> InvoiceRepository::associationsSuspendedFor(const std::string& reason) {
    return session_.query(
        "SELECT DISTINCT association_id FROM services WHERE (',' || suspended_for || ',') LIKE '%,' || ? || "
        "',%'",
        [](const Row& r) { return r.text(0); }, reason);
}

std::vector<InvoiceExportRow> InvoiceRepository::exportInvoices(const std::string& from,
                                                                const std::string& to) {
    return session_.query(
        "SELECT i.number, i.kind, i.issue_date, i.due_date, i.association_id, i.buyer, i.period_start, "
        "i.period_end, i.total_cents, i.vat_cents, i.total_incl_cents, i.status, c.number AS credited FROM "
        "invoices i LEFT JOIN invoices c ON c.id = i.credited_invoice_id WHERE i.number IS NOT NULL AND "
        "i.issue_date >= ? AND i.issue_date < ? ORDER BY i.kind DESC, i.number_year, i.number_seq",
        [](const Row& r) {
            return InvoiceExportRow{r.text(0),    r.text(1),     r.text(2),
                                    r.text(3),    r.text(4),     partyFromText(r.text(5)).name,
                                    r.text(6),    r.text(7),     r.integer(8),
                                    r.integer(9), r.integer(10), r.text(11),
                                    r.text(12)};
        },
        from, to);
}

std::vector<PaymentExportRow> InvoiceRepository::exportPayments(const std::string& from,
                                                                const std::string& to) {
    return session_.query(
        "SELECT p.date, p.association_id, i.number, p.amount_cents, p.method, p.reference, p.recorded_by "
        "FROM "
        "payments p LEFT JOIN invoices i ON i.id = p.invoice_id WHERE p.date >= ? AND p.date < ? ORDER BY "
        "p.date, p.created_at",
        [](const Row& r) {
            return PaymentExportRow{r.text(0), r.text(1), r.text(2), r.integer(3),
                                    r.text(4), r.text(5), r.text(6)};
        },
        from, to);
}

void InvoiceRepository::readLines(Invoice& invoice) {
    invoice.lines = session_.query(kLines, lineFrom, invoice.id);
}

std::optional<Invoice> InvoiceRepository::find(const std::string& id) {
    auto found = session_.first(kFind, invoiceFrom, id);
    if (found) {
        readLines(*found);
    }
    return found;
}

std::vector<Invoice> InvoiceRepository::list(const std::optional<std::string>& associationId,
                                             const std::optional<std::string>& kind, int limit) {
    auto out = session_.query(kList, invoiceFrom, associationId.value_or(""), kind.value_or(""),
                              limit > 0 ? limit : -1);
    for (auto& i : out) {
        readLines(i);
    }
    return out;
}

std::vector<Invoice> InvoiceRepository::overdue(const std::string& date) {
    return session_.query(kOverdue, invoiceFrom, date);
}

std::vector<Invoice> InvoiceRepository::open(const std::string& associationId) {
    return session_.query(kOpen, invoiceFrom, associationId);
}

std::vector<Invoice> InvoiceRepository::draftsToFinalize(const std::string& date) {
    auto out = session_.query(kDrafts, invoiceFrom, date);
    for (auto& i : out) {
        readLines(i);
    }
    return out;
}

}  // namespace chatiere::manager
