#include "billing/InvoiceIssuer.h"

#include "billing/Money.h"
#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Ids.h"
#include "domain/AuditLog.h"

#include <algorithm>

namespace chatiere::manager {

void computeTotals(Invoice& invoice) {
    invoice.totalCents = 0;
    invoice.vatCents = 0;
    for (const auto& line : invoice.lines) {
        invoice.totalCents += line.amountCents;
        invoice.vatCents += divideRounded(line.amountCents * line.vatRateBasisPoints, 10'000);
    }
    invoice.totalInclCents = invoice.totalCents + invoice.vatCents;
}

InvoiceIssuer::InvoiceIssuer(const Settings& settings, AssociationService& associations)
    : settings_(settings), associations_(associations) {}

DocumentParty InvoiceIssuer::seller() const {
    const BillingSettings& b = settings_.billing;
    return DocumentParty{b.sellerName, b.sellerAddress,   b.sellerSiren,
                         b.sellerRna,  b.sellerVatNumber, b.sellerEmail};
}

DocumentParty InvoiceIssuer::buyerOf(const Association& a) {
    // The billing identity as it is now: the invoice keeps this copy, never the association's row.
    DocumentParty p;
    p.name = a.legalName.empty() ? a.name : a.legalName;
    for (const auto& line : {a.address.line1, a.address.line2}) {
        if (!line.empty()) {
            p.addressLines.push_back(line);
        }
    }
    const std::string city =
        a.address.postalCode + (a.address.postalCode.empty() ? "" : " ") + a.address.city;
    if (!city.empty()) {
        p.addressLines.push_back(city);
    }
    if (!a.address.country.empty() && a.address.country != "FR") {
        p.addressLines.push_back(a.address.country);
    }
    p.siren = a.siret ? *a.siret : a.siren.value_or("");  // a SIRET names the SIREN too
    p.rna = a.rna.value_or("");
    p.email = a.billingEmail.empty() ? a.email : a.billingEmail;
    return p;
}

bool InvoiceIssuer::professional(const Association& a) const {
    const auto& kinds = settings_.billing.professionalKinds;
    return std::find(kinds.begin(), kinds.end(), a.kind) != kinds.end();
}

Invoice InvoiceIssuer::issue(Session& s, const Association& a, Invoice invoice, const std::string& today,
                             const std::string& at) {
    invoice.id = newId(invoice.kind == "invoice" ? "inv" : "crn");
    invoice.associationId = a.id;
    invoice.status = InvoiceStatus::Draft;
    invoice.buyer = buyerOf(a);
    invoice.seller = seller();
    invoice.createdAt = at;
    for (auto& line : invoice.lines) {
        line.vatRateBasisPoints = settings_.billing.vatRateBasisPoints;
    }
    computeTotals(invoice);
    const bool review = invoice.kind == "invoice" && settings_.billing.draftDays > 0;
    if (review) {
        invoice.finalizeOn = Calendar::addDays(today, settings_.billing.draftDays);
    }
    InvoiceRepository(s).insert(invoice);
    Poco::JSON::Object details;
    details.set("kind", invoice.kind);
    details.set("total_cents", invoice.totalInclCents);
    AuditLog::record(s, Actor::system("billing"), at, "invoice.create", "invoice", invoice.id, a.id, details);
    if (!review) {
        finalize(s, a, invoice, today, at);
    }
    return invoice;
}

void InvoiceIssuer::finalize(Session& s, const Association& a, Invoice& invoice, const std::string& today,
                             const std::string& at) {
    InvoiceRepository repo(s);
    invoice.buyer = buyerOf(a);
    const std::optional<std::string> due =
        invoice.kind == "invoice"
            ? std::optional<std::string>(Calendar::addDays(today, settings_.billing.paymentDays))
            : std::nullopt;
    const std::string number = repo.finalize(invoice, today, due, at);
    Poco::JSON::Object details;
    details.set("number", number);
    details.set("total_cents", invoice.totalInclCents);
    AuditLog::record(s, Actor::system("billing"), at, "invoice.finalize", "invoice", invoice.id, a.id,
                     details);
    if (invoice.kind == "credit_note" && invoice.creditedInvoiceId) {
        // The credit note first settles what the invoice it corrects still asks for; the rest is
        // the association's credit. Credited in full, the invoice is cancelled.
        if (auto credited = repo.find(*invoice.creditedInvoiceId)) {
            const int64_t take = std::min(dueOf(s, *credited), invoice.totalInclCents);
            if (take > 0) {
                repo.allocate(a.id, credited->id, std::nullopt, invoice.id, take, at);
            }
            if (repo.credited(credited->id) >= credited->totalInclCents) {
                repo.setStatus(credited->id, InvoiceStatus::Cancelled, credited->paidAt);
            } else if (credited->status == InvoiceStatus::Finalized && dueOf(s, *credited) == 0) {
                repo.setStatus(credited->id, InvoiceStatus::Paid, at);
            }
        }
    }
    const bool settled = settle(s, a.id, at);
    if (invoice.kind != "invoice") {
        return;
    }
    // Nothing allocated: a draft just numbered has no allocation yet, it is due in full.
    const int64_t remaining = settled ? dueOf(s, invoice) : invoice.totalInclCents;
    const int64_t fromCredit = invoice.totalInclCents - remaining;
    associations_.notifyManagers(
        s, a, "invoice_issued",
        {{"number", number},
         {"amount_fr", formatMoney(invoice.totalInclCents, "fr")},
         {"amount_en", formatMoney(invoice.totalInclCents, "en")},
         {"due_fr", formatDate(*invoice.dueDate, "fr")},
         {"due_en", formatDate(*invoice.dueDate, "en")},
         {"credit_fr", fromCredit > 0 ? "Votre avoir en couvre " + formatMoney(fromCredit, "fr") +
                                            " ; reste à payer : " + formatMoney(remaining, "fr") + ".\n"
                                      : ""},
         {"credit_en", fromCredit > 0 ? "Your credit covers " + formatMoney(fromCredit, "en") +
                                            "; amount due: " + formatMoney(remaining, "en") + ".\n"
                                      : ""},
         {"link", settings_.publicUrl + "/associations/" + a.id + "/invoices/" + invoice.id}});
    associations_.mailQueued();
}

int64_t InvoiceIssuer::dueOf(Session& s, const Invoice& invoice) {
    if (invoice.kind != "invoice" || invoice.status == InvoiceStatus::Cancelled ||
        invoice.status == InvoiceStatus::Draft) {
        return 0;
    }
    return std::max<int64_t>(0, invoice.totalInclCents - InvoiceRepository(s).allocated(invoice.id));
}

bool InvoiceIssuer::settle(Session& s, const std::string& associationId, const std::string& at,
                           const std::optional<std::string>& first) {
    InvoiceRepository repo(s);
    // What each payment and credit note still holds, oldest first.
    std::vector<CreditSource> sources = repo.creditSources(associationId);
    if (sources.empty()) {
        return false;
    }
    auto open = repo.open(associationId);
    std::stable_partition(open.begin(), open.end(),
                          [&](const Invoice& i) { return first && i.id == *first; });
    for (auto& invoice : open) {
        int64_t due = dueOf(s, invoice);
        for (auto& source : sources) {
            if (due <= 0) {
                break;
            }
            const int64_t take = std::min(due, source.left);
            if (take <= 0) {
                continue;
            }
            repo.allocate(associationId, invoice.id, source.payment, source.creditNote, take, at);
            source.left -= take;
            due -= take;
        }
        if (due <= 0) {
            repo.setStatus(invoice.id, InvoiceStatus::Paid, at);
            Poco::JSON::Object details;
            details.set("number", invoice.number.value_or(""));
            AuditLog::record(s, Actor::system("billing"), at, "invoice.paid", "invoice", invoice.id,
                             associationId, details);
        }
    }
    return true;
}

}  // namespace chatiere::manager
