#include "chatiere/manager/Totp.h"

#include <gtest/gtest.h>

#include <set>

using namespace chatiere::manager;

namespace {

// RFC 6238 appendix B: the SHA1 seed is the ASCII "12345678901234567890".
constexpr const char* kRfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

}  // namespace

TEST(Totp, Rfc6238AppendixBVectorsSha1) {
    const std::string key = "12345678901234567890";
    ASSERT_EQ(base32Encode(key), kRfcSecret);
    struct Vector {
        std::int64_t time;
        const char* eightDigits;
    };
    const Vector vectors[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
                              {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
    for (const auto& v : vectors) {
        SCOPED_TRACE(v.time);
        EXPECT_EQ(hotp(key, static_cast<std::uint64_t>(totpStep(v.time)), 8), v.eightDigits);
        // Six digits: the same value modulo 10^6, i.e. its last six digits.
        EXPECT_EQ(totpCode(kRfcSecret, v.time), std::string(v.eightDigits).substr(2));
    }
}

TEST(Totp, Rfc4226HotpVectors) {
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t counter = 0; counter < 10; ++counter) {
        EXPECT_EQ(hotp("12345678901234567890", counter), expected[counter]);
    }
}

TEST(Totp, StepsAreThirtySecondsAndACodeHoldsForItsStep) {
    EXPECT_EQ(totpStep(0), 0);
    EXPECT_EQ(totpStep(29), 0);
    EXPECT_EQ(totpStep(30), 1);
    EXPECT_EQ(totpStep(-1), -1);
    EXPECT_EQ(totpCode(kRfcSecret, 1111111110), totpCode(kRfcSecret, 1111111139));
    EXPECT_NE(totpCode(kRfcSecret, 1111111139), totpCode(kRfcSecret, 1111111140));
    EXPECT_EQ(totpCodeAtStep(kRfcSecret, 37037037), totpCode(kRfcSecret, 1111111111));
}

TEST(Totp, Base32RoundTripsAndVectorsFromRfc4648) {
    EXPECT_EQ(base32Encode(""), "");
    EXPECT_EQ(base32Encode("f"), "MY");
    EXPECT_EQ(base32Encode("fo"), "MZXQ");
    EXPECT_EQ(base32Encode("foo"), "MZXW6");
    EXPECT_EQ(base32Encode("foob"), "MZXW6YQ");
    EXPECT_EQ(base32Encode("fooba"), "MZXW6YTB");
    EXPECT_EQ(base32Encode("foobar"), "MZXW6YTBOI");
    EXPECT_EQ(base32Decode("MZXW6YTBOI======"), "foobar");
    EXPECT_EQ(base32Decode("mzxw 6ytb oi"), "foobar");
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<char>(i));
        EXPECT_EQ(base32Decode(base32Encode(all)), all);
    }
}

TEST(Totp, Base32RefusesWhatIsNotBase32) {
    EXPECT_FALSE(base32Decode("MZXW1"));  // 1 is not in the alphabet
    EXPECT_FALSE(base32Decode("MZ=XW"));  // data after padding
    EXPECT_FALSE(base32Decode("MZX"));    // a character that carries no byte
    EXPECT_FALSE(totpCode("not base32!", 59));
    EXPECT_FALSE(totpCode("", 59));
}

TEST(Totp, NewSecretsAre160RandomBitsIn32Characters) {
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        const auto secret = newTotpSecret();
        EXPECT_EQ(secret.size(), 32u);
        EXPECT_EQ(secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), std::string::npos);
        EXPECT_EQ(base32Decode(secret)->size(), 20u);
        seen.insert(secret);
    }
    EXPECT_EQ(seen.size(), 20u);
}

TEST(Totp, OtpauthUriIsPercentEncoded) {
    EXPECT_EQ(otpauthUri("Chatière", "ana+admin@chatons.test", "JBSWY3DPEHPK3PXP"),
              "otpauth://totp/Chati%C3%A8re:ana%2Badmin%40chatons.test?secret=JBSWY3DPEHPK3PXP"
              "&issuer=Chati%C3%A8re&algorithm=SHA1&digits=6&period=30");
}
