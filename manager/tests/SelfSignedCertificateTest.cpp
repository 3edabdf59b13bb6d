#include "hosting/SelfSignedCertificate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

using namespace chatiere::manager;
using namespace std::chrono;

namespace {
const system_clock::time_point kNow = sys_days{year{2026} / 12 / 6} + hours{23};
}

TEST(SelfSignedCertificate, NamesTheHostAndLastsItsValidity) {
    const CertificatePair pair = makeSelfSignedCertificate("site.amap-breal.asso-hebergees.example", kNow);
    EXPECT_TRUE(pair.certificatePem.starts_with("-----BEGIN CERTIFICATE-----"));
    EXPECT_NE(pair.keyPem.find("PRIVATE KEY-----"), std::string::npos);
    const CertificateInfo info = readCertificate(pair.certificatePem);
    EXPECT_EQ(info.commonName, "site.amap-breal.asso-hebergees.example");
    EXPECT_EQ(info.dnsNames, std::vector<std::string>{"site.amap-breal.asso-hebergees.example"});
    EXPECT_TRUE(info.selfSigned);
    EXPECT_EQ(info.issuer, "CN=site.amap-breal.asso-hebergees.example");
    EXPECT_EQ(info.notBefore, kNow);
    EXPECT_EQ(info.notAfter, kNow + hours(24 * 90));
}

TEST(SelfSignedCertificate, EachHasItsOwnKey) {
    const auto a = makeSelfSignedCertificate("a.example", kNow, hours(1));
    const auto b = makeSelfSignedCertificate("a.example", kNow, hours(1));
    EXPECT_NE(a.keyPem, b.keyPem);
    EXPECT_NE(a.certificatePem, b.certificatePem);
    EXPECT_EQ(readCertificate(a.certificatePem).notAfter, kNow + hours(1));
}

TEST(SelfSignedCertificate, AnIpAddressOrLocalhostForTheDemo) {
    EXPECT_EQ(readCertificate(makeSelfSignedCertificate("127.0.0.1", kNow).certificatePem).dnsNames,
              std::vector<std::string>{"127.0.0.1"});
    EXPECT_EQ(readCertificate(makeSelfSignedCertificate("localhost", kNow).certificatePem).dnsNames,
              std::vector<std::string>{"localhost"});
}

TEST(SelfSignedCertificate, RefusesWhatIsNotAHostName) {
    for (const std::string bad :
         {"", "a.example,DNS:evil.example", "a.example\n", "A.example", "a b.example"}) {
        EXPECT_THROW(makeSelfSignedCertificate(bad, kNow), std::invalid_argument) << bad;
    }
    EXPECT_THROW(readCertificate("not a certificate"), std::invalid_argument);
    EXPECT_THROW(readCertificate(""), std::invalid_argument);
}
