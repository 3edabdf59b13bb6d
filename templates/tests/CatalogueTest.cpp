#include "Golden.h"
#include "chatiere/templates/Catalogue.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace chatiere::templates;

namespace {

const std::filesystem::path kCatalogue = std::filesystem::path(CHATIERE_SOURCE_DIR) / "templates";
const std::filesystem::path kGolden = kCatalogue / "tests" / "golden";

std::string read(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void expectGolden(const std::string& actual, const std::string& name) {
    chatiere::testing::expectGolden(actual, kGolden / name);
}

std::map<std::string, std::string> websiteValues(const std::string& associationName) {
    return {{"domain_type", "qemu"},
            {"domain_name", "chatiere-0a1b2c3d4e5f-svc_k5v3q2m7x4a9c6b1"},
            {"service_name", "site"},
            {"association_name", associationName},
            {"instance_id", "0a1b2c3d4e5f"},
            {"service_id", "svc_k5v3q2m7x4a9c6b1"},
            {"memory_mib", "128"},
            {"vcpus", "1"},
            {"kernel", "/var/lib/chatiere/images/website/vmlinuz"},
            {"initrd", "/var/lib/chatiere/images/website/initrd.img"},
            {"data_disk", "/var/lib/chatiere/volumes/svc_k5v3q2m7x4a9c6b1.img"},
            {"host_port_http", "20001"}};
}

// A throwaway catalogue folder for the error cases.
class Scratch {
public:
    Scratch() {
        char tmpl[] = "/tmp/chatiere-tpl-XXXXXX";
        root_ = mkdtemp(tmpl);
        std::filesystem::copy(kCatalogue / "website", root_ / "website");
    }
    ~Scratch() { std::filesystem::remove_all(root_); }
    // Replaces the first occurrence of `from` in website/template.json.
    void edit(const std::string& from, const std::string& to) {
        const auto file = root_ / "website" / "template.json";
        std::string text = read(file);
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
        std::ofstream(file) << text;
    }
    // Replaces the first occurrence of `from` in website/domain.xml.
    void editDomain(const std::string& from, const std::string& to) {
        const auto file = root_ / "website" / "domain.xml";
        std::string text = read(file);
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
        std::ofstream(file) << text;
    }
    Manifest load() { return Catalogue::loadManifest(root_ / "website"); }
    std::string loadError() {
        try {
            Catalogue::load(root_);
        } catch (const TemplateError& e) {
            return e.what();
        }
        return "";
    }

private:
    std::filesystem::path root_;
};

}  // namespace

TEST(Catalogue, LoadsTheShippedTemplates) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    const Manifest* website = catalogue.find("website");
    ASSERT_NE(website, nullptr);
    EXPECT_EQ(website->kind, "website");
    EXPECT_EQ(website->title.fr, "Site web");
    EXPECT_EQ(website->title.en, "Website");
    ASSERT_NE(website->port("http"), nullptr);
    EXPECT_EQ(website->port("http")->guestPort, 80);
    EXPECT_EQ(website->httpEndpoint, "http");
    EXPECT_EQ(website->health.type, "http");
    EXPECT_EQ(website->health.path, "/");
    EXPECT_TRUE(website->supports("qemu"));
    EXPECT_TRUE(website->supports("kvm"));
    EXPECT_FALSE(website->supports("lxc"));
    EXPECT_EQ(catalogue.find("nothing"), nullptr);

    const Manifest* mail = catalogue.find("mail");
    ASSERT_NE(mail, nullptr);
    EXPECT_EQ(mail->kind, "mail");
    EXPECT_EQ(mail->title.fr, "Messagerie");
    for (const auto& [name, port] :
         std::map<std::string, int>{{"smtp", 25}, {"imap", 143}, {"submission", 587}, {"doveadm", 8080}}) {
        ASSERT_NE(mail->port(name), nullptr) << name;
        EXPECT_EQ(mail->port(name)->guestPort, port) << name;
    }
    EXPECT_FALSE(mail->httpEndpoint.has_value());
    EXPECT_FALSE(mail->proxy.has_value());
    EXPECT_EQ(mail->health.type, "http");
    EXPECT_EQ(mail->health.port, "doveadm");
    EXPECT_EQ(mail->health.expectStatus, 401);
    EXPECT_EQ(mail->config.size(), 8u);
}

TEST(Catalogue, RendersTheWebsiteDomain) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    expectGolden(renderDomainXml(*catalogue.find("website"), websiteValues("Les Amis du Jardin")),
                 "website-domain.xml");
}

