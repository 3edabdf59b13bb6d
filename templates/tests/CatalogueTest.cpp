#include "chatiere/templates/Catalogue.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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

// Compares with a golden file; CHATIERE_REGENERATE_GOLDEN=1 rewrites it instead (review the diff).
void expectGolden(const std::string& actual, const std::string& name) {
    const auto file = kGolden / name;
    if (std::getenv("CHATIERE_REGENERATE_GOLDEN")) {
        std::ofstream(file) << actual;
        return;
    }
    ASSERT_TRUE(std::filesystem::exists(file))
        << file << " is missing: run with CHATIERE_REGENERATE_GOLDEN=1";
    EXPECT_EQ(actual, read(file)) << "differs from " << file;
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
}

TEST(Catalogue, RendersTheWebsiteDomain) {
    const Catalogue catalogue = Catalogue::load(kCatalogue);
    expectGolden(renderDomainXml(*catalogue.find("website"), websiteValues("Les Amis du Jardin")),
                 "website-domain.xml");
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
