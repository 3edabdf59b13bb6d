// InvoiceIssuer over a real migrated SQLite file, in the caller's transaction: issuing (finalized
// or kept as a draft), numbering, the credit balance applied, credit notes, and the refusals that
// leave the database as it was.

#include "BillingFixture.h"

#include "billing/InvoiceIssuer.h"

using namespace chatiere::manager;
using namespace chatiere::manager::testing;

namespace {

Invoice feeInvoice(int64_t cents) {
    Invoice invoice;
    InvoiceLine line;
    line.kind = "fee";
    line.descriptionFr = "Formule";
    line.descriptionEn = "Plan";
    line.unitPriceCents = cents;
    line.amountCents = cents;
    line.periodStart = "2027-01-10";
    line.periodEnd = "2027-02-10";
    invoice.lines.push_back(line);
    invoice.periodStart = "2027-01-10";
    invoice.periodEnd = "2027-02-10";
    return invoice;
}

class InvoiceIssuerTest : public BillingFixture {
protected:
    void configure(Settings& s) override { s.billing.vatRateBasisPoints = 2000; }

    Invoice issue(InvoiceIssuer& issuer, Invoice invoice, const std::string& today = "2027-01-10") {
        auto s = db_->session();
        Transaction tx(s);
        Invoice out = issuer.issue(s, association(), std::move(invoice), today, today + "T09:00:00Z");
        tx.commit();
        return out;
    }
    void pay(int64_t cents) {
        auto s = db_->session();
        InvoiceRepository(s).insertPayment({"pay_1", association_, std::nullopt, cents, "transfer", "",
                                            "2027-01-05", "admin", "2027-01-05T09:00:00Z"});
    }
};

TEST_F(InvoiceIssuerTest, IssueFinalizesNumbersComputesVatAndMails) {
    InvoiceIssuer issuer(settings_, *associations_);
    Invoice invoice = feeInvoice(1001);
    InvoiceLine second = invoice.lines.front();
    second.kind = "membership";
    second.unitPriceCents = second.amountCents = 333;
    invoice.lines.push_back(second);
    const Invoice issued = issue(issuer, invoice);
    EXPECT_EQ(issued.status, InvoiceStatus::Finalized);
    EXPECT_EQ(issued.number.value_or(""), "F-2027-000001");
    EXPECT_EQ(issued.totalCents, 1334);
    EXPECT_EQ(issued.vatCents, 200 + 67);  // per line, rounded once: 200.2 and 66.6
    EXPECT_EQ(issued.totalInclCents, 1334 + 267);
    EXPECT_EQ(issued.dueDate.value_or(""), "2027-02-09");
    EXPECT_EQ(issued.buyer.name, "Association asso_1");
    EXPECT_EQ(issued.seller.name, "Fab'Lab du Pays");

    auto s = db_->session();
    const auto stored = InvoiceRepository(s).find(issued.id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->number, issued.number);
    EXPECT_EQ(stored->totalInclCents, issued.totalInclCents);
    ASSERT_EQ(stored->lines.size(), 2u);
    EXPECT_EQ(stored->lines[1].vatRateBasisPoints, 2000);
    EXPECT_EQ(stored->buyer.addressLines, (std::vector<std::string>{"1 rue des Lilas", "35000 Rennes"}));
    EXPECT_EQ(InvoiceIssuer::dueOf(s, *stored), issued.totalInclCents);
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE template = 'invoice_issued'"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE action IN ('invoice.create', 'invoice.finalize')"),
              2);

    // The next one takes the next number; a new year starts again at 1.
    EXPECT_EQ(issue(issuer, feeInvoice(100)).number.value_or(""), "F-2027-000002");
    EXPECT_EQ(issue(issuer, feeInvoice(100), "2028-01-02").number.value_or(""), "F-2028-000001");
}

TEST_F(InvoiceIssuerTest, DraftWaitsForReviewThenFinalizingTwiceIsRefused) {
    settings_.billing.draftDays = 5;
    InvoiceIssuer issuer(settings_, *associations_);
    Invoice draft = issue(issuer, feeInvoice(1000));
    EXPECT_EQ(draft.status, InvoiceStatus::Draft);
    EXPECT_FALSE(draft.number);
    EXPECT_EQ(draft.finalizeOn.value_or(""), "2027-01-15");
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 0);
    {
        auto s = db_->session();
        EXPECT_EQ(InvoiceIssuer::dueOf(s, draft), 0);  // a draft asks for nothing yet
        EXPECT_EQ(InvoiceRepository(s).draftsToFinalize("2027-01-15").size(), 1u);
        Transaction tx(s);
        issuer.finalize(s, association(), draft, "2027-01-15", "2027-01-15T09:00:00Z");
        tx.commit();
    }
    EXPECT_EQ(draft.number.value_or(""), "F-2027-000001");
    EXPECT_EQ(draft.dueDate.value_or(""), "2027-02-14");
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE template = 'invoice_issued'"), 1);

    const std::string before = footprint();
    expectError(
        [&] {
            auto s = db_->session();
            Transaction tx(s);
            issuer.finalize(s, association(), draft, "2027-01-16", "2027-01-16T09:00:00Z");
            tx.commit();
        },
        ErrorKind::Conflict, "already_finalized");
    EXPECT_EQ(footprint(), before);
    EXPECT_EQ(count("SELECT last FROM invoice_sequences WHERE kind = 'invoice' AND year = 2027"), 1);
}

