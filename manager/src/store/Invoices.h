#pragma once

#include "chatiere/manager/Database.h"
#include "core/States.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// The seller or the buyer, as printed on an invoice (a copy kept with it, never the live row).
struct DocumentParty {
    std::string name;
    std::vector<std::string> addressLines;  // street, postal code and city, country
    std::string siren;                      // or SIRET (14 digits), may be empty
    std::string rna;                        // répertoire national des associations (W…), may be empty
    std::string vatNumber;                  // may be empty
    std::string email;
};

struct InvoiceLine {
    std::string kind;  // fee | membership | proration | overage | credit
    std::string descriptionFr;
    std::string descriptionEn;
    int64_t quantityMilli = 1000;
    std::string unit;
    int64_t unitPriceCents = 0;
    int vatRateBasisPoints = 0;
    int64_t amountCents = 0;  // HT, rounded once
    std::optional<std::string> periodStart;
    std::optional<std::string> periodEnd;
};

// An invoice or a credit note (avoir). A draft has no number; finalizing gives it the next number
// of its yearly sequence, and from then on it is never edited or deleted: only its status moves
// (paid, or cancelled by a credit note for its whole amount).
struct Invoice {
    std::string id;
    std::string kind = "invoice";  // invoice | credit_note
    std::string associationId;
    std::optional<std::string> subscriptionId;
    std::optional<std::string> creditedInvoiceId;  // credit notes
    InvoiceStatus status = InvoiceStatus::Draft;
    std::optional<std::string> number;
    std::optional<std::string> periodStart;
    std::optional<std::string> periodEnd;  // exclusive
    std::optional<std::string> issueDate;
    std::optional<std::string> dueDate;
    int64_t totalCents = 0;  // HT
    int64_t vatCents = 0;
    int64_t totalInclCents = 0;  // TTC
    DocumentParty buyer;
    DocumentParty seller;
    std::optional<std::string> reason;      // credit notes
    std::optional<std::string> finalizeOn;  // drafts kept for review: finalized that day
    std::string createdAt;
    std::optional<std::string> finalizedAt;
    std::optional<std::string> paidAt;
    std::vector<InvoiceLine> lines;
};

struct Payment {
    std::string id;
    std::string associationId;
    std::optional<std::string> invoiceId;
    int64_t amountCents = 0;
    std::string method;  // transfer | cheque | cash | card | helloasso | credit
    std::string reference;
    std::string date;
    std::string recordedBy;
    std::string createdAt;
};

// What a payment or a credit note of an association still holds, not allocated yet.
struct CreditSource {
    std::optional<std::string> payment;
    std::optional<std::string> creditNote;
    int64_t left = 0;
};

// A row of the accountant's exports.
struct InvoiceExportRow {
    std::string number, kind, issueDate, dueDate, associationId, buyerName, periodStart, periodEnd;
    int64_t totalCents = 0, vatCents = 0, totalInclCents = 0;
    std::string status, creditedNumber;
};
struct PaymentExportRow {
    std::string date, associationId, invoiceNumber;
    int64_t amountCents = 0;
    std::string method, reference, recordedBy;
};

// Invoices and credit notes with their lines, their numbering sequences, payments, allocations
// and dunning steps.
class InvoiceRepository {
public:
    explicit InvoiceRepository(Session& session) : session_(session) {}

    // Inserted as a draft: the number comes only at finalization.
    void insert(const Invoice& invoice);
    std::optional<Invoice> find(const std::string& id);
    // Newest first; both filters optional.
    std::vector<Invoice> list(const std::optional<std::string>& associationId,
                              const std::optional<std::string>& kind, int limit);
    // Finalized invoices with money still due whose due date is before `date`, oldest first;
    // without their lines.
    std::vector<Invoice> overdue(const std::string& date);
    // Finalized, still due, oldest first (where a credit balance goes); without their lines.
    std::vector<Invoice> open(const std::string& associationId);
    std::vector<Invoice> draftsToFinalize(const std::string& date);

    // Gives the invoice its number — the next of its kind's sequence for the issue date's year —
    // in the caller's BEGIN IMMEDIATE transaction, so that numbers are gapless and unique.
    std::string finalize(Invoice& invoice, const std::string& issueDate,
                         const std::optional<std::string>& dueDate, const std::string& at);
    void setStatus(const std::string& id, InvoiceStatus status, const std::optional<std::string>& paidAt);
    void removeDraft(const std::string& id);

    // What settles invoices: part of a payment or of a credit note.
    void allocate(const std::string& associationId, const std::string& invoiceId,
                  const std::optional<std::string>& paymentId, const std::optional<std::string>& creditNoteId,
                  int64_t amountCents, const std::string& at);
    int64_t allocated(const std::string& invoiceId);
    // What credit notes citing the invoice took off it.
    int64_t credited(const std::string& invoiceId);
    // Payments and credit notes of the association not yet allocated to an invoice.
    int64_t creditBalance(const std::string& associationId);
    // The same, each payment and credit note with what it still holds (> 0), oldest first.
    std::vector<CreditSource> creditSources(const std::string& associationId);

    void insertPayment(const Payment& payment);

    // Records a dunning step of an invoice; false when it was recorded already.
    bool recordDunningStep(const std::string& invoiceId, const std::string& step, const std::string& at);
    // Associations with a service suspended for `reason` (dunning's `unpaid`).
    std::vector<std::string> associationsSuspendedFor(const std::string& reason);

    // The invoices and credit notes numbered, or the payments received, in [from, to).
    std::vector<InvoiceExportRow> exportInvoices(const std::string& from, const std::string& to);
    std::vector<PaymentExportRow> exportPayments(const std::string& from, const std::string& to);

private:
    void readLines(Invoice& invoice);
    Session& session_;
};

std::string partyToText(const DocumentParty& party);
DocumentParty partyFromText(const std::string& text);

}  // namespace chatiere::manager
