// Pads over the real HTTP server (port 0, a real SQLite file, libvirt's test driver): an editor
// here has no Etherpad behind its port, so every pad call that reaches Etherpad answers 503
// service_unavailable and creates nothing; the rules before it (names, kinds, associations,
// roles) answer as they must. The pads page says that the editor does not answer, not a 500.

#include "PadsFixture.h"
#include "Unzip.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

using namespace chatiere::testing;
using namespace Poco::Data::Keywords;

namespace {

class PadsApi : public PadsFixture {};

}  // namespace

TEST_F(PadsApi, AnEditorWithoutEtherpadIsServiceUnavailableAndNothingIsCreated) {
    auto r = managerA_->post("/api/v1/services/" + editor_ + "/pads", R"({"name": "notes", "text": "Été"})");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.errorCode(), "service_unavailable");
    r = memberA_->get("/api/v1/services/" + editor_ + "/pads");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.errorCode(), "service_unavailable");
    r = managerA_->del("/api/v1/services/" + editor_ + "/pads/notes");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(auditCount("pad.create"), 0);
    EXPECT_EQ(auditCount("pad.delete"), 0);
}

TEST_F(PadsApi, BadNamesAre400) {
    for (const std::string& name :
         std::vector<std::string>{"", "a/b", "..", "a b", "caf\u00e9", "pad.txt", std::string(51, 'x')}) {
        SCOPED_TRACE(name);
        const auto r =
            managerA_->post("/api/v1/services/" + editor_ + "/pads", R"({"name": ")" + name + "\"}");
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.errorCode(), "invalid_name");
    }
    // The same names in the path of a delete.
    for (const std::string& path :
         std::vector<std::string>{"a%2Fb", "a/b", "..", "a%20b", "caf%C3%A9", std::string(51, 'x')}) {
        SCOPED_TRACE(path);
        const auto r = managerA_->del("/api/v1/services/" + editor_ + "/pads/" + path);
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.errorCode(), "invalid_name");
    }
    auto r = managerA_->post("/api/v1/services/" + editor_ + "/pads", R"({"text": "sans nom"})");
    EXPECT_EQ(r.status, 400) << r.body;
    r = managerA_->post("/api/v1/services/" + editor_ + "/pads", R"({"name": 12})");
    EXPECT_EQ(r.status, 400) << r.body;
    r = managerA_->post("/api/v1/services/" + editor_ + "/pads", "not json");
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(auditCount("pad.create"), 0);
}

TEST_F(PadsApi, AWebsiteIsNotAnEditor) {
    auto r = managerA_->post("/api/v1/services/" + website_ + "/pads", R"({"name": "notes"})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "not_an_editor");
    r = managerA_->get("/api/v1/services/" + website_ + "/pads");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "not_an_editor");
    r = managerA_->del("/api/v1/services/" + website_ + "/pads/notes");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "not_an_editor");
}

TEST_F(PadsApi, AnotherAssociationsEditorIs404) {
    auto r = managerA_->post("/api/v1/services/" + editorB_ + "/pads", R"({"name": "notes"})");
    EXPECT_EQ(r.status, 404) << r.body;
    r = managerA_->get("/api/v1/services/" + editorB_ + "/pads");
    EXPECT_EQ(r.status, 404) << r.body;
    r = managerA_->del("/api/v1/services/" + editorB_ + "/pads/notes");
    EXPECT_EQ(r.status, 404) << r.body;
    r = d_->client().get("/api/v1/services/" + editor_ + "/pads");
    EXPECT_EQ(r.status, 401) << r.body;
}

TEST_F(PadsApi, MembersMayNotDeletePads) {
    const auto r = memberA_->del("/api/v1/services/" + editor_ + "/pads/notes");
    EXPECT_EQ(r.status, 403) << r.body;
    // A member may create: it reaches Etherpad, which is not there.
    EXPECT_EQ(memberA_->post("/api/v1/services/" + editor_ + "/pads", R"({"name": "notes"})").status, 503);
}

TEST_F(PadsApi, ASuspendedEditorIsAConflict) {
    ASSERT_EQ(managerA_->post("/api/v1/services/" + editor_ + "/suspend", "{}").status, 202);
    const auto r = managerA_->post("/api/v1/services/" + editor_ + "/pads", R"({"name": "notes"})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "invalid_state");
}

TEST_F(PadsApi, TheCliSaysTheEditorIsUnavailable) {
    const std::string url = "http://127.0.0.1:" + std::to_string(d_->daemon().port());
    const std::string token = managerA_->token();
    const auto run = [&](const std::string& args) {
        const std::string command = "CHATIERE_TOKEN=" + token + " " + CHATIERE_BINARY + " pads " + args +
                                    " --url " + url + " >/dev/null 2>&1";
        const int status = std::system(command.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    EXPECT_EQ(run("list " + editor_), 69);
    EXPECT_EQ(run("create " + editor_ + " notes --text Bonjour"), 69);
    EXPECT_EQ(run("create " + editor_ + " 'a b'"), 65);
    EXPECT_EQ(run("create " + website_ + " notes"), 65);  // 409: refused input, as for `service`
    EXPECT_EQ(run("delete " + editorB_ + " notes"), 66);
    EXPECT_EQ(run("list"), 64);  // no service id: a usage error (EX_USAGE)
}

TEST_F(PadsApi, ThePadsPageSaysTheEditorDoesNotAnswer) {
    Browser camille = signedInBrowser(d_->daemon().port(), "manager@a.test", "correct horse battery",
                                      d_->nextTotpCode("manager@a.test"));
    auto r = camille.get("/services/" + editor_ + "/pads");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("id=\"pads-unavailable\""), std::string::npos) << r.body;
    // The dashboard links to it.
    r = camille.get("/associations/" + a_);
    EXPECT_NE(r.body.find("/services/" + editor_ + "/pads"), std::string::npos) << r.body;
    // Creating from the page: the form again, saying so, nothing created.
    r = camille.post("/services/" + editor_ + "/pads", {{"name", "notes"}, {"text", ""}});
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("id=\"pads-unavailable\""), std::string::npos) << r.body;
    r = camille.post("/services/" + editor_ + "/pads", {{"name", "a b"}});
    EXPECT_EQ(r.status, 400) << r.body;
    // Deleting asks first (a page with a form), then answers.
    r = camille.get("/services/" + editor_ + "/pads/notes/delete");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("action=\"/services/" + editor_ + "/pads/notes/delete\""), std::string::npos)
        << r.body;
    EXPECT_EQ(auditCount("pad.create"), 0);
}