TEST_F(InvoiceIssuerTest, CreditBalancePaysTheNextInvoice) {
    settings_.billing.vatRateBasisPoints = 0;
    InvoiceIssuer issuer(settings_, *associations_);
    pay(1500);
    const Invoice first = issue(issuer, feeInvoice(1000));
    const Invoice second = issue(issuer, feeInvoice(1000));
    auto s = db_->session();
    EXPECT_EQ(InvoiceRepository(s).find(first.id)->status, InvoiceStatus::Paid);
    EXPECT_EQ(InvoiceIssuer::dueOf(s, *InvoiceRepository(s).find(first.id)), 0);
    EXPECT_EQ(InvoiceRepository(s).find(second.id)->status, InvoiceStatus::Finalized);
    EXPECT_EQ(InvoiceIssuer::dueOf(s, *InvoiceRepository(s).find(second.id)), 500);
    EXPECT_EQ(InvoiceRepository(s).creditBalance(association_), 0);
    EXPECT_TRUE(InvoiceRepository(s).creditSources(association_).empty());
    // The mail of the second says what the credit covered.
    const auto body =
        text("SELECT body FROM outbox WHERE template = 'invoice_issued' ORDER BY id DESC LIMIT 1");
    EXPECT_NE(body.value_or("").find("5,00"), std::string::npos) << body.value_or("");
}

TEST_F(InvoiceIssuerTest, CreditNoteCancelsTheInvoiceItCreditsInFull) {
    settings_.billing.vatRateBasisPoints = 0;
    InvoiceIssuer issuer(settings_, *associations_);
    const Invoice invoice = issue(issuer, feeInvoice(1000));
    Invoice note = feeInvoice(400);
    note.kind = "credit_note";
    note.creditedInvoiceId = invoice.id;
    note.reason = "geste";
    const Invoice partial = issue(issuer, note);
    EXPECT_EQ(partial.number.value_or(""), "A-2027-000001");
    {
        auto s = db_->session();
        EXPECT_EQ(InvoiceIssuer::dueOf(s, partial), 0);  // a credit note asks for nothing
        EXPECT_EQ(InvoiceIssuer::dueOf(s, *InvoiceRepository(s).find(invoice.id)), 600);
        EXPECT_EQ(InvoiceRepository(s).credited(invoice.id), 400);
    }
    note.lines.front().unitPriceCents = note.lines.front().amountCents = 600;
    issue(issuer, note);
    auto s = db_->session();
    EXPECT_EQ(InvoiceRepository(s).find(invoice.id)->status, InvoiceStatus::Cancelled);
    EXPECT_EQ(InvoiceIssuer::dueOf(s, *InvoiceRepository(s).find(invoice.id)), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE template = 'invoice_issued'"), 1);  // notes: no mail
}

TEST_F(InvoiceIssuerTest, AFailureInsideTheTransactionLeavesNothing) {
    InvoiceIssuer issuer(settings_, *associations_);
    const std::string before = footprint();
    Association ghost = association();
    ghost.id = "asso_missing";  // the foreign key refuses the invoice
    EXPECT_ANY_THROW({
        auto s = db_->session();
        Transaction tx(s);
        issuer.issue(s, ghost, feeInvoice(1000), "2027-01-10", "2027-01-10T09:00:00Z");
        tx.commit();
    });
    EXPECT_EQ(footprint(), before);
}

TEST(InvoiceTotals, VatIsRoundedPerLineThenSummed) {
    Invoice invoice;
    for (int64_t cents : {1, 2, 3}) {
        InvoiceLine l;
        l.amountCents = cents;
        l.vatRateBasisPoints = 2000;
        invoice.lines.push_back(l);
    }
    computeTotals(invoice);
    EXPECT_EQ(invoice.totalCents, 6);
    EXPECT_EQ(invoice.vatCents, 0 + 0 + 1);  // 0.2, 0.4, 0.6
    EXPECT_EQ(invoice.totalInclCents, 7);
}

}  // namespace
