// The CSV cells every export is made of: RFC 4180 quoting, and OWASP's neutralisation of cells a
// spreadsheet would read as a formula; amounts written as numbers.

#include "core/Csv.h"

#include <gtest/gtest.h>

#include <limits>

using namespace chatiere::manager;

namespace {

TEST(Csv, PlainTextIsWrittenAsItIs) {
    EXPECT_EQ(csv::text(""), "");
    EXPECT_EQ(csv::text("F-2027-000001"), "F-2027-000001");
    EXPECT_EQ(csv::text("Jardin partagé"), "Jardin partagé");
    EXPECT_EQ(csv::text("chq 7"), "chq 7");
    EXPECT_EQ(csv::text("a=b+c-d@e"), "a=b+c-d@e");  // only the first character can start a formula
}

TEST(Csv, SeparatorsQuotesAndLineBreaksAreQuoted) {
    EXPECT_EQ(csv::text("Dupont, Durand"), "\"Dupont, Durand\"");
    EXPECT_EQ(csv::text("le \"Jardin\""), "\"le \"\"Jardin\"\"\"");
    EXPECT_EQ(csv::text("ligne 1\nligne 2"), "\"ligne 1\nligne 2\"");
    EXPECT_EQ(csv::text("a\r\nb"), "\"a\r\nb\"");
}

TEST(Csv, ACellThatCouldStartAFormulaIsNeutralisedAndQuoted) {
    EXPECT_EQ(csv::text("=1+1"), "\"'=1+1\"");
    EXPECT_EQ(csv::text("+33 6 12"), "\"'+33 6 12\"");
    EXPECT_EQ(csv::text("-2+3"), "\"'-2+3\"");
    EXPECT_EQ(csv::text("@SUM(A1:A9)"), "\"'@SUM(A1:A9)\"");
    EXPECT_EQ(csv::text("\t=1"), "\"'\t=1\"");
    EXPECT_EQ(csv::text("\r=1"), "\"'\r=1\"");
    EXPECT_EQ(csv::text("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    EXPECT_EQ(csv::text("=a,b"), "\"'=a,b\"");
    // Text that looks like a negative number is still text here: only csv::cents writes numbers.
    EXPECT_EQ(csv::text("-12.50"), "\"'-12.50\"");
}

TEST(Csv, AmountsAreNumbersTheCodeFormats) {
    EXPECT_EQ(csv::cents(0), "0.00");
    EXPECT_EQ(csv::cents(5), "0.05");
    EXPECT_EQ(csv::cents(1250), "12.50");
    EXPECT_EQ(csv::cents(-1250), "-12.50");
    EXPECT_EQ(csv::cents(-5), "-0.05");
    EXPECT_EQ(csv::cents(123456789), "1234567.89");
    EXPECT_EQ(csv::cents(std::numeric_limits<int64_t>::min()), "-92233720368547758.08");
    EXPECT_EQ(csv::cents(std::numeric_limits<int64_t>::max()), "92233720368547758.07");
}

TEST(Csv, ARowJoinsItsCellsAndEndsWithCrLf) {
    EXPECT_EQ(csv::row({csv::text("F-1"), csv::text("=x"), csv::cents(-250), csv::text("")}),
              "F-1,\"'=x\",-2.50,\r\n");
    EXPECT_EQ(csv::row({}), "\r\n");
}

}  // namespace
