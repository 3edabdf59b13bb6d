#include "hosting/DnsRecords.h"

#include <gtest/gtest.h>

using namespace chatiere::manager;

// The records an own domain needs: a CNAME to the default name where the service has one (never
// to itself), A/AAAA where the host's addresses are known.
TEST(DnsRecords, CnameToTheDefaultName) {
    Service service;
    service.defaultName = "site.jardin.asso.example";
    const auto records = dnsRecordsFor(service, "www.jardin.org", {});
    EXPECT_TRUE(records.address.empty());
    ASSERT_TRUE(records.cname);
    EXPECT_EQ(records.cname->type, "CNAME");
    EXPECT_EQ(records.cname->name, "www.jardin.org");
    EXPECT_EQ(records.cname->value, "site.jardin.asso.example");
    EXPECT_FALSE(dnsRecordsFor(service, "site.jardin.asso.example", {}).cname);
}

TEST(DnsRecords, AddressRecordsWhereTheHostsAddressesAreKnown) {
    Service service;
    service.defaultName = "site.jardin.asso.example";
    auto records = dnsRecordsFor(service, "jardin.org", {"192.0.2.10", "2001:db8::10"});
    ASSERT_EQ(records.address.size(), 2u);
    EXPECT_EQ(records.address[0].type, "A");
    EXPECT_EQ(records.address[0].name, "jardin.org");
    EXPECT_EQ(records.address[0].value, "192.0.2.10");
    EXPECT_EQ(records.address[1].type, "AAAA");
    EXPECT_EQ(records.address[1].value, "2001:db8::10");
    EXPECT_TRUE(records.cname);

    service.defaultName.reset();  // public.domain unset: no default name to point at
    records = dnsRecordsFor(service, "jardin.org", {"192.0.2.10", std::nullopt});
    ASSERT_EQ(records.address.size(), 1u);
    EXPECT_EQ(records.address[0].type, "A");
    EXPECT_FALSE(records.cname);
    EXPECT_TRUE(dnsRecordsFor(service, "jardin.org", {}).address.empty());
}
