#include "GuestXml.h"
#include "chatiere/provisioning/Hypervisor.h"

#include <gtest/gtest.h>

using namespace chatiere::provisioning;

TEST(GuestXml, ReadsElementsWithOrWithoutPrefix) {
    const std::string xml =
        "<domain type='qemu'><name>chatiere-a-s</name><metadata><chatiere:guest xmlns:chatiere='x'>"
        "<chatiere:instance>0a1b</chatiere:instance><chatiere:service>s1</chatiere:service></chatiere:guest>"
        "</metadata></domain>";
    EXPECT_EQ(elementText(xml, "name"), "chatiere-a-s");
    EXPECT_EQ(elementText(xml, "instance"), "0a1b");
    EXPECT_EQ(elementText(xml, "service"), "s1");
    EXPECT_EQ(elementText(xml, "missing"), std::nullopt);
    EXPECT_EQ(elementText("<a><name/></a>", "name"), std::nullopt);
    EXPECT_EQ(elementText("<name>unclosed", "name"), std::nullopt);
}

TEST(GuestXml, VolumeNamesCannotCarryPaths) {
    EXPECT_NO_THROW(checkVolumeName("svc_k5v3-data.img"));
    for (const char* bad : {"", "../x", "a/b", ".hidden", "a b", "é"}) {
        EXPECT_THROW(checkVolumeName(bad), HypervisorError) << bad;
    }
}
