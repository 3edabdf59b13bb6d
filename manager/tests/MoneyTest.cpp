// Money in int64 cents: rounding half away from zero, overflow detection, French and English
// formatting, and invoice totals that are sums of rounded lines.

#include "InvalidArgument.h"
#include "billing/Money.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace chatiere::manager;

namespace {

using chatiere::test_support::invalidArgumentMessage;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// U+202F NARROW NO-BREAK SPACE.
const std::string kNnbsp = "\xE2\x80\xAF";

TEST(MoneyRounding, DivideRoundsHalfAwayFromZeroForBothSigns) {
    EXPECT_EQ(divideRounded(5, 2), 3);
    EXPECT_EQ(divideRounded(-5, 2), -3);
    EXPECT_EQ(divideRounded(4, 3), 1);
    EXPECT_EQ(divideRounded(-4, 3), -1);
    EXPECT_EQ(divideRounded(5, 3), 2);
    EXPECT_EQ(divideRounded(-5, 3), -2);
    EXPECT_EQ(divideRounded(0, 7), 0);
    EXPECT_EQ(divideRounded(7, 1), 7);
    EXPECT_EQ(divideRounded(-7, 1), -7);
    EXPECT_EQ(divideRounded(149, 100), 1);
    EXPECT_EQ(divideRounded(150, 100), 2);
    EXPECT_EQ(divideRounded(-150, 100), -2);
    EXPECT_EQ(divideRounded(-149, 100), -1);
}

TEST(MoneyRounding, DivideIsSymmetricAroundZero) {
    for (int64_t n = -1000; n <= 1000; ++n) {
        for (int64_t d = 1; d <= 12; ++d) {
            ASSERT_EQ(divideRounded(-n, d), -divideRounded(n, d)) << n << "/" << d;
            // Within half a unit of the exact quotient: |n - q·d| ≤ d/2.
            const int64_t error = n - divideRounded(n, d) * d;
            ASSERT_LE(2 * (error < 0 ? -error : error), d) << n << "/" << d;
        }
    }
}

TEST(MoneyRounding, DivideAtTheLimitsOfInt64) {
    EXPECT_EQ(divideRounded(kMax, 1), kMax);
    EXPECT_EQ(divideRounded(kMin, 1), kMin);
    EXPECT_EQ(divideRounded(kMax, kMax), 1);
    EXPECT_EQ(divideRounded(kMin, kMax), -1);
    EXPECT_EQ(divideRounded(kMax, 2), kMax / 2 + 1);  // …807 / 2 = …903.5 → …904
    EXPECT_EQ(divideRounded(kMin, 2), kMin / 2);      // exact
}

TEST(MoneyRounding, DivideRejectsANonPositiveDenominator) {
    EXPECT_THROW(divideRounded(1, 0), std::invalid_argument);
    EXPECT_THROW(divideRounded(1, -3), std::invalid_argument);
    try {
        divideRounded(1, -3);
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("-3"), std::string::npos) << e.what();
    }
}

TEST(MoneyProrate, KnownValues) {
    EXPECT_EQ(prorate(1000, 14, 28), 500);
    EXPECT_EQ(prorate(999, 1, 2), 500);  // 499.5 → 500
    EXPECT_EQ(prorate(-999, 1, 2), -500);
    EXPECT_EQ(prorate(1000, 10, 31), 323);  // 322.58
    EXPECT_EQ(prorate(1000, 0, 30), 0);
    EXPECT_EQ(prorate(1000, 30, 30), 1000);
    EXPECT_EQ(prorate(12000, 1, 365), 33);  // 32.88
    EXPECT_EQ(prorate(12000, 1, 366), 33);  // 32.79
    EXPECT_EQ(prorate(1500, 15, 30), 750);
    EXPECT_EQ(prorate(1, 1, 2), 1);
    EXPECT_EQ(prorate(-1, 1, 2), -1);
}

TEST(MoneyProrate, TheProductIsComputedWithoutOverflow) {
    // amount × part overflows int64, the result does not.
    EXPECT_EQ(prorate(kMax, 366, 366), kMax);
    EXPECT_EQ(prorate(kMin, 31, 31), kMin);
    EXPECT_EQ(prorate(kMax, kMax, kMax), kMax);
    EXPECT_EQ(prorate(kMax / 3 * 2, 3, 4), kMax / 3 * 2 / 4 * 3);  // kMax/3*2 is divisible by 4
}

TEST(MoneyProrate, AResultOutsideInt64Throws) {
    EXPECT_THROW(prorate(kMax, 2, 1), std::overflow_error);
    EXPECT_THROW(prorate(kMin, 2, 1), std::overflow_error);
    EXPECT_THROW(prorate(kMin, -1, 1), std::overflow_error);
    EXPECT_THROW(prorate(kMax, kMax, 1), std::overflow_error);
}

TEST(MoneyProrate, RejectsANonPositiveWhole) {
    EXPECT_THROW(prorate(1000, 1, 0), std::invalid_argument);
    EXPECT_THROW(prorate(1000, 1, -30), std::invalid_argument);
}