// A Debian appliance (the test-only tests/templates/appliance, shaped as the editor): a shared root
// image read-only, the data volume beside it, the guest agent's channel, two forwarded ports and,
// for a qemu guest, the 64 MiB translation cache.
TEST(Catalogue, RendersADebianApplianceDomain) {
    const Catalogue catalogue =
        Catalogue::load(std::filesystem::path(CHATIERE_SOURCE_DIR) / "tests" / "templates");
    const Manifest* appliance = catalogue.find("appliance");
    ASSERT_NE(appliance, nullptr);
    EXPECT_EQ(appliance->imageRoot, "root.img");
    EXPECT_EQ(appliance->ports.size(), 2u);
    auto values = websiteValues("Les Amis du Jardin");
    values["domain_name"] = "chatiere-0a1b2c3d4e5f-svc_pad";
    values["service_id"] = "svc_pad";
    values["memory_mib"] = "512";
    values["kernel"] = "/var/lib/chatiere/images/appliance/vmlinuz";
    values["initrd"] = "/var/lib/chatiere/images/appliance/initrd.img";
    values["root_image"] = "/var/lib/chatiere/images/appliance/root.img";
    values["data_disk"] = "/var/lib/chatiere/volumes/svc_pad.img";
    values["host_port_http"] = "21001";
    values["host_port_admin"] = "21002";
    expectGolden(renderDomainXml(*appliance, values), "appliance-domain.xml");

    values["domain_type"] = "kvm";
    const std::string kvm = renderDomainXml(*appliance, values);
    EXPECT_EQ(kvm.find("tb-cache"), std::string::npos) << "a KVM guest has no translation cache";
    values.erase("host_port_admin");
    EXPECT_THROW(renderDomainXml(*appliance, values), TemplateError) << "every port needs its host port";
}

TEST(Catalogue, TheRootImageIsOptional) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    EXPECT_EQ(catalogue.find("website")->imageRoot, "");
}

TEST(Catalogue, AssociationNamesCannotInjectXml) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    const std::string xml =
        renderDomainXml(*catalogue.find("website"), websiteValues("<x>&'\"</title><evil/>"));
    EXPECT_EQ(xml.find("<evil/>"), std::string::npos);
    EXPECT_NE(xml.find("&lt;x&gt;&amp;&apos;&quot;&lt;/title&gt;&lt;evil/&gt;"), std::string::npos);
    expectGolden(xml, "website-domain-escaped.xml");
}

TEST(Catalogue, RenderingRefusesMissingValuesAndControlCharacters) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    auto values = websiteValues("Jardin");
    values.erase("data_disk");
    EXPECT_THROW(renderDomainXml(*catalogue.find("website"), values), TemplateError);
    values = websiteValues("Jardin\n<devices>");
    EXPECT_THROW(renderDomainXml(*catalogue.find("website"), values), TemplateError);
}

TEST(Catalogue, ErrorsNameTheFileAndTheField) {
    struct Case {
        std::string from, to, field;
    };
    const std::vector<Case> cases = {
        {"\"kind\": \"website\"", "\"kind\": \"blog\"", "field kind"},
        {"\"memory_mib\": 128", "\"memory_mib\": \"lots\"", "field resources.memory_mib"},
        {"\"http_endpoint\": \"http\"", "\"http_endpoint\": \"https\"", "field http_endpoint"},
        {"\"domain_types\": [\"kvm\", \"qemu\"]", "\"domain_types\": [\"kvm\", \"xen\"]",
         "field domain_types.1"},
        {"\"name\": \"website\"", "\"name\": \"website\", \"colour\": \"blue\"", "field colour"},
        {"\"source\": \"association.name\"", "\"source\": \"association.secret\"", "field config.0.source"},
        {"\"guest_port\": 80", "\"guest_port\": 80000", "field ports.0.guest_port"},
        {"\"path\": \"/\"", "\"path\": \"index.html\"", "field health.path"},
        {"\"recipe\": \"build-image.sh\"", "\"recipe\": \"missing.sh\"", "field image.recipe"},
        {"{", "{,", "not valid JSON"},
    };
    for (const auto& c : cases) {
        Scratch scratch;
        scratch.edit(c.from, c.to);
        const std::string error = scratch.loadError();
        EXPECT_NE(error.find("website/template.json"), std::string::npos) << c.to << ": " << error;
        EXPECT_NE(error.find(c.field), std::string::npos) << c.to << ": " << error;
    }
}

TEST(Catalogue, EscapeXml) {
    EXPECT_EQ(escapeXml("a<b>&'\"c"), "a&lt;b&gt;&amp;&apos;&quot;c");
    EXPECT_EQ(escapeXml("Élan"), "Élan");
}