TEST_F(PadsApi, TheExportSaysWhichEditorDidNotAnswerAndStillSucceeds) {
    const auto r = managerA_->get("/api/v1/associations/" + a_ + "/export");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto files = unzip(r.body);
    ASSERT_TRUE(files.count("association.json"));
    EXPECT_NE(files.at("README.txt").find("pads/PAD.txt"), std::string::npos);
    const auto record =
        Poco::JSON::Parser().parse(files.at("association.json")).extract<Poco::JSON::Object::Ptr>();
    const auto pads = record->getArray("pads");
    ASSERT_EQ(pads->size(), 1u);  // the editor, not the website
    EXPECT_EQ(pads->getObject(0)->getValue<std::string>("service"), "pads");
    EXPECT_FALSE(pads->getObject(0)->getValue<bool>("complete"));
    EXPECT_NE(pads->getObject(0)->getValue<std::string>("unavailable").find("does not answer"),
              std::string::npos);
    for (const auto& [name, content] : files) {
        EXPECT_EQ(name.find("/pads/"), std::string::npos) << name;
    }
}

TEST_F(PadsApi, WithEtherpadAnsweringPadsAreCreatedListedExportedAndDeleted) {
    int port = 0;
    {
        auto s = d_->daemon().database().session();
        std::string id = editor_;
        s << "SELECT host_port FROM services WHERE id = ?", use(id), into(port), now;
    }
    ASSERT_GT(port, 0);
    FakeEtherpad etherpad(port);
    const std::string pads = "/api/v1/services/" + editor_ + "/pads";

    auto r = memberA_->post(pads, R"({"name": "compte-rendu", "text": "Réunion : l'été à l'école"})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()->getValue<std::string>("name"), "compte-rendu");
    EXPECT_EQ(r.json()->getValue<std::string>("url"),
              "http://127.0.0.1:" + std::to_string(port) + "/p/compte-rendu");
    r = managerA_->post(pads, R"({"name": "compte-rendu"})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.errorCode(), "pad_exists");
    ASSERT_EQ(managerA_->post(pads, R"({"name": "Agenda_2027"})").status, 201);

    r = memberA_->get(pads);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto list = r.json()->getArray("pads");
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("name"), "Agenda_2027");  // by name
    EXPECT_EQ(list->getObject(1)->getValue<std::string>("name"), "compte-rendu");
    EXPECT_EQ(list->getObject(1)->getValue<std::string>("last_edited"), "2025-12-06T20:00:00Z");
    EXPECT_EQ(list->getObject(1)->getValue<int>("revisions"), 2);

    // The pads page lists them with their links.
    Browser camille = signedInBrowser(d_->daemon().port(), "manager@a.test", "correct horse battery",
                                      d_->nextTotpCode("manager@a.test"));
    auto page = camille.get("/services/" + editor_ + "/pads");
    EXPECT_EQ(page.status, 200);
    for (std::size_t at; (at = page.body.find("&#x2F;")) != std::string::npos;) {
        page.body.replace(at, 6, "/");  // the renderer escapes '/' in attributes
    }
    EXPECT_NE(page.body.find("href=\"http://127.0.0.1:" + std::to_string(port) + "/p/compte-rendu\""),
              std::string::npos)
        << page.body;

    // The export holds each pad's text and HTML.
    r = managerA_->get("/api/v1/associations/" + a_ + "/export");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto files = unzip(r.body);
    ASSERT_TRUE(files.count("services/pads/pads/compte-rendu.txt"));
    EXPECT_EQ(files.at("services/pads/pads/compte-rendu.txt"), "Réunion : l'été à l'école\n");
    ASSERT_TRUE(files.count("services/pads/pads/compte-rendu.html"));
    EXPECT_NE(files.at("services/pads/pads/compte-rendu.html").find("l'été"), std::string::npos);
    EXPECT_TRUE(files.count("services/pads/pads/Agenda_2027.txt"));
    const auto record =
        Poco::JSON::Parser().parse(files.at("association.json")).extract<Poco::JSON::Object::Ptr>();
    EXPECT_TRUE(record->getArray("pads")->getObject(0)->getValue<bool>("complete"));

    EXPECT_EQ(memberA_->del(pads + "/compte-rendu").status, 403);
    EXPECT_EQ(managerA_->del(pads + "/compte-rendu").status, 204);
    EXPECT_EQ(managerA_->del(pads + "/compte-rendu").status, 404);
    EXPECT_EQ(memberA_->get(pads).json()->getArray("pads")->size(), 1u);
    EXPECT_EQ(auditCount("pad.create"), 2);
    EXPECT_EQ(auditCount("pad.delete"), 1);
}
