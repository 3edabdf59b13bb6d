#include "billing/Invoices.h"

#include "billing/Money.h"
#include "chatiere/manager/Error.h"
#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <sstream>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

namespace {

constexpr const char* kColumns =
    "id, kind, association_id, subscription_id, credited_invoice_id, status, number, period_start, "
    "period_end, issue_date, due_date, total_cents, vat_cents, total_incl_cents, buyer, seller, reason, "
    "finalize_on, created_at, finalized_at, paid_at";

Poco::Dynamic::Var orNull(const std::optional<std::string>& v) {
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

Poco::JSON::Array strings(const std::vector<std::string>& items) {
    Poco::JSON::Array out;
    for (const auto& i : items) {
        out.add(i);
    }
    return out;
}

}  // namespace

void computeTotals(Invoice& invoice) {
    invoice.totalCents = 0;
    invoice.vatCents = 0;
    for (const auto& line : invoice.lines) {
        invoice.totalCents += line.amountCents;
        invoice.vatCents += divideRounded(line.amountCents * line.vatRateBasisPoints, 10'000);
    }
    invoice.totalInclCents = invoice.totalCents + invoice.vatCents;
}

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

// Inserted as a draft: the number comes only at finalization.
void InvoiceRepository::insert(const Invoice& invoice) {
    Invoice v = invoice;
    auto subscription = nullable(v.subscriptionId);
    auto credited = nullable(v.creditedInvoiceId);
    auto periodStart = nullable(v.periodStart);
    auto periodEnd = nullable(v.periodEnd);
    auto issue = nullable(v.issueDate);
    auto due = nullable(v.dueDate);
    auto reason = nullable(v.reason);
    auto finalizeOn = nullable(v.finalizeOn);
    std::string buyer = partyToText(v.buyer);
    std::string seller = partyToText(v.seller);
    session_
        << "INSERT INTO invoices (id, kind, association_id, subscription_id, credited_invoice_id, status, "
           "number, period_start, period_end, issue_date, due_date, total_cents, vat_cents, "
           "total_incl_cents, buyer, seller, reason, finalize_on, created_at) VALUES (?, ?, ?, ?, ?, "
           "'draft', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(v.id), use(v.kind), use(v.associationId), use(subscription), use(credited), use(periodStart),
        use(periodEnd), use(issue), use(due), use(v.totalCents), use(v.vatCents), use(v.totalInclCents),
        use(buyer), use(seller), use(reason), use(finalizeOn), use(v.createdAt), now;
    int position = 0;
    for (auto& line : v.lines) {
        auto ls = nullable(line.periodStart);
        auto le = nullable(line.periodEnd);
        session_
            << "INSERT INTO invoice_lines (invoice_id, position, kind, description_fr, description_en, "
               "quantity_milli, unit, unit_price_cents, vat_rate_bp, amount_cents, period_start, period_end) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(v.id), bind(position), use(line.kind), use(line.descriptionFr), use(line.descriptionEn),
            use(line.quantityMilli), use(line.unit), use(line.unitPriceCents), use(line.vatRateBasisPoints),
            use(line.amountCents), use(ls), use(le), now;
        ++position;
    }
}

std::string InvoiceRepository::finalize(Invoice& invoice, const std::string& issueDate,
                                        const std::optional<std::string>& dueDate, const std::string& at) {
    if (invoice.status != "draft") {
        throw Error(ErrorKind::Conflict, "already_finalized", "This document is already finalized.");
    }
    const int year = std::stoi(issueDate.substr(0, 4));
    const std::string kind = invoice.kind;
    session_ << "INSERT INTO invoice_sequences (kind, year, last) VALUES (?, ?, 1) "
                "ON CONFLICT (kind, year) DO UPDATE SET last = last + 1",
        bind(kind), bind(year), now;
    int64_t seq = 0;
    session_ << "SELECT last FROM invoice_sequences WHERE kind = ? AND year = ?", bind(kind), bind(year),
        into(seq), now;
    char number[32];
    std::snprintf(number, sizeof number, "%s-%04d-%06lld", kind == "invoice" ? "F" : "A", year,
                  static_cast<long long>(seq));
    std::string text = number;
    auto due = nullable(dueDate);
    std::string buyer = partyToText(invoice.buyer);
    session_
        << "UPDATE invoices SET status = 'finalized', number = ?, number_year = ?, number_seq = ?, "
           "issue_date = ?, "
           "due_date = ?, buyer = ?, finalize_on = NULL, finalized_at = ? WHERE id = ? AND status = 'draft'",
        use(text), bind(year), use(seq), bind(issueDate), use(due), use(buyer), bind(at), bind(invoice.id),
        now;
    invoice.status = "finalized";
    invoice.number = text;
    invoice.issueDate = issueDate;
    invoice.dueDate = dueDate;
    invoice.finalizeOn.reset();
    invoice.finalizedAt = at;
    return text;
}

void InvoiceRepository::setStatus(const std::string& id, const std::string& status,
                                  const std::optional<std::string>& paidAt) {
    auto paid = nullable(paidAt);
    session_ << "UPDATE invoices SET status = ?, paid_at = ? WHERE id = ? AND status != 'draft'",
        bind(status), use(paid), bind(id), now;
}

void InvoiceRepository::removeDraft(const std::string& id) {
    session_
        << "DELETE FROM invoice_lines WHERE invoice_id = (SELECT id FROM invoices WHERE id = ? AND status = "
           "'draft')",
        bind(id), now;
    session_ << "UPDATE billing_events SET invoice_id = NULL WHERE invoice_id = ?", bind(id), now;
    session_ << "DELETE FROM invoices WHERE id = ? AND status = 'draft'", bind(id), now;
}

void InvoiceRepository::allocate(const std::string& associationId, const std::string& invoiceId,
                                 const std::optional<std::string>& paymentId,
                                 const std::optional<std::string>& creditNoteId, int64_t amountCents,
                                 const std::string& at) {
    auto payment = nullable(paymentId);
    auto credit = nullable(creditNoteId);
    session_
        << "INSERT INTO allocations (association_id, invoice_id, payment_id, credit_note_id, amount_cents, "
           "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        bind(associationId), bind(invoiceId), use(payment), use(credit), bind(amountCents), bind(at), now;
}

int64_t InvoiceRepository::allocated(const std::string& invoiceId) {
    int64_t sum = 0;
    session_ << "SELECT COALESCE(SUM(amount_cents), 0) FROM allocations WHERE invoice_id = ?",
        bind(invoiceId), into(sum), now;
    return sum;
}

int64_t InvoiceRepository::credited(const std::string& invoiceId) {
    int64_t sum = 0;
    session_ << "SELECT COALESCE(SUM(total_incl_cents), 0) FROM invoices WHERE kind = 'credit_note' AND "
                "credited_invoice_id = ? AND status != 'draft'",
        bind(invoiceId), into(sum), now;
    return sum;
}

int64_t InvoiceRepository::creditBalance(const std::string& associationId) {
    int64_t brought = 0;
    int64_t used = 0;
    session_
        << "SELECT (SELECT COALESCE(SUM(amount_cents), 0) FROM payments WHERE association_id = ?1) + "
           "(SELECT COALESCE(SUM(total_incl_cents), 0) FROM invoices WHERE association_id = ?1 AND kind = "
           "'credit_note' AND status != 'draft')",
        bind(associationId), into(brought), now;
    session_ << "SELECT COALESCE(SUM(amount_cents), 0) FROM allocations WHERE association_id = ?",
        bind(associationId), into(used), now;
    return brought - used;
}

std::optional<Invoice> InvoiceRepository::find(const std::string& id) {
    auto found = select("id = ?", {id}, 1);
    return found.empty() ? std::nullopt : std::optional<Invoice>(std::move(found.front()));
}

std::vector<Invoice> InvoiceRepository::list(const std::optional<std::string>& associationId,
                                             const std::optional<std::string>& kind, int limit) {
    return select(
        "(?1 = '' OR association_id = ?1) AND (?2 = '' OR kind = ?2) ORDER BY created_at DESC, id DESC",
        {associationId.value_or(""), kind.value_or("")}, limit);
}

std::vector<Invoice> InvoiceRepository::overdue(const std::string& date) {
    return select("kind = 'invoice' AND status = 'finalized' AND due_date < ? ORDER BY due_date, number",
                  {date}, -1);
}

std::vector<Invoice> InvoiceRepository::open(const std::string& associationId) {
    return select(
        "kind = 'invoice' AND status = 'finalized' AND association_id = ? ORDER BY issue_date, number",
        {associationId}, -1);
}

std::vector<Invoice> InvoiceRepository::draftsToFinalize(const std::string& date) {
    return select("status = 'draft' AND finalize_on IS NOT NULL AND finalize_on <= ? ORDER BY created_at, id",
                  {date}, -1);
}

std::vector<Invoice> InvoiceRepository::select(const std::string& where,
                                               const std::vector<std::string>& params, int limit) {
    Poco::Data::Statement stmt(session_);
    std::vector<std::string> values = params;
    stmt << "SELECT " << kColumns << " FROM invoices WHERE " << where;
    if (limit > 0) {
        stmt << " LIMIT " << limit;
    }
    for (auto& v : values) {
        stmt, use(v);
    }
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<Invoice> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        Invoice i;
        i.id = text(rs, "id");
        i.kind = text(rs, "kind");
        i.associationId = text(rs, "association_id");
        i.subscriptionId = optText(rs, "subscription_id");
        i.creditedInvoiceId = optText(rs, "credited_invoice_id");
        i.status = text(rs, "status");
        i.number = optText(rs, "number");
        i.periodStart = optText(rs, "period_start");
        i.periodEnd = optText(rs, "period_end");
        i.issueDate = optText(rs, "issue_date");
        i.dueDate = optText(rs, "due_date");
        i.totalCents = integer(rs, "total_cents");
        i.vatCents = integer(rs, "vat_cents");
        i.totalInclCents = integer(rs, "total_incl_cents");
        i.buyer = partyFromText(text(rs, "buyer"));
        i.seller = partyFromText(text(rs, "seller"));
        i.reason = optText(rs, "reason");
        i.finalizeOn = optText(rs, "finalize_on");
        i.createdAt = text(rs, "created_at");
        i.finalizedAt = optText(rs, "finalized_at");
        i.paidAt = optText(rs, "paid_at");
        out.push_back(std::move(i));
    }
    for (auto& i : out) {
        Poco::Data::Statement lines(session_);
        lines << "SELECT kind, description_fr, description_en, quantity_milli, unit, unit_price_cents, "
                 "vat_rate_bp, amount_cents, period_start, period_end FROM invoice_lines WHERE invoice_id = "
                 "? ORDER BY position",
            use(i.id);
        lines.execute();
        Poco::Data::RecordSet ls(lines);
        for (bool more = ls.moveFirst(); more; more = ls.moveNext()) {
            InvoiceLine l;
            l.kind = text(ls, "kind");
            l.descriptionFr = text(ls, "description_fr");
            l.descriptionEn = text(ls, "description_en");
            l.quantityMilli = integer(ls, "quantity_milli");
            l.unit = text(ls, "unit");
            l.unitPriceCents = integer(ls, "unit_price_cents");
            l.vatRateBasisPoints = static_cast<int>(integer(ls, "vat_rate_bp"));
            l.amountCents = integer(ls, "amount_cents");
            l.periodStart = optText(ls, "period_start");
            l.periodEnd = optText(ls, "period_end");
            i.lines.push_back(std::move(l));
        }
    }
    return out;
}

Poco::JSON::Object invoiceSummaryToJson(const Invoice& i) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("id", i.id);
    out.set("kind", i.kind);
    out.set("number", orNull(i.number));
    out.set("status", i.status);
    out.set("total_cents", i.totalInclCents);
    out.set("currency", "EUR");
    out.set("period_start", orNull(i.periodStart));
    out.set("period_end", orNull(i.periodEnd));
    out.set("issue_date", orNull(i.issueDate));
    out.set("due_date", orNull(i.dueDate));
    return out;
}