// The only network a guest gets: the host reaches its declared ports on 127.0.0.1, and it reaches
// nothing of the host (restrict=on, no IPv6) unless its template declares a host service.
TEST(Catalogue, EveryGuestIsFencedOffTheHost) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    const std::string xml = renderDomainXml(*catalogue.find("website"), websiteValues("Jardin"));
    EXPECT_NE(xml.find("<qemu:arg value='user,id=n0,restrict=on,ipv6=off,hostfwd=tcp:127.0.0.1:20001-:80'/>"),
              std::string::npos)
        << xml;
    EXPECT_EQ(xml.find("guestfwd"), std::string::npos) << "the website needs nothing of the host";
    EXPECT_EQ(xml.find("<interface"), std::string::npos);
    EXPECT_LT(xml.find("</qemu:commandline>"), xml.find("</domain>"));
}

TEST(Catalogue, ADeclaredHostServiceIsTheOnlyWayOut) {
    Scratch scratch;
    scratch.edit("\"http_endpoint\"",
                 "\"host_services\": [{\"name\": \"mail_front\", \"guest_port\": 25, \"host_port\": 2525}],\n"
                 "  \"http_endpoint\"");
    const Manifest m = scratch.load();
    ASSERT_EQ(m.hostServices.size(), 1u);
    EXPECT_EQ(m.hostServices[0].name, "mail_front");
    const std::string xml = renderDomainXml(m, websiteValues("Jardin"));
    EXPECT_NE(xml.find("user,id=n0,restrict=on,ipv6=off,hostfwd=tcp:127.0.0.1:20001-:80,"
                       "guestfwd=tcp:10.0.2.100:25-tcp:127.0.0.1:2525'"),
              std::string::npos)
        << xml;
}

TEST(Catalogue, HostPortsCannotAddNetworkOptions) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    for (const std::string bad : {"20001,restrict=off", "0", "65536", "", "-1", "2e4", "123456"}) {
        auto values = websiteValues("Jardin");
        values["host_port_http"] = bad;
        EXPECT_THROW(renderDomainXml(*catalogue.find("website"), values), TemplateError) << bad;
    }
    auto values = websiteValues("Jardin");
    values.erase("host_port_http");
    EXPECT_THROW(renderDomainXml(*catalogue.find("website"), values), TemplateError);
}

TEST(Catalogue, ATemplateCannotBringItsOwnNetwork) {
    const std::vector<std::string> own = {"<interface type='user'><model type='virtio'/></interface>",
                                          "</devices><qemu:commandline><qemu:arg value='-nic'/><qemu:arg "
                                          "value='user'/></qemu:commandline><devices>",
                                          "<!-- -netdev user,hostfwd=tcp::80-:80 -->"};
    for (const auto& markup : own) {
        Scratch scratch;
        scratch.editDomain("<memballoon", markup + "<memballoon");
        const std::string error = scratch.loadError();
        EXPECT_NE(error.find("website/domain.xml"), std::string::npos) << markup << ": " << error;
        EXPECT_NE(error.find("network"), std::string::npos) << markup << ": " << error;
    }
    Scratch scratch;
    scratch.editDomain(" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'", "");
    EXPECT_NE(scratch.loadError().find("xmlns:qemu"), std::string::npos) << scratch.loadError();
}

TEST(Catalogue, HostServiceErrorsNameTheField) {
    struct Case {
        std::string services, field;
    };
    const std::vector<Case> cases = {
        {R"([{"name": "Mail", "guest_port": 25, "host_port": 2525}])", "field host_services.0.name"},
        {R"([{"name": "mail", "guest_port": 0, "host_port": 2525}])", "field host_services.0.guest_port"},
        {R"([{"name": "mail", "guest_port": 25}])", "field host_services.0.host_port"},
        {R"([{"name": "mail", "guest_port": 25, "host_port": 2525, "host": "10.0.0.1"}])",
         "field host_services.0.host"},
        {R"([{"name": "a", "guest_port": 25, "host_port": 1}, {"name": "b", "guest_port": 25, "host_port": 2}])",
         "field host_services.1.guest_port"},
    };
    for (const auto& c : cases) {
        Scratch scratch;
        scratch.edit("\"http_endpoint\"", "\"host_services\": " + c.services + ", \"http_endpoint\"");
        const std::string error = scratch.loadError();
        EXPECT_NE(error.find(c.field), std::string::npos) << c.services << ": " << error;
    }
}
