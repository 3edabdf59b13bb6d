// BillingService over a real migrated SQLite file: subscribing, running, changing, cancelling,
// paying, crediting and exporting; each refusal is the right error and leaves the database as it
// was.

#include "BillingFixture.h"

#include "billing/BillingJson.h"

// The commands are written with designated initializers, naming only the fields a test gives;
// GCC 12 still asks for the others.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace chatiere::manager;
using namespace chatiere::manager::testing;

namespace {

class BillingServiceTest : public BillingFixture {};

TEST_F(BillingServiceTest, SubscribeInvoicesTheFirstPeriodNumberedAndMailed) {
    const Subscription sub =
        billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
    EXPECT_EQ(sub.status, SubscriptionStatus::Active);
    EXPECT_EQ(sub.planSlug, "asso-web");
    EXPECT_EQ(sub.priceCents, 1000);
    EXPECT_EQ(sub.membershipCents, 200);
    EXPECT_EQ(sub.anchorDate, "2027-01-10");
    EXPECT_EQ(sub.billedThrough, "2027-02-10");  // the first period is invoiced, in advance

    const auto invoices = billing_->invoices(manager(), association_, 10);
    ASSERT_EQ(invoices.size(), 1u);
    EXPECT_EQ(invoices[0].number.value_or(""), "F-2027-000001");
    EXPECT_EQ(invoices[0].status, InvoiceStatus::Finalized);
    EXPECT_EQ(invoices[0].totalInclCents, 1200);
    EXPECT_EQ(invoices[0].dueDate.value_or(""), "2027-02-09");
    ASSERT_EQ(invoices[0].lines.size(), 2u);
    EXPECT_EQ(invoices[0].lines[0].kind, "fee");
    EXPECT_EQ(invoices[0].lines[1].kind, "membership");
    EXPECT_EQ(text("SELECT plan_slug FROM associations WHERE id = 'asso_1'").value_or(""), "asso-web");
    EXPECT_EQ(count("SELECT COUNT(*) FROM billing_events WHERE kind = 'fee' AND invoice_id IS NOT NULL"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE recipient = 'camille@asso.test' AND template = "
                    "'invoice_issued'"),
              1);
    EXPECT_EQ(billing_->creditBalance(manager(), association_), 0);
    // Read back through the repository as the API shows it.
    const auto listed = billing_->subscriptions(manager(), association_);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(subscriptionToJson(listed[0]).getValue<std::string>("billed_through"), "2027-02-10");
}

TEST_F(BillingServiceTest, SubscribeRefusesBadInputAndChangesNothing) {
    const std::string before = footprint();
    expectError(
        [&] { billing_->subscribe(manager(), association_, Subscribe{.plan = "nope", .interval = "month"}); },
        ErrorKind::Validation, "invalid_fields", "unknown_plan");
    expectError(
        [&] {
            billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "week"});
        },
        ErrorKind::Validation, "invalid_fields", "invalid_interval");
    expectError(
        [&] {
            billing_->subscribe(manager(), association_,
                                Subscribe{.plan = "asso-web", .interval = "month", .priceCents = 2000});
        },
        ErrorKind::Validation, "invalid_fields", "not_pay_what_you_can");
    expectError(
        [&] {
            billing_->subscribe(manager(), association_,
                                Subscribe{.plan = "asso-web", .interval = "year", .priceCents = 100});
        },
        ErrorKind::Validation, "invalid_fields", "below_floor");
    expectError([&] { billing_->subscribe(manager(), association_, Subscribe{.interval = "month"}); },
                ErrorKind::Validation, "invalid_fields");
    // A manager may not import a member (paid_through is the admin's).
    expectError(
        [&] {
            billing_->subscribe(
                manager(), association_,
                Subscribe{.plan = "asso-web", .interval = "month", .paidThrough = "2027-01-01"});
        },
        ErrorKind::Forbidden, "forbidden");
    // Someone of another association.
    plantAssociation("asso_2", "other@asso.test");
    EXPECT_THROW(billing_->subscribe(manager("asso_2", "other@asso.test"), association_,
                                     Subscribe{.plan = "asso-web", .interval = "month"}),
                 Error);
    EXPECT_EQ(footprint(), before);

    billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
    const std::string subscribed = footprint();
    expectError(
        [&] {
            billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
        },
        ErrorKind::Conflict, "already_subscribed");
    EXPECT_EQ(footprint(), subscribed);
}

