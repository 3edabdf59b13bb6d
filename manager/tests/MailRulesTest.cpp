// The mail service's pure rules: local parts and destinations, mailbox password hashes, DKIM keys
// and the lines handed to the guest (docs/mail.md).

#include "chatiere/manager/Error.h"
#include "core/MailPassword.h"
#include "hosting/DkimKey.h"
#include "hosting/MailAddresses.h"
#include "hosting/MailConfig.h"
#include "hosting/MailDns.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace chatiere::manager {
namespace {

std::string codeOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return "";
}

TEST(MailAddresses, LocalPartsAreCanonical) {
    EXPECT_EQ(checkLocalPart("contact"), "contact");
    EXPECT_EQ(checkLocalPart("Jean.Dupont"), "jean.dupont");
    EXPECT_EQ(checkLocalPart("bureau-2026_ca"), "bureau-2026_ca");
    EXPECT_EQ(checkLocalPart(std::string(64, 'a')), std::string(64, 'a'));
}

TEST(MailAddresses, BadLocalPartsAreRefusedByName) {
    for (const std::string& bad :
         std::vector<std::string>{"", "a@b", "con tact", "a..b", ".a", "a.", "a+b", "é", "a,b", "a:b",
                                  std::string(65, 'a'), std::string("a\nb"), std::string("a\0b", 3)}) {
        EXPECT_EQ(codeOf([&] { checkLocalPart(bad); }), "invalid_local_part") << bad;
    }
    try {
        checkLocalPart("a b", "destinations.0");
        FAIL();
    } catch (const Error& e) {
        ASSERT_EQ(e.fields().size(), 1u);
        EXPECT_EQ(e.fields()[0].field, "destinations.0");
    }
}

TEST(MailAddresses, DestinationsAreAddressesOrOwnLocalParts) {
    EXPECT_EQ(checkDestination("tresorier", "asso.example", "d"), "tresorier@asso.example");
    EXPECT_EQ(checkDestination("Tresorier@Asso.Example", "asso.example", "d"), "tresorier@asso.example");
    EXPECT_EQ(checkDestination("Jean+list@Exemple.FR", "asso.example", "d"), "Jean+list@exemple.fr");
    EXPECT_EQ(checkDestination("x@café.example", "asso.example", "d"), "x@xn--caf-dma.example");
    for (const std::string& bad : std::vector<std::string>{
             "a@", "@b.example", "a b@c.example", "a@localhost", "a..b@c.example", "a@b@c", "x,y@c.example",
             "a!b@c.example", "a'b@c.example", std::string(65, 'a') + "@c.example"}) {
        EXPECT_NE(codeOf([&] { checkDestination(bad, "asso.example", "d"); }), "") << bad;
    }
    EXPECT_EQ(domainOf("a@b.example"), "b.example");
    EXPECT_EQ(localPartOf("a@b.example"), "a");
}

TEST(MailPassword, Sha512CryptAsDovecotReadsIt) {
    const std::string hash = mailPasswordHash("un mot de passe éprouvé");
    EXPECT_EQ(hash.rfind("{SHA512-CRYPT}$6$", 0), 0u) << hash;
    EXPECT_EQ(hash.find(':'), std::string::npos);
    EXPECT_EQ(hash.find("éprouvé"), std::string::npos);
    EXPECT_TRUE(mailPasswordMatches("un mot de passe éprouvé", hash));
    EXPECT_FALSE(mailPasswordMatches("un mot de passe eprouve", hash));
    EXPECT_NE(mailPasswordHash("un mot de passe éprouvé"), hash);  // salted
    // A hash made by `openssl passwd -6 -salt saltsalt motdepasse`, as Dovecot's own tools make them.
    EXPECT_TRUE(mailPasswordMatches("motdepasse",
                                    "{SHA512-CRYPT}$6$saltsalt$6sLDRVb.i2ttZCw6bRkP/"
                                    "HJeSdDdLn40hUNCqoNR.aB8.wQB.eQ.gM/PB9FxKsM1FD2IZNPhxF/iZ0ZYF5PWO/"));
}

TEST(MailPassword, GeneratedPasswordsAreLongAndDiffer) {
    const std::string a = newMailPassword();
    const std::string b = newMailPassword();
    EXPECT_EQ(a.size(), 16u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find_first_of("0O1lI"), std::string::npos);
}

