#include "chatiere/manager/Validation.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

namespace {
// Computes the Luhn check digit of 8 digits, to build valid SIRENs.
std::string withCheckDigit(const std::string& eight) {
    for (char d = '0'; d <= '9'; ++d) {
        if (isValidSiren(eight + d)) {
            return eight + d;
        }
    }
    return "";
}
}  // namespace

TEST(Siren, KnownNumbers) {
    EXPECT_TRUE(isValidSiren("732829320"));  // a published SIREN
    EXPECT_TRUE(isValidSiren("552100554"));
    EXPECT_TRUE(isValidSiren("000000000"));
    EXPECT_FALSE(isValidSiren("732829321"));
    EXPECT_FALSE(isValidSiren("552100555"));
}

TEST(Siren, ExactlyOneCheckDigitFitsEveryPrefix) {
    for (const std::string prefix : {"12345678", "77568450", "40483304", "99999999", "10000000"}) {
        int valid = 0;
        for (char d = '0'; d <= '9'; ++d) {
            valid += isValidSiren(prefix + d) ? 1 : 0;
        }
        EXPECT_EQ(valid, 1) << prefix;
        EXPECT_EQ(withCheckDigit(prefix).size(), 9u);
    }
}

TEST(Siren, ShapeIsChecked) {
    EXPECT_FALSE(isValidSiren(""));
    EXPECT_FALSE(isValidSiren("73282932"));     // 8 digits
    EXPECT_FALSE(isValidSiren("7328293200"));   // 10 digits
    EXPECT_FALSE(isValidSiren("73282932A"));    // a letter
    EXPECT_FALSE(isValidSiren("732 829 320"));  // spaces: normalize first
    EXPECT_FALSE(isValidSiren("-32829320"));
}

TEST(Siren, NormalizeRemovesSpacesAndNoBreakSpaces) {
    EXPECT_EQ(normalizeSiren("732 829 320"), "732829320");
    EXPECT_EQ(normalizeSiren(" 732\xC2\xA0"
                             "829\xE2\x80\xAF"
                             "320 "),
              "732829320");
    EXPECT_TRUE(isValidSiren(normalizeSiren("732 829 320")));
}

TEST(Rna, ValidShapes) {
    EXPECT_TRUE(isValidRna("W751234567"));
    EXPECT_TRUE(isValidRna("W353012345"));
    EXPECT_TRUE(isValidRna("W2A1234567"));  // Corse-du-Sud
    EXPECT_TRUE(isValidRna("W2B1234567"));  // Haute-Corse
}

TEST(Rna, InvalidShapes) {
    EXPECT_FALSE(isValidRna(""));
    EXPECT_FALSE(isValidRna("W12345678"));    // 8 characters after W
    EXPECT_FALSE(isValidRna("W1234567890"));  // 10
    EXPECT_FALSE(isValidRna("X751234567"));
    EXPECT_FALSE(isValidRna("w751234567"));  // normalize first
    EXPECT_FALSE(isValidRna("W2C1234567"));
    EXPECT_FALSE(isValidRna("W2A123456B"));
    EXPECT_FALSE(isValidRna("WA21234567"));
}

TEST(Rna, Normalize) {
    EXPECT_EQ(normalizeRna(" w2a 123 4567 "), "W2A1234567");
    EXPECT_TRUE(isValidRna(normalizeRna("w 751 234 567")));
}

TEST(Email, Valid) {
    for (const char* e : {"a@b.fr", "camille.martin@jardin-partage.org", "bureau+cotisations@asso.bzh",
                          "o'brien@example.ie", "élodie@exemple.fr", "x@sous.domaine.exemple.fr"}) {
        EXPECT_TRUE(isValidEmail(e)) << e;
    }
}

TEST(Email, Invalid) {
    for (const char* e : {"", "plain", "@asso.fr", "a@", "a@b", "a@@b.fr", "a b@c.fr", "a@b .fr", ".a@b.fr",
                          "a.@b.fr", "a..b@c.fr", "a@-b.fr", "a@b-.fr", "a@b..fr", "a@b.fr.", "a\n@b.fr"}) {
        EXPECT_FALSE(isValidEmail(e)) << e;
    }
    EXPECT_FALSE(isValidEmail(std::string(65, 'a') + "@b.fr"));
    EXPECT_FALSE(isValidEmail("a@" + std::string(250, 'b') + ".fr"));
}

TEST(Email, KeyIgnoresCaseAndSurroundingSpace) {
    EXPECT_EQ(emailKey(" Alice@Example.ORG "), "alice@example.org");
    EXPECT_EQ(emailKey("alice@example.org"), emailKey("ALICE@EXAMPLE.ORG"));
}

TEST(Password, Rules) {
    EXPECT_EQ(passwordProblem("correct horse battery"), std::nullopt);
    EXPECT_NE(passwordProblem("short"), std::nullopt);
    EXPECT_NE(passwordProblem("aaaaaaaaaaaaaa"), std::nullopt);
    EXPECT_NE(passwordProblem(std::string(1025, 'x') + "y"), std::nullopt);
    // Ten characters, counted as code points: "éééééééééé" is 20 bytes but 10 characters.
    EXPECT_EQ(passwordProblem("éèàùçôîêâë"), std::nullopt);
    EXPECT_NE(passwordProblem("éèàùçôî"), std::nullopt);
}

TEST(Siret, KnownNumbersAndShape) {
    EXPECT_TRUE(isValidSiret("73282932000074"));  // a published SIRET (SIREN 732829320)
    EXPECT_TRUE(isValidSiret("55210055400013"));
    EXPECT_FALSE(isValidSiret("73282932000075"));  // wrong check digit
    EXPECT_FALSE(isValidSiret("12345678900012"));
    EXPECT_FALSE(isValidSiret("732829320"));  // a SIREN is not a SIRET
    EXPECT_FALSE(isValidSiret("7328293200007A"));
    EXPECT_FALSE(isValidSiret("732829320000740"));
}

TEST(Siret, LaPosteEstablishmentsAddUpToAMultipleOfFive) {
    EXPECT_TRUE(isValidSiret("35600000000001"));  // 3 + 5 + 6 + 1 = 15
    EXPECT_FALSE(isValidSiret("35600000000002"));
}
