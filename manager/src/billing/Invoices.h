#pragma once

#include "billing/InvoiceDocument.h"

#include "chatiere/manager/Database.h"
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

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
    std::string status = "draft";                  // draft | finalized | paid | cancelled
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

// The totals of `lines`: HT is the sum of the rounded lines; VAT is computed per line (rounded
// once) and summed; TTC = HT + VAT.
void computeTotals(Invoice& invoice);

class InvoiceRepository {
public:
    explicit InvoiceRepository(Session& session) : session_(session) {}

    void insert(const Invoice& invoice);
    std::optional<Invoice> find(const std::string& id);
    // Newest first; both filters optional.
    std::vector<Invoice> list(const std::optional<std::string>& associationId,
                              const std::optional<std::string>& kind, int limit);
    // Finalized invoices with money still due whose due date is before `date`, oldest first.
    std::vector<Invoice> overdue(const std::string& date);
    // Finalized, still due, oldest first (where a credit balance goes).
    std::vector<Invoice> open(const std::string& associationId);
    std::vector<Invoice> draftsToFinalize(const std::string& date);

    // Gives the invoice its number — the next of its kind's sequence for the issue date's year —
    // in the caller's BEGIN IMMEDIATE transaction, so that numbers are gapless and unique.
    std::string finalize(Invoice& invoice, const std::string& issueDate,
                         const std::optional<std::string>& dueDate, const std::string& at);
    void setStatus(const std::string& id, const std::string& status,
                   const std::optional<std::string>& paidAt);
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

private:
    std::vector<Invoice> select(const std::string& where, const std::vector<std::string>& params, int limit);
    Session& session_;
};

Poco::JSON::Object invoiceSummaryToJson(const Invoice& invoice);
// Every field and line, with what is paid and due.
Poco::JSON::Object invoiceToJson(const Invoice& invoice, int64_t allocatedCents);
std::string partyToText(const DocumentParty& party);
DocumentParty partyFromText(const std::string& text);

}  // namespace chatiere::manager
