#include "core/PublicName.h"

#include <gtest/gtest.h>

#include <string>

#include "chatiere/manager/Error.h"

using namespace chatiere::manager;

namespace {
std::string refusal(const std::string& input) {
    try {
        validateDomainName(input);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Validation);
        EXPECT_EQ(e.code(), "invalid_domain");
        EXPECT_EQ(e.fields().size(), 1u);
        return e.what();
    }
    return "";
}
}  // namespace

TEST(PublicName, AcceptsHostNamesInCanonicalForm) {
    EXPECT_EQ(validateDomainName("www.example.org"), "www.example.org");
    EXPECT_EQ(validateDomainName("Site.Asso-Rennes.Example."), "site.asso-rennes.example");
    EXPECT_EQ(validateDomainName("a1.b-2.example"), "a1.b-2.example");
    EXPECT_EQ(validateDomainName(std::string(63, 'a') + ".example"), std::string(63, 'a') + ".example");
}

TEST(PublicName, RefusesTheBadNamesOfTheIssue) {
    EXPECT_NE(refusal("localhost"), "");
    EXPECT_NE(refusal("LOCALHOST"), "");
    EXPECT_NE(refusal("pad.localhost"), "");
    EXPECT_NE(refusal("*.example.org"), "");
    EXPECT_NE(refusal("a..b"), "");
    EXPECT_NE(refusal("192.168.1.10"), "");
    EXPECT_NE(refusal("127.0.0.1"), "");
    EXPECT_NE(refusal("[::1]"), "");
    EXPECT_NE(refusal("::1"), "");
    std::string long254;
    while (long254.size() < 254) {
        long254 += "abcdefghi.";
    }
    long254 = long254.substr(0, 250) + "x.org";
    ASSERT_GE(long254.size(), 254u);
    EXPECT_NE(refusal(long254), "");
}

TEST(PublicName, RefusesMalformedLabels) {
    EXPECT_NE(refusal(""), "");
    EXPECT_NE(refusal("."), "");
    EXPECT_NE(refusal("example"), "");
    EXPECT_NE(refusal(".example.org"), "");
    EXPECT_NE(refusal("-a.example.org"), "");
    EXPECT_NE(refusal("a-.example.org"), "");
    EXPECT_NE(refusal(std::string(64, 'a') + ".example"), "");
    EXPECT_NE(refusal("a_b.example.org"), "");
    EXPECT_NE(refusal("a b.example.org"), "");
}

TEST(PublicName, RefusesWhatCouldInjectNginxDirectives) {
    for (const std::string& bad :
         std::initializer_list<std::string>{"a.org;", "a.org; include /etc/passwd", "a.org}", "a.org{",
                                            "$host.org", "a.org\nserver_name b.org", "a\".org", "a'.org",
                                            "a\\.org", "a.org#x", std::string("a.org\0b", 7)}) {
        EXPECT_NE(refusal(bad), "") << bad;
    }
}

TEST(PublicName, ConvertsInternationalisedNamesToPunycode) {
    EXPECT_EQ(validateDomainName("café.example"), "xn--caf-dma.example");
    EXPECT_EQ(validateDomainName("Bücher.example"), "xn--bcher-kva.example");
    EXPECT_EQ(validateDomainName("xn--bcher-kva.example"), "xn--bcher-kva.example");
    // Non-transitional: ß stays ß (IDNA2008), not "ss".
    EXPECT_EQ(validateDomainName("straße.example"), "xn--strae-oqa.example");
    EXPECT_NE(refusal("caf\xC3.example"), "");  // not UTF-8
}

TEST(PublicName, CanonicalCheckMatchesValidation) {
    EXPECT_TRUE(isCanonicalDomainName("a.example.org"));
    EXPECT_FALSE(isCanonicalDomainName("A.example.org"));
    EXPECT_FALSE(isCanonicalDomainName("a.example.org;"));
    EXPECT_FALSE(isCanonicalDomainName("localhost"));
}

TEST(PublicName, SlugsAreDnsLabels) {
    EXPECT_EQ(slugify("La Fabrique du Territoire"), "la-fabrique-du-territoire");
    EXPECT_EQ(slugify("Éducation & Loisirs — Rennes"), "education-loisirs-rennes");
    EXPECT_EQ(slugify("  --Œuvre  Ça va?  "), "oeuvre-ca-va");
    EXPECT_EQ(slugify("Straße 12"), "strasse-12");
    EXPECT_EQ(slugify("???"), "association");
    EXPECT_EQ(slugify(std::string(100, 'x')).size(), 63u);
    EXPECT_EQ(slugify(std::string(62, 'x') + " y"), std::string(62, 'x'));
    for (const std::string name : {"Les Amis d'Ève", "AMAP (Bréal)", "x.y.z"}) {
        EXPECT_TRUE(isCanonicalDomainName(slugify(name) + ".example")) << name;
    }
}

TEST(PublicName, RegistrableDomainsFollowThePublicSuffixList) {
    EXPECT_EQ(registrableDomain("www.example.org"), "example.org");
    EXPECT_EQ(registrableDomain("a.b.example.co.uk"), "example.co.uk");
    EXPECT_EQ(registrableDomain("site.asso.asso-hebergees.fr"), "asso-hebergees.fr");
    EXPECT_EQ(registrableDomain("example.github.io"), "example.github.io");  // a private suffix
    EXPECT_EQ(registrableDomain("co.uk"), std::nullopt);                     // a suffix itself
    EXPECT_EQ(registrableDomain("127.0.0.1"), std::nullopt);
    EXPECT_EQ(registrableDomain("::1"), std::nullopt);
}

TEST(PublicName, DefaultNamesAreServiceSlugDomain) {
    EXPECT_EQ(defaultPublicName("site", "les-amis", "asso-hebergees.example"),
              "site.les-amis.asso-hebergees.example");
    EXPECT_THROW(defaultPublicName("site web", "x", "asso.example"), Error);
    EXPECT_THROW(defaultPublicName(std::string(64, 'a'), "x", "asso.example"), Error);
}