Poco::JSON::Object invoiceToJson(const Invoice& i, int64_t allocatedCents) {
    Poco::JSON::Object out = invoiceSummaryToJson(i);
    out.set("association_id", i.associationId);
    out.set("subscription_id", orNull(i.subscriptionId));
    out.set("credited_invoice_id", orNull(i.creditedInvoiceId));
    out.set("total_excl_tax_cents", i.totalCents);
    out.set("vat_cents", i.vatCents);
    out.set("paid_cents", allocatedCents);
    out.set("due_cents",
            i.kind == "invoice" && i.status != "cancelled" ? i.totalInclCents - allocatedCents : 0);
    out.set("reason", orNull(i.reason));
    out.set("finalize_on", orNull(i.finalizeOn));
    out.set("created_at", i.createdAt);
    out.set("finalized_at", orNull(i.finalizedAt));
    out.set("paid_at", orNull(i.paidAt));
    Poco::JSON::Object buyer(Poco::JSON_PRESERVE_KEY_ORDER);
    buyer.set("name", i.buyer.name);
    buyer.set("address", strings(i.buyer.addressLines));
    out.set("buyer", buyer);
    Poco::JSON::Array lines;
    for (const auto& l : i.lines) {
        Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
        line.set("kind", l.kind);
        Poco::JSON::Object description;
        description.set("fr", l.descriptionFr);
        description.set("en", l.descriptionEn);
        line.set("description", description);
        line.set("quantity_milli", l.quantityMilli);
        line.set("unit", l.unit);
        line.set("unit_price_cents", l.unitPriceCents);
        line.set("vat_rate_bp", l.vatRateBasisPoints);
        line.set("amount_cents", l.amountCents);
        line.set("period_start", orNull(l.periodStart));
        line.set("period_end", orNull(l.periodEnd));
        lines.add(line);
    }
    out.set("lines", lines);
    return out;
}

}  // namespace chatiere::manager