TEST_F(BillingServiceTest, RunBillsEachPeriodOnceAndRefusesBadDates) {
    billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
    const std::string before = footprint();
    expectError([&] { billing_->run(admin_, std::string("2027-13-01")); }, ErrorKind::Validation,
                "invalid_fields", "invalid_date");
    expectError([&] { billing_->run(admin_, std::string("2027-01-11")); }, ErrorKind::Validation,
                "invalid_fields", "in_future");
    EXPECT_THROW(billing_->run(manager(), std::nullopt), Error);  // the treasurer's, not a manager's
    EXPECT_EQ(footprint(), before);

    clock_.set(parseTime("2027-03-10T09:00:00Z").value());
    const RunSummary first = billing_->run(admin_, std::nullopt);
    EXPECT_EQ(first.subscriptions, 1);
    EXPECT_EQ(first.invoices, 2);  // February and March
    EXPECT_EQ(first.totalCents, 2400);
    const RunSummary again = billing_->run(admin_, std::nullopt);
    EXPECT_EQ(again.invoices, 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM invoices WHERE number IS NOT NULL"), 3);
    EXPECT_EQ(text("SELECT billed_through FROM subscriptions").value_or(""), "2027-04-10");
    EXPECT_EQ(text("SELECT MAX(number) FROM invoices").value_or(""), "F-2027-000003");
}

TEST_F(BillingServiceTest, UpgradeIsProratedAndRecordedInTheHistory) {
    const Subscription sub =
        billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
    clock_.set(parseTime("2027-01-25T09:00:00Z").value());
    const auto out = billing_->change(manager(), sub.id, ChangeSubscription{.plan = "asso-plus"});
    EXPECT_EQ(out.subscription.planSlug, "asso-plus");
    ASSERT_TRUE(out.invoice);
    // (3000 + 0) − (1000 + 200) = 1800 a month, for 16 of the 31 days of the period.
    EXPECT_EQ(invoiceSummaryToJson(*out.invoice).getValue<int64_t>("total_cents"), 929);  // 929.03
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM billing_events WHERE kind = 'proration' AND invoice_id IS NOT NULL"), 1);
    EXPECT_EQ(
        count("SELECT COUNT(*) FROM subscription_changes WHERE kind = 'upgrade' AND to_plan = 'asso-plus'"),
        1);
    EXPECT_EQ(text("SELECT plan_slug FROM associations WHERE id = 'asso_1'").value_or(""), "asso-plus");

    const std::string before = footprint();
    expectError([&] { billing_->change(manager(), sub.id, ChangeSubscription{.plan = "asso-plus"}); },
                ErrorKind::Conflict, "no_change");
    expectError([&] { billing_->change(manager(), sub.id, ChangeSubscription{.plan = "nope"}); },
                ErrorKind::Validation, "invalid_fields", "unknown_plan");
    expectError([&] { billing_->change(manager(), "sub_missing", ChangeSubscription{.plan = "asso-web"}); },
                ErrorKind::NotFound, "not_found");
    EXPECT_EQ(footprint(), before);
}

TEST_F(BillingServiceTest, DowngradeWaitsForThePeriodEnd) {
    billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-plus", .interval = "month"});
    const std::string id = billing_->subscriptions(manager(), association_).front().id;
    const auto out = billing_->change(manager(), id, ChangeSubscription{.plan = "asso-web"});
    EXPECT_FALSE(out.invoice);
    EXPECT_EQ(count("SELECT COUNT(*) FROM subscription_changes WHERE kind = 'downgrade' AND from_plan = "
                    "'asso-plus' AND from_price_cents = 3000 AND effective_date = '2027-02-10'"),
              1);
    clock_.set(parseTime("2027-02-10T09:00:00Z").value());
    billing_->run(admin_, std::nullopt);
    const auto sub = billing_->subscriptions(manager(), association_).front();
    EXPECT_EQ(sub.planSlug, "asso-web");
    EXPECT_FALSE(sub.pending);
    EXPECT_EQ(text("SELECT plan_slug FROM associations WHERE id = 'asso_1'").value_or(""), "asso-web");
    EXPECT_EQ(count("SELECT total_incl_cents FROM invoices ORDER BY number DESC LIMIT 1"), 1200);
}

TEST_F(BillingServiceTest, CancelEndsAtThePeriodEndAndRefusesChangesAfter) {
    const Subscription sub =
        billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
    const Subscription cancelled = billing_->cancel(manager(), sub.id);
    EXPECT_EQ(cancelled.cancelAt.value_or(""), "2027-02-10");
    const std::string before = footprint();
    expectError([&] { billing_->cancel(manager(), sub.id); }, ErrorKind::Conflict, "subscription_ended");
    expectError([&] { billing_->change(manager(), sub.id, ChangeSubscription{.plan = "asso-plus"}); },
                ErrorKind::Conflict, "subscription_ended");
    EXPECT_EQ(footprint(), before);
    clock_.set(parseTime("2027-02-10T09:00:00Z").value());
    const RunSummary summary = billing_->run(admin_, std::nullopt);
    EXPECT_EQ(summary.ended, 1);
    EXPECT_EQ(summary.invoices, 0);  // no overage to invoice: no final invoice
    EXPECT_EQ(text("SELECT status FROM subscriptions").value_or(""), "ended");
}

TEST_F(BillingServiceTest, PaymentSettlesTheInvoiceAndBadPaymentsChangeNothing) {
    billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
    const Invoice invoice = billing_->invoices(admin_, association_, 10).front();
    const std::string before = footprint();
    expectError(
        [&] {
            billing_->recordPayment(admin_, invoice.id, RecordPayment{.amountCents = 500, .method = "gold"});
        },
        ErrorKind::Validation, "invalid_fields");
    expectError(
        [&] {
            billing_->recordPayment(admin_, invoice.id, RecordPayment{.amountCents = 0, .method = "cash"});
        },
        ErrorKind::Validation, "invalid_fields");
    EXPECT_THROW(
        billing_->recordPayment(manager(), invoice.id, RecordPayment{.amountCents = 500, .method = "cash"}),
        Error);  // the treasurer records payments
    expectError(
        [&] {
            billing_->recordPayment(admin_, "inv_missing", RecordPayment{.amountCents = 5, .method = "cash"});
        },
        ErrorKind::NotFound, "not_found");
    EXPECT_EQ(footprint(), before);

    auto out =
        billing_->recordPayment(admin_, invoice.id, RecordPayment{.amountCents = 500, .method = "cheque"});
    EXPECT_EQ(out.invoice.status, InvoiceStatus::Finalized);
    EXPECT_EQ(out.dueCents(), 700);
    out = billing_->recordPayment(
        admin_, invoice.id, RecordPayment{.amountCents = 1000, .method = "transfer", .reference = "VIR 42"});
    EXPECT_EQ(out.invoice.status, InvoiceStatus::Paid);
    EXPECT_EQ(out.dueCents(), 0);
    EXPECT_EQ(out.creditBalanceCents, 300);  // paid 300 too much: credit
    EXPECT_EQ(billing_->creditBalance(manager(), association_), 300);
    const std::string paid = footprint();
    expectError(
        [&] {
            billing_->recordPayment(admin_, invoice.id, RecordPayment{.amountCents = 5, .method = "cash"});
        },
        ErrorKind::Conflict, "invoice_paid");
    EXPECT_EQ(footprint(), paid);

    // The credit goes to the next invoice.
    clock_.set(parseTime("2027-02-10T09:00:00Z").value());
    billing_->run(admin_, std::nullopt);
    auto s = db_->session();
    const auto next = InvoiceRepository(s).list(std::string(association_), std::string("invoice"), 1).front();
    EXPECT_EQ(InvoiceRepository(s).allocated(next.id), 300);

    const std::string csv = billing_->exportCsv(admin_, "payments", "2027-01-01", "2027-12-31");
    EXPECT_NE(csv.find("VIR 42"), std::string::npos) << csv;
    EXPECT_NE(csv.find("F-2027-000001"), std::string::npos) << csv;
}

TEST_F(BillingServiceTest, CreditNoteForTheWholeInvoiceCancelsIt) {
    billing_->subscribe(manager(), association_, Subscribe{.plan = "asso-web", .interval = "month"});
    const Invoice invoice = billing_->invoices(admin_, association_, 10).front();
    const std::string before = footprint();
    expectError(
        [&] {
            billing_->creditNote(admin_, invoice.id, IssueCreditNote{.amountCents = 5000, .reason = "x"});
        },
        ErrorKind::Validation, "invalid_fields");
    EXPECT_EQ(footprint(), before);
    const Invoice note =
        billing_->creditNote(admin_, invoice.id, IssueCreditNote{.reason = "Erreur de formule"});
    EXPECT_EQ(note.kind, "credit_note");
    EXPECT_EQ(note.number.value_or(""), "A-2027-000001");
    EXPECT_EQ(note.totalInclCents, 1200);
    EXPECT_EQ(text("SELECT status FROM invoices WHERE id = '" + invoice.id + "'").value_or(""), "cancelled");
    expectError([&] { billing_->creditNote(admin_, note.id, IssueCreditNote{.reason = "x"}); },
                ErrorKind::Conflict, "not_an_invoice");

    const std::string csv = billing_->exportCsv(admin_, "invoices", "2027-01-01", "2028-01-01");
    EXPECT_NE(csv.find("A-2027-000001"), std::string::npos) << csv;
    EXPECT_NE(csv.find("Association asso_1"), std::string::npos) << csv;
    expectError([&] { billing_->exportCsv(admin_, "invoices", "2027-02-30x", "2028-01-01"); },
                ErrorKind::Validation, "invalid_fields", "invalid_date");
    expectError([&] { billing_->exportCsv(admin_, "invoices", "2028-01-01", "2027-01-01"); },
                ErrorKind::Validation, "invalid_fields", "invalid_range");
    expectError([&] { billing_->exportCsv(admin_, "services", "2027-01-01", "2028-01-01"); },
                ErrorKind::Validation, "invalid_fields", "invalid_export");
}

}  // namespace
