#include "chatiere/manager/Error.h"
#include "chatiere/manager/PasswordHasher.h"
#include "chatiere/manager/Secrets.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

using namespace chatiere::manager;

TEST(Secrets, Sha256KnownVectors) {
    EXPECT_EQ(hashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hashToken(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Secrets, Base64UrlVectorsFromRfc4648) {
    EXPECT_EQ(base64Url(""), "");
    EXPECT_EQ(base64Url("f"), "Zg");
    EXPECT_EQ(base64Url("fo"), "Zm8");
    EXPECT_EQ(base64Url("foo"), "Zm9v");
    EXPECT_EQ(base64Url("foob"), "Zm9vYg");
    EXPECT_EQ(base64Url("fooba"), "Zm9vYmE");
    EXPECT_EQ(base64Url("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64Url("\xfb\xff"), "-_8");
}

TEST(Secrets, TokensAre256RandomBits) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string token = newSecretToken();
        ASSERT_EQ(token.size(), 43u);
        for (const char c : token) {
            ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
        }
        seen.insert(token);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(Secrets, ConstantTimeEquals) {
    EXPECT_TRUE(constantTimeEquals("abc", "abc"));
    EXPECT_FALSE(constantTimeEquals("abc", "abd"));
    EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
}

TEST(PasswordHasher, RoundTripWithOwaspParameters) {
    PasswordHasher hasher;
    const std::string encoded = hasher.hash("correct horse battery");
    EXPECT_EQ(encoded.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << encoded;
    EXPECT_TRUE(hasher.verify("correct horse battery", encoded));
    EXPECT_FALSE(hasher.verify("correct horse batterY", encoded));
    EXPECT_FALSE(hasher.verify("", encoded));
    EXPECT_FALSE(hasher.needsRehash(encoded));
}

TEST(PasswordHasher, SaltedAndUtf8) {
    PasswordHasher hasher;
    const std::string a = hasher.hash("mot de passe élégant");
    const std::string b = hasher.hash("mot de passe élégant");
    EXPECT_NE(a, b);
    EXPECT_TRUE(hasher.verify("mot de passe élégant", a));
    EXPECT_TRUE(hasher.verify("mot de passe élégant", b));
}

TEST(PasswordHasher, MalformedHashesNeverVerify) {
    PasswordHasher hasher;
    for (const char* bad :
         {"", "!", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$garbage", "plaintext"}) {
        EXPECT_FALSE(hasher.verify("anything", bad)) << bad;
    }
}

TEST(PasswordHasher, OtherParametersNeedARehash) {
    PasswordHasher weak(Argon2Params{4096, 1, 1});
    const std::string old = weak.hash("correct horse battery");
    PasswordHasher current;
    EXPECT_TRUE(current.verify("correct horse battery", old));
    EXPECT_TRUE(current.needsRehash(old));
}

TEST(Secrets, HmacSha256VectorsFromRfc4231) {
    // Test case 2: key "Jefe".
    const std::string expected(
        "\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75\xc7"
        "\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec\x38\x43",
        32);
    EXPECT_EQ(hmacSha256("Jefe", "what do ya want for nothing?"), expected);
    EXPECT_NE(hmacSha256("key one", "data"), hmacSha256("key two", "data"));
}

TEST(Secrets, Sha256Base64IsWhatCspHashesWant) {
    EXPECT_EQ(sha256Base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    EXPECT_EQ(sha256Base64("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST(Secrets, TheSecretKeyIsMadeOnceForItsOwnerOnly) {
    char tmpl[] = "/tmp/chatiere-secret-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir(tmpl);
    const auto file = dir / "sub" / "secret.key";
    const std::string key = loadOrCreateSecretKey(file);
    EXPECT_EQ(key.size(), 32u);
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_EQ(loadOrCreateSecretKey(file), key);  // read back, not made again
    // Nothing else left beside it.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "sub"), {}), 1);
    // Readable by others, or not a key: refused, never silently replaced.
    std::filesystem::permissions(file, std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    EXPECT_THROW(loadOrCreateSecretKey(file), Error);
    std::filesystem::permissions(file, std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::remove);
    std::ofstream(file, std::ios::trunc) << "short";
    EXPECT_THROW(loadOrCreateSecretKey(file), Error);
    std::filesystem::remove_all(dir);
}