TEST(MoneyLineAmount, QuantitiesInThousandths) {
    EXPECT_EQ(lineAmount(1000, 1234), 1234);
    EXPECT_EQ(lineAmount(1500, 1000), 1500);
    EXPECT_EQ(lineAmount(2345, 100), 235);  // 234.5 → 235
    EXPECT_EQ(lineAmount(-2345, 100), -235);
    EXPECT_EQ(lineAmount(2345, -100), -235);
    EXPECT_EQ(lineAmount(500, 1), 1);  // 0.5 → 1
    EXPECT_EQ(lineAmount(499, 1), 0);
    EXPECT_EQ(lineAmount(0, kMax), 0);
    EXPECT_EQ(lineAmount(kMax, 1000), kMax);
    EXPECT_EQ(lineAmount(kMin, 1000), kMin);
}

TEST(MoneyLineAmount, OverflowThrows) {
    EXPECT_THROW(lineAmount(kMax, 1001), std::overflow_error);
    EXPECT_THROW(lineAmount(kMin, 1001), std::overflow_error);
    EXPECT_THROW(lineAmount(kMax, kMax), std::overflow_error);
    EXPECT_THROW(lineAmount(kMin, -1000), std::overflow_error);
}

// The rule (Money.h): each line is rounded once, with lineAmount, and an invoice's total is the sum of
// its rounded lines — never the rounded sum of exact amounts — so that the lines printed on the
// invoice always add up to the total printed below them.
struct Line {
    int64_t quantityMilli;
    int64_t unitCents;
};

int64_t totalOf(const std::vector<Line>& lines, std::vector<int64_t>* amounts = nullptr) {
    int64_t total = 0;
    for (const auto& line : lines) {
        const int64_t amount = lineAmount(line.quantityMilli, line.unitCents);
        if (amounts != nullptr) {
            amounts->push_back(amount);
        }
        total += amount;
    }
    return total;
}

