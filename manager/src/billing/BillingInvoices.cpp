#include "billing/BillingErrors.h"
#include "billing/BillingJson.h"
#include "billing/BillingService.h"
#include "billing/Money.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "core/Csv.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"
#include "store/Plans.h"

#include <set>
#include <sstream>

// The invoice side of BillingService: documents, payments, credit notes, exports.

namespace chatiere::manager {

namespace {

const std::set<std::string> kMethods = {"transfer", "cheque", "cash", "card", "helloasso"};

}  // namespace

Invoice BillingService::authorizedInvoice(const Actor& actor, const std::string& id, Permission permission) {
    std::optional<Invoice> invoice;
    {
        auto s = db_.session();
        invoice = InvoiceRepository(s).find(id);
    }
    if (!invoice) {
        throw Error::notFound("Invoice " + id);
    }
    associations_.authorize(actor, invoice->associationId, permission);
    if (invoice->status == InvoiceStatus::Draft && !actor.isStaff()) {
        throw Error::notFound("Invoice " + id);  // drafts are the treasurer's, until finalized
    }
    return *invoice;
}

std::vector<Invoice> BillingService::invoices(const AssociationAccess& access, int limit) {
    access.require(Permission::ViewBilling);
    auto s = db_.session();
    auto all = InvoiceRepository(s).list(access.id(), std::nullopt, limit);
    if (!access.actor().isStaff()) {
        std::erase_if(all, [](const Invoice& i) { return i.status == InvoiceStatus::Draft; });
    }
    return all;
}

std::vector<Invoice> BillingService::invoices(const Actor& actor,
                                              const std::optional<std::string>& associationId, int limit) {
    if (associationId) {
        return invoices(associations_.access(actor, *associationId, Permission::ViewBilling), limit);
    }
    associations_.authorizeGlobal(actor, Permission::RecordPayments);
    auto s = db_.session();
    auto all = InvoiceRepository(s).list(associationId, std::nullopt, limit);
    if (!actor.isStaff()) {
        std::erase_if(all, [](const Invoice& i) { return i.status == InvoiceStatus::Draft; });
    }
    return all;
}

InvoiceDetails BillingService::invoice(const Actor& actor, const std::string& invoiceId) {
    const Invoice i = authorizedInvoice(actor, invoiceId, Permission::ViewBilling);
    auto s = db_.session();
    InvoiceRepository repo(s);
    InvoiceDetails out;
    out.invoice = i;
    out.allocatedCents = repo.allocated(i.id);
    out.creditBalanceCents = repo.creditBalance(i.associationId);
    return out;
}

int64_t BillingService::creditBalance(const Actor& actor, const std::string& associationId) {
    return creditBalance(associations_.access(actor, associationId, Permission::ViewBilling));
}

int64_t BillingService::creditBalance(const AssociationAccess& access) {
    access.require(Permission::ViewBilling);
    auto s = db_.session();
    return InvoiceRepository(s).creditBalance(access.id());
}

InvoiceDocument BillingService::documentOf(const Invoice& i, const std::string& language) {
    auto s = db_.session();
    InvoiceRepository repo(s);
    const auto a = AssociationRepository(s).find(i.associationId);
    InvoiceDocument d;
    d.kind = i.kind == "invoice" ? InvoiceDocument::Kind::Invoice : InvoiceDocument::Kind::CreditNote;
    d.language = language;
    d.draft = i.status == InvoiceStatus::Draft;
    d.number = i.number.value_or("");
    d.issueDate = i.issueDate.value_or(today());
    d.dueDate = i.dueDate.value_or("");
    d.periodStart = i.periodStart.value_or("");
    d.periodEnd = i.periodEnd.value_or("");
    if (i.creditedInvoiceId) {
        if (const auto credited = repo.find(*i.creditedInvoiceId)) {
            d.creditedInvoiceNumber = credited->number.value_or("");
        }
    }
    d.creditReason = i.reason.value_or("");
    d.seller = i.seller;
    d.buyer = i.buyer;
    for (const auto& l : i.lines) {
        d.lines.push_back({language == "en" ? l.descriptionEn : l.descriptionFr, l.quantityMilli, l.unit,
                           l.unitPriceCents, l.vatRateBasisPoints, l.amountCents, l.periodStart.value_or(""),
                           l.periodEnd.value_or("")});
    }
    d.totalExclTaxCents = i.totalCents;
    d.totalVatCents = i.vatCents;
    d.totalInclTaxCents = i.totalInclCents;
    d.paidCents = i.kind == "invoice" ? repo.allocated(i.id) : 0;
    const BillingSettings& b = settings_.billing;
    d.vatApplicable = b.vatRateBasisPoints > 0;
    d.vatExemptionMention = b.vatExemptionMention;
    d.paymentTerms = language == "en"
                         ? "Payment within " + std::to_string(b.paymentDays) + " days of the issue date."
                         : "Paiement à " + std::to_string(b.paymentDays) + " jours de la date d'émission.";
    d.paymentMethods = b.paymentMethods;
    d.iban = b.iban;
    d.bic = b.bic;
    d.professionalBuyer = a && issuer_.professional(*a);
    d.latePenaltyRate = b.latePenaltyRate;
    return d;
}

std::string BillingService::document(const Actor& actor, const std::string& invoiceId,
                                     const std::string& format, const std::string& language) {
    const Invoice i = authorizedInvoice(actor, invoiceId, Permission::ViewBilling);
    const InvoiceDocument d = documentOf(i, language);
    if (format == "html") {
        return renderInvoiceHtml(d);
    }
    return renderInvoicePdf(d, settings_.billing.fontPath);
}

Invoice BillingService::finalizeDraft(const Actor& actor, const std::string& invoiceId) {
    Invoice i = authorizedInvoice(actor, invoiceId, Permission::RecordPayments);
    if (i.status != InvoiceStatus::Draft) {
        throw Error(ErrorKind::Conflict, "already_finalized", "This invoice is already finalized.");
    }
    auto s = db_.session();
    Transaction tx = Transaction::durable(s);
    i = *InvoiceRepository(s).find(invoiceId);
    issuer_.finalize(s, *AssociationRepository(s).find(i.associationId), i, today(), nowText());
    tx.commit();
    return i;
}

InvoiceDetails BillingService::recordPayment(const Actor& actor, const std::string& invoiceId,
                                             const RecordPayment& command) {
    const Invoice target = authorizedInvoice(actor, invoiceId, Permission::RecordPayments);
    FieldErrors errors;
    CommandFields fields(errors);
    const auto amount = fields.required("amount_cents", command.amountCents);
    const auto method = fields.text("method", command.method, true, 20);
    const auto reference = fields.text("reference", command.reference, false, 200);
    const auto date = fields.text("date", command.date, false, 10);
    const std::string day = today();
    if (amount && (*amount <= 0 || *amount > 10 * kMaxPriceCents)) {
        errors.add("amount_cents", "invalid_amount",
                   "A payment in cents from 1 to " + std::to_string(10 * kMaxPriceCents) + ".");
    }
    if (method && !kMethods.count(*method)) {
        errors.add("method", "invalid_method", "One of transfer, cheque, cash, card, helloasso.");
    }
    if (date && (!Calendar::isDate(*date) || *date > day)) {
        errors.add("date", "invalid_date", "A date written YYYY-MM-DD, today or before.");
    }
    errors.throwIfAny();
    if (target.kind != "invoice") {
        throw Error(ErrorKind::Conflict, "not_an_invoice", "Payments go to invoices, not to credit notes.");
    }
    if (target.status == InvoiceStatus::Draft || target.status == InvoiceStatus::Cancelled ||
        target.status == InvoiceStatus::Paid) {
        throw Error(ErrorKind::Conflict, "invoice_" + wireName(target.status),
                    "This invoice is " + wireName(target.status) + ": it takes no payment.");
    }
    std::lock_guard lock(runMutex_);
    auto s = db_.session();
    Transaction tx = Transaction::durable(s);
    const Association a = *AssociationRepository(s).find(target.associationId);
    const std::string at = nowText();
    const std::string paymentId = newId("pay");
    InvoiceRepository(s).insertPayment({paymentId, a.id, target.id, *amount, *method, reference.value_or(""),
                                        date.value_or(day), actor.label, at});
    Poco::JSON::Object details;
    details.set("amount_cents", *amount);
    details.set("method", *method);
    details.set("invoice", target.number.value_or(""));
    AuditLog::record(s, actor, at, "payment.record", "payment", paymentId, a.id, details);
    issuer_.settle(s, a.id, at, target.id);
    const bool queued = Dunning(issuer_, associations_).release(s, a, day, at);
    InvoiceRepository repo(s);
    InvoiceDetails out;
    out.invoice = *repo.find(target.id);
    out.allocatedCents = repo.allocated(target.id);
    out.paymentId = paymentId;
    out.creditBalanceCents = repo.creditBalance(a.id);
    tx.commit();
    if (queued) {
        jobQueued_();
    }
    return out;
}

Invoice BillingService::creditNote(const Actor& actor, const std::string& invoiceId,
                                   const IssueCreditNote& command) {
    const Invoice target = authorizedInvoice(actor, invoiceId, Permission::RecordPayments);
    FieldErrors errors;
    CommandFields fields(errors);
    const auto& amount = command.amountCents;
    const auto reason = fields.text("reason", command.reason, true, 500);
    errors.throwIfAny();
    if (target.kind != "invoice") {
        throw Error(ErrorKind::Conflict, "not_an_invoice",
                    "A credit note corrects an invoice, not a credit note.");
    }
    if (target.status == InvoiceStatus::Draft || target.status == InvoiceStatus::Cancelled) {
        throw Error(ErrorKind::Conflict, "invoice_" + wireName(target.status),
                    "This invoice is " + wireName(target.status) + ": " +
                        (target.status == InvoiceStatus::Draft ? "delete or finalize it instead."
                                                               : "it was credited in full."));
    }
    std::lock_guard lock(runMutex_);
    auto s = db_.session();
    Transaction tx = Transaction::durable(s);
    InvoiceRepository repo(s);
    const int64_t remaining = target.totalInclCents - repo.credited(target.id);
    const int64_t credit = amount.value_or(remaining);
    if (credit <= 0) {
        throw invalidField("amount_cents", "invalid_amount", "A credit note is for more than 0 cents.");
    }
    if (credit > remaining) {
        throw invalidField("amount_cents", "above_remaining",
                           "At most " + std::to_string(remaining) + " cents of invoice " +
                               target.number.value_or("") + " remain to credit.");
    }
    const Association a = *AssociationRepository(s).find(target.associationId);
    const std::string day = today();
    const std::string at = nowText();
    Invoice note;
    note.kind = "credit_note";
    note.subscriptionId = target.subscriptionId;
    note.creditedInvoiceId = target.id;
    note.periodStart = target.periodStart;
    note.periodEnd = target.periodEnd;
    note.reason = *reason;
    InvoiceLine line;
    line.kind = "credit";
    line.descriptionFr = "Avoir sur la facture " + target.number.value_or("") + " : " + *reason;
    line.descriptionEn = "Credit on invoice " + target.number.value_or("") + ": " + *reason;
    const int bp = settings_.billing.vatRateBasisPoints;
    line.unitPriceCents = bp > 0 ? divideRounded(credit * 10'000, 10'000 + bp) : credit;
    line.amountCents = line.unitPriceCents;
    note.lines.push_back(line);
    const Invoice issued = issuer_.issue(s, a, note, day, at);
    Poco::JSON::Object details;
    details.set("invoice", target.number.value_or(""));
    details.set("amount_cents", issued.totalInclCents);
    details.set("reason", *reason);
    AuditLog::record(s, actor, at, "credit_note.create", "invoice", issued.id, a.id, details);
    const bool queued = Dunning(issuer_, associations_).release(s, a, day, at);
    const Invoice stored = *repo.find(issued.id);
    tx.commit();
    if (queued) {
        jobQueued_();
    }
    return stored;
}

std::string BillingService::exportCsv(const Actor& actor, const std::string& what, const std::string& from,
                                      const std::string& to) {
    associations_.authorizeGlobal(actor, Permission::RecordPayments);
    if (!Calendar::isDate(from) || !Calendar::isDate(to)) {
        throw invalidField(Calendar::isDate(from) ? "to" : "from", "invalid_date",
                           "Dates are written YYYY-MM-DD.");
    }
    if (from > to) {
        throw invalidField("from", "invalid_range", "from must not be after to.");
    }
    auto s = db_.session();
    std::ostringstream out;
    InvoiceRepository repo(s);
    if (what == "invoices") {
        out << "number,kind,issue_date,due_date,association_id,buyer,period_start,period_end,"
               "total_excl_tax,vat,total,currency,status,credited_invoice\r\n";
        // Text cells through csv::text (neutralised), amounts through csv::cents (numbers).
        for (const auto& r : repo.exportInvoices(from, to)) {
            out << csv::row({csv::text(r.number), csv::text(r.kind), csv::text(r.issueDate),
                             csv::text(r.dueDate), csv::text(r.associationId), csv::text(r.buyerName),
                             csv::text(r.periodStart), csv::text(r.periodEnd), csv::cents(r.totalCents),
                             csv::cents(r.vatCents), csv::cents(r.totalInclCents), csv::text("EUR"),
                             csv::text(r.status), csv::text(r.creditedNumber)});
        }
    } else if (what == "payments") {
        out << "date,association_id,invoice,amount,currency,method,reference,recorded_by\r\n";
        for (const auto& r : repo.exportPayments(from, to)) {
            out << csv::row({csv::text(r.date), csv::text(r.associationId), csv::text(r.invoiceNumber),
                             csv::cents(r.amountCents), csv::text("EUR"), csv::text(r.method),
                             csv::text(r.reference), csv::text(r.recordedBy)});
        }
    } else {
        throw invalidField("what", "invalid_export", "Export invoices or payments, not '" + what + "'.");
    }
    return out.str();
}

}  // namespace chatiere::manager
