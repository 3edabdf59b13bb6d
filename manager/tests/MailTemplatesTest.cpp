#include "chatiere/manager/Error.h"
#include "chatiere/manager/MailTemplates.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace chatiere::manager;

namespace {
class TemplateDir {
public:
    TemplateDir() {
        char tmpl[] = "/tmp/chatiere-mail-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TemplateDir() { std::filesystem::remove_all(path_); }
    void write(const std::string& name, const std::string& text) { std::ofstream(path_ / name) << text; }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};
}  // namespace

TEST(MailTemplates, TheShippedTemplatesLoadAndRenderInBothLanguages) {
    MailTemplates templates(std::filesystem::path(CHATIERE_SOURCE_DIR) / "web-admin" / "mail");
    const std::map<std::string, std::string> vars = {
        {"name", "Camille"},           {"association", "Le Jardin"}, {"link", "https://x"},
        {"host_name", "chatons.test"}, {"kind", "association"},      {"email", "a@b.fr"},
        {"reason", "Hors territoire"}};
    for (const char* name :
         {"verify_email", "signup_pending_admin", "signup_approved", "signup_rejected", "signup_welcome"}) {
        const auto fr = templates.render(name, "fr", vars);
        const auto en = templates.render(name, "en", vars);
        EXPECT_FALSE(fr.subject.empty()) << name;
        EXPECT_NE(fr.subject, en.subject) << name;
        EXPECT_EQ(fr.body.find("{{"), std::string::npos) << name;
        EXPECT_EQ(en.body.find("{{"), std::string::npos) << name;
        // An unknown language falls back to French.
        EXPECT_EQ(templates.render(name, "de", vars).subject, fr.subject);
    }
}

TEST(MailTemplates, SubstitutesAndRefusesMissingValues) {
    EXPECT_EQ(substitute("Bonjour {{name}} !", {{"name", "Léa"}}, "t"), "Bonjour Léa !");
    EXPECT_THROW(substitute("Bonjour {{name}}", {}, "t"), Error);
    EXPECT_THROW(substitute("Bonjour {{name", {{"name", "x"}}, "t"), Error);
}

TEST(MailTemplates, MalformedFilesAreNamed) {
    {
        TemplateDir dir;
        dir.write("hello.fr.txt", "Sujet: oups\n\nBonjour");
        dir.write("hello.en.txt", "Subject: Hi\n\nHello");
        try {
            MailTemplates t(dir.path());
            FAIL();
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("hello.fr.txt"), std::string::npos) << e.what();
        }
    }
    {
        TemplateDir dir;
        dir.write("hello.fr.txt", "Subject: Salut\n\nBonjour");
        try {
            MailTemplates t(dir.path());
            FAIL();
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("hello.en.txt"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(MailTemplates("/nonexistent/mail"), Error);
}