TEST(DkimKey, PublishesThePrivateKeysPublicHalf) {
    const std::string pem = newDkimKey();
    EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
    const std::string record = dkimRecordOf(pem);
    ASSERT_EQ(record.rfind("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 0), 0u)
        << record;
    // The base64 of a 2048-bit key's SubjectPublicKeyInfo (294 bytes).
    EXPECT_EQ(record.size(), std::string("v=DKIM1; k=rsa; p=").size() + 392);
    EXPECT_EQ(dkimRecordOf(pem), record);
    EXPECT_NE(dkimRecordOf(newDkimKey()), record);
    EXPECT_THROW(dkimRecordOf("not a key"), std::runtime_error);
}

TEST(MailConfig, LinesForTheGuest) {
    Mailbox a;
    a.localPart = "contact";
    a.passwordHash = "{SHA512-CRYPT}$6$x$y";
    a.quotaMib = 512;
    Mailbox b = a;
    b.localPart = "bureau";
    b.quotaMib = 1;
    EXPECT_EQ(mailboxLines({a, b}, "asso.example"),
              "contact@asso.example:{SHA512-CRYPT}$6$x$y:512\nbureau@asso.example:{SHA512-CRYPT}$6$x$y:1\n");
    EXPECT_EQ(mailboxLines({}, "asso.example"), "");
    MailAlias alias;
    alias.localPart = "ca";
    alias.destinations = {"contact@asso.example", "jean@exemple.fr"};
    EXPECT_EQ(aliasLines({alias}, "asso.example"), "ca@asso.example contact@asso.example,jean@exemple.fr\n");
}

std::map<std::string, std::string> statesOf(const std::vector<MailDnsRecord>& records) {
    std::map<std::string, std::string> out;
    for (const auto& r : records) {
        out[r.purpose] = r.status;
    }
    return out;
}

TEST(MailDns, TheRecordsADomainNeeds) {
    const auto records =
        mailDnsRecords("asso.example", "Mail.Chatons.example", "chatiere", "v=DKIM1; k=rsa; p=ABCD", {});
    ASSERT_EQ(records.size(), 6u);
    EXPECT_EQ(records[0].type, "MX");
    EXPECT_EQ(records[0].name, "asso.example");
    EXPECT_EQ(records[0].value, "10 mail.chatons.example.");
    EXPECT_EQ(records[1].value, "v=spf1 mx -all");
    EXPECT_EQ(records[2].name, "chatiere._domainkey.asso.example");
    EXPECT_EQ(records[2].value, "v=DKIM1; k=rsa; p=ABCD");
    EXPECT_EQ(records[3].name, "_dmarc.asso.example");
    EXPECT_EQ(records[4].type, "CNAME");
    EXPECT_EQ(records[4].name, "autoconfig.asso.example");
    EXPECT_EQ(records[5].name, "autodiscover.asso.example");
    EXPECT_EQ(records[5].value, "mail.chatons.example.");
    for (const auto& r : records) {
        EXPECT_EQ(r.status, "unknown") << r.purpose;  // no resolver
    }
}

TEST(MailDns, StatesFromWhatIsPublished) {
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> zone = {
        {{"MX", "asso.example"}, {"20 backup.example", "10 mail.chatons.example"}},
        {{"TXT", "asso.example"}, {"google-site-verification=x", "v=spf1 include:ailleurs.example -all"}},
        {{"TXT", "chatiere._domainkey.asso.example"}, {"v=DKIM1; k=rsa; p=AB CD"}},
    };
    const DnsLookup lookup = [&](const std::string& type,
                                 const std::string& name) -> std::optional<std::vector<std::string>> {
        if (name == "autodiscover.asso.example") {
            return std::nullopt;  // SERVFAIL
        }
        const auto it = zone.find({type, name});
        return it == zone.end() ? std::vector<std::string>{} : it->second;
    };
    auto states = statesOf(
        mailDnsRecords("asso.example", "mail.chatons.example", "chatiere", "v=DKIM1; k=rsa; p=ABCD", lookup));
    EXPECT_EQ(states["mx"], "ok");
    EXPECT_EQ(states["spf"], "wrong");
    EXPECT_EQ(states["dkim"], "ok");  // the key, spaces aside
    EXPECT_EQ(states["dmarc"], "missing");
    EXPECT_EQ(states["autoconfig"], "missing");
    EXPECT_EQ(states["autodiscover"], "unknown");

    zone[{"MX", "asso.example"}] = {"10 mx.ailleurs.example"};
    zone[{"TXT", "asso.example"}] = {"v=spf1  mx -all"};
    zone[{"TXT", "chatiere._domainkey.asso.example"}] = {"v=DKIM1; k=rsa; p=OLDKEY"};
    zone[{"TXT", "_dmarc.asso.example"}] = {"v=DMARC1; p=none"};
    zone[{"CNAME", "autoconfig.asso.example"}] = {"mail.chatons.example"};
    states = statesOf(
        mailDnsRecords("asso.example", "mail.chatons.example", "chatiere", "v=DKIM1; k=rsa; p=ABCD", lookup));
    EXPECT_EQ(states["mx"], "wrong");
    EXPECT_EQ(states["spf"], "ok");
    EXPECT_EQ(states["dkim"], "wrong");
    EXPECT_EQ(states["dmarc"], "ok");
    EXPECT_EQ(states["autoconfig"], "ok");
}

}  // namespace
}  // namespace chatiere::manager