TEST(MoneyInvoice, LinesSumToTotals) {
    {
        // A monthly fee, extra storage in GB·months and a prorated upgrade.
        std::vector<int64_t> amounts;
        const std::vector<Line> lines{{1000, 1500}, {2345, 199}, {1000, prorate(3000, 17, 31)}};
        EXPECT_EQ(totalOf(lines, &amounts), 1500 + 467 + 1645);
        EXPECT_EQ(amounts, (std::vector<int64_t>{1500, 467, 1645}));  // 466.655 → 467; 1645.16 → 1645
    }
    {
        // Three half-cent lines: each rounds up to 1 cent, so the total is 3, not round(1.5) = 2.
        const std::vector<Line> lines{{500, 1}, {500, 1}, {500, 1}};
        EXPECT_EQ(totalOf(lines), 3);
    }
    {
        // Hours of a service at 0.07 € and a yearly fee.
        std::vector<int64_t> amounts;
        const std::vector<Line> lines{{731'500, 7}, {1000, 12'000}, {3'333, 333}};
        EXPECT_EQ(totalOf(lines, &amounts), 5121 + 12'000 + 1110);
        EXPECT_EQ(amounts, (std::vector<int64_t>{5121, 12'000, 1110}));  // 5120.5 → 5121; 1109.889 → 1110
    }
}

TEST(MoneyInvoice, ACreditNoteMirrorsItsInvoiceToTheCent) {
    // Half away from zero is symmetric: negating every quantity negates every line and the total.
    std::vector<Line> invoice;
    std::vector<Line> credit;
    for (int64_t q = 1; q <= 5000; q += 37) {
        for (int64_t unit : {1, 3, 7, 99, 1234, 99'999}) {
            invoice.push_back({q, unit});
            credit.push_back({-q, unit});
        }
    }
    std::vector<int64_t> invoiceAmounts;
    std::vector<int64_t> creditAmounts;
    const int64_t total = totalOf(invoice, &invoiceAmounts);
    EXPECT_EQ(totalOf(credit, &creditAmounts), -total);
    for (size_t i = 0; i < invoiceAmounts.size(); ++i) {
        ASSERT_EQ(creditAmounts[i], -invoiceAmounts[i]);
    }
}

TEST(MoneyFormat, French) {
    EXPECT_EQ(formatMoney(123456789, "fr"), "1" + kNnbsp + "234" + kNnbsp + "567,89" + kNnbsp + "€");
    EXPECT_EQ(formatMoney(123456, "fr"), "1" + kNnbsp + "234,56" + kNnbsp + "€");
    EXPECT_EQ(formatMoney(99999, "fr"), "999,99" + kNnbsp + "€");
    EXPECT_EQ(formatMoney(100000, "fr"), "1" + kNnbsp + "000,00" + kNnbsp + "€");
    EXPECT_EQ(formatMoney(5, "fr"), "0,05" + kNnbsp + "€");
    EXPECT_EQ(formatMoney(0, "fr"), "0,00" + kNnbsp + "€");
    EXPECT_EQ(formatMoney(-1250, "fr"), "-12,50" + kNnbsp + "€");
    EXPECT_EQ(formatMoney(-1, "fr"), "-0,01" + kNnbsp + "€");
}

TEST(MoneyFormat, English) {
    EXPECT_EQ(formatMoney(123456, "en"), "€1,234.56");
    EXPECT_EQ(formatMoney(123456789, "en"), "€1,234,567.89");
    EXPECT_EQ(formatMoney(5, "en"), "€0.05");
    EXPECT_EQ(formatMoney(0, "en"), "€0.00");
    EXPECT_EQ(formatMoney(-1250, "en"), "-€12.50");
    EXPECT_EQ(formatMoney(-123456, "en"), "-€1,234.56");
}

TEST(MoneyFormat, TheLimitsOfInt64) {
    EXPECT_EQ(formatMoney(kMin, "en"), "-€92,233,720,368,547,758.08");
    EXPECT_EQ(formatMoney(kMax, "en"), "€92,233,720,368,547,758.07");
    EXPECT_EQ(formatMoney(kMin, "fr"), "-92" + kNnbsp + "233" + kNnbsp + "720" + kNnbsp + "368" + kNnbsp +
                                           "547" + kNnbsp + "758,08" + kNnbsp + "€");
    EXPECT_EQ(formatQuantity(kMin, "en"), "-9,223,372,036,854,775.808");
}

TEST(MoneyFormat, Quantities) {
    EXPECT_EQ(formatQuantity(1500, "fr"), "1,5");
    EXPECT_EQ(formatQuantity(1500, "en"), "1.5");
    EXPECT_EQ(formatQuantity(2000, "en"), "2");
    EXPECT_EQ(formatQuantity(2000, "fr"), "2");
    EXPECT_EQ(formatQuantity(2345, "en"), "2.345");
    EXPECT_EQ(formatQuantity(1050, "fr"), "1,05");
    EXPECT_EQ(formatQuantity(1, "fr"), "0,001");
    EXPECT_EQ(formatQuantity(0, "en"), "0");
    EXPECT_EQ(formatQuantity(-1500, "en"), "-1.5");
    EXPECT_EQ(formatQuantity(1234500, "en"), "1,234.5");
    EXPECT_EQ(formatQuantity(1234500, "fr"), "1" + kNnbsp + "234,5");
    EXPECT_EQ(formatQuantity(200, "fr"), "0,2");  // a VAT rate of 20 basis points × 10
}

TEST(MoneyFormat, Dates) {
    EXPECT_EQ(formatDate("2026-12-03", "fr"), "03/12/2026");
    EXPECT_EQ(formatDate("2026-12-03", "en"), "3 December 2026");
    EXPECT_EQ(formatDate("2028-02-29", "fr"), "29/02/2028");
    EXPECT_EQ(formatDate("2028-02-29", "en"), "29 February 2028");
    EXPECT_EQ(formatDate("2027-01-01", "en"), "1 January 2027");
}

TEST(MoneyFormat, BadInputIsRejectedWithTheBadValue) {
    for (const std::string bad : {"2027-02-29", "2026-13-01", "2026-00-10", "2026-12-32", "2026-1-01",
                                  "26-12-03", "2026/12/03", "2026-12-03x", "-001-01-01", "2026- 1-01", ""}) {
        const std::string what = invalidArgumentMessage([&] { formatDate(bad, "fr"); });
        EXPECT_NE(what, "(no exception)") << bad;
        if (!bad.empty()) {
            EXPECT_NE(what.find(bad), std::string::npos) << what;
        }
    }
    for (const std::string language : {"de", "FR", "", "en-GB"}) {
        EXPECT_NE(invalidArgumentMessage([&] { formatMoney(100, language); }).find("language"),
                  std::string::npos);
        EXPECT_THROW(formatQuantity(100, language), std::invalid_argument) << language;
        EXPECT_THROW(formatDate("2026-12-03", language), std::invalid_argument) << language;
    }
    EXPECT_NE(invalidArgumentMessage([] { formatMoney(100, "de"); }).find("de"), std::string::npos);
}

}  // namespace

TEST(MoneyParse, EurosAsPeopleWriteThem) {
    EXPECT_EQ(parseEuros("12"), 1200);
    EXPECT_EQ(parseEuros("12.5"), 1250);
    EXPECT_EQ(parseEuros("12,50"), 1250);
    EXPECT_EQ(parseEuros(" 7,05 € "), 705);
    EXPECT_EQ(parseEuros("0"), 0);
    EXPECT_EQ(parseEuros("999999999,99"), 99999999999);
    for (const char* bad : {"", " ", "€", "-3", "+3", "12,", ",5", "1,234", "1.2.3", "12 50", "abc",
                            "1000000000", "1e3", "12,5€x"}) {
        EXPECT_EQ(parseEuros(bad), std::nullopt) << bad;
    }
}
