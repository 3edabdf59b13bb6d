#pragma once

#include "chatiere/manager/Settings.h"
#include "domain/AssociationService.h"
#include "store/Associations.h"
#include "store/Invoices.h"

#include "chatiere/manager/Database.h"

#include <optional>
#include <string>

namespace chatiere::manager {

// The totals of `lines`: HT is the sum of the rounded lines; VAT is computed per line (rounded
// once) and summed; TTC = HT + VAT.
void computeTotals(Invoice& invoice);

// Issues invoices and credit notes and settles them, always in the caller's transaction: the
// seller and buyer printed, draft or finalized (with its number and due date) as the settings
// say, the association's credit balance applied, the managers mailed through the outbox.
class InvoiceIssuer {
public:
    InvoiceIssuer(const Settings& settings, AssociationService& associations);

    DocumentParty seller() const;
    static DocumentParty buyerOf(const Association& a);
    bool professional(const Association& a) const;

    // `invoice` has its lines; its totals, parties, id and status are set here. Returns it as stored.
    Invoice issue(Session& s, const Association& a, Invoice invoice, const std::string& today,
                  const std::string& at);
    // A draft gets its number and due date, the credit balance is applied, the managers are mailed.
    void finalize(Session& s, const Association& a, Invoice& invoice, const std::string& today,
                  const std::string& at);
    // Allocates the association's unallocated payments and credit notes to its open invoices, the
    // oldest first (`first` before the others), and marks those settled as paid. Returns whether
    // there was anything to allocate.
    bool settle(Session& s, const std::string& associationId, const std::string& at,
                const std::optional<std::string>& first = std::nullopt);
    // What the invoice still asks for (0 for a cancelled one or a credit note).
    static int64_t dueOf(Session& s, const Invoice& invoice);

    const Settings& settings() const { return settings_; }

private:
    const Settings& settings_;
    AssociationService& associations_;
};

}  // namespace chatiere::manager
