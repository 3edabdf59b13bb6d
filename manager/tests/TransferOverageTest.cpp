// Transfer overage: the period's total above what the plan includes, billed at the plan's price per
// GiB beside the stored-data overage (which is an average); nothing where the plan prices nothing.

#include "MonitoringFixture.h"
#include "billing/BillingRun.h"
#include "store/Subscriptions.h"

using namespace chatiere::manager;
using namespace chatiere::testing;

namespace {

class TransferOverageTest : public MonitoringFixture {
protected:
    // Every day of [from, to): `transferGib` sent and `storedGib` stored on average.
    void days(const std::string& from, const std::string& to, int64_t transferBytes, int64_t storedBytes) {
        auto s = db_.session();
        for (std::string day = from; day < to; day = Calendar::addDays(day, 1)) {
            s << "INSERT INTO association_usage_daily (association_id, day, samples, cpu_ns, "
                 "stored_bytes_avg, "
                 "stored_bytes_max, transfer_bytes) VALUES ('asso1', ?, 1440, 0, ?, ?, ?)",
                bind(day), bind(storedBytes), bind(storedBytes), bind(transferBytes), now;
        }
    }
    std::vector<InvoiceLine> lines(const Plan& plan, const std::string& start, const std::string& end) {
        Subscription sub;
        sub.associationId = "asso1";
        auto s = db_.session();
        return SubscriptionBiller::overageLines(s, sub, plan, start, end);
    }
    static Plan plan(std::optional<int64_t> transferCents, std::optional<int64_t> diskCents) {
        Plan p;
        p.quotas["transfer_gib"] = {100, 1000};
        p.quotas["disk_gib"] = {1, 5};
        if (transferCents) {
            p.overageCents["transfer_gib"] = *transferCents;
        }
        if (diskCents) {
            p.overageCents["disk_gib"] = *diskCents;
        }
        return p;
    }
};

constexpr int64_t kGiB = int64_t{1} << 30;

TEST_F(TransferOverageTest, TheTotalAboveIncludedIsBilledPerGiB) {
    // 31 days × 4 GiB = 124 GiB sent, 100 included: 24 GiB × 0,02 €.
    days("2027-01-01", "2027-02-01", 4 * kGiB, 0);
    const auto out = lines(plan(2, std::nullopt), "2027-01-01", "2027-02-01");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, "overage");
    EXPECT_EQ(out[0].unit, "GiB");
    EXPECT_EQ(out[0].quantityMilli, 24000);
    EXPECT_EQ(out[0].unitPriceCents, 2);
    EXPECT_EQ(out[0].amountCents, 48);
    EXPECT_EQ(
        out[0].descriptionEn,
        "Data transferred above the 100 GiB included (total 124 GiB), 1 January 2027 to 31 January 2027");
    EXPECT_NE(out[0].descriptionFr.find("Données transférées au-delà des 100 Gio inclus (total 124 Gio)"),
              std::string::npos)
        << out[0].descriptionFr;
}

TEST_F(TransferOverageTest, BesideStoredDataAndOnlyWherePriced) {
    // 3 GiB stored (2 above the 1 included) and 31 × 4 GiB sent.
    days("2027-01-01", "2027-02-01", 4 * kGiB, 3 * kGiB);
    EXPECT_EQ(lines(plan(2, 50), "2027-01-01", "2027-02-01").size(), 2u);
    const auto diskOnly = lines(plan(std::nullopt, 50), "2027-01-01", "2027-02-01");
    ASSERT_EQ(diskOnly.size(), 1u);
    EXPECT_EQ(diskOnly[0].amountCents, 100);
    EXPECT_EQ(diskOnly[0].descriptionEn.rfind("Stored data", 0), 0u);
    EXPECT_TRUE(lines(plan(0, std::nullopt), "2027-01-01", "2027-02-01").empty());  // a price of 0
    // Under what is included: nothing.
    EXPECT_TRUE(lines(plan(2, std::nullopt), "2027-01-01", "2027-01-20").empty());  // 76 GiB
    // A part of a GiB, in thousandths, rounded: 100 GiB + 1.5 MiB → 0.001 GiB over.
    days("2027-03-01", "2027-03-02", 100 * kGiB + 3 * (kGiB / 2048), 0);
    const auto tiny = lines(plan(1000, std::nullopt), "2027-03-01", "2027-03-02");
    ASSERT_EQ(tiny.size(), 1u);
    EXPECT_EQ(tiny[0].quantityMilli, 1);
    EXPECT_EQ(tiny[0].amountCents, 1);
}

}  // namespace
