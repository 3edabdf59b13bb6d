// The association's dashboard shows each editor's pads (issue 17): over the real HTTP server, with
// an in-memory Etherpad on the editor's port (FakeEtherpad), with nothing there, and with an
// Etherpad that takes connections and never answers. The dashboard always answers 200; an editor
// that does not answer is said to be unreachable for now, with a link to try again.

#include "PadsFixture.h"

#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>

#include <string>

using namespace chatiere::testing;

namespace {

class PadsDashboard : public PadsFixture {
protected:
    std::string dashboard() { return "/associations/" + a_; }
    // The editor's section of a dashboard page, as a browser reads it.
    std::string section(const ApiResponse& page, const std::string& service) {
        const std::string text = pageText(page);
        const auto start = text.find("<section aria-labelledby=\"pads-" + service + "-title\"");
        if (start == std::string::npos) {
            return "";
        }
        return text.substr(start, text.find("</section>", start) - start);
    }
};

}  // namespace

TEST_F(PadsDashboard, ListsEachPadWithItsLinkAndOnlyManagersMayDelete) {
    const int port = hostPort(editor_);
    ASSERT_GT(port, 0);
    FakeEtherpad etherpad(port);
    ASSERT_EQ(managerA_->post("/api/v1/services/" + editor_ + "/pads", R"({"name": "compte-rendu"})").status,
              201);

    Browser manager = signedInBrowser(*d_, "manager@a.test");
    auto page = manager.get(dashboard());
    ASSERT_EQ(page.status, 200) << page.body;
    std::string pads = section(page, editor_);
    ASSERT_FALSE(pads.empty()) << page.body;
    EXPECT_NE(pads.find("<a href=\"http://127.0.0.1:" + std::to_string(port) +
                        "/p/compte-rendu\">compte-rendu</a>"),
              std::string::npos)
        << pads;
    EXPECT_NE(pads.find("datetime=\"2025-12-06T20:00:00Z\""), std::string::npos) << pads;
    EXPECT_NE(pads.find("<td>2</td>"), std::string::npos) << "revisions: " << pads;
    EXPECT_NE(pads.find("href=\"/services/" + editor_ + "/pads/compte-rendu/delete?from=dashboard\""),
              std::string::npos)
        << pads;
    EXPECT_NE(pads.find("action=\"/services/" + editor_ + "/pads\""), std::string::npos) << "create form";
    EXPECT_NE(pads.find("id=\"pad-name-" + editor_ + "\""), std::string::npos) << pads;
    EXPECT_EQ(pads.find("pads-unavailable"), std::string::npos) << pads;
    // The website has no pads section; the other association's editor is not on this page.
    EXPECT_TRUE(section(page, website_).empty());
    EXPECT_TRUE(section(page, editorB_).empty());

    Browser member = signedInBrowser(*d_, "member@a.test");
    page = member.get(dashboard());
    ASSERT_EQ(page.status, 200) << page.body;
    pads = section(page, editor_);
    EXPECT_NE(pads.find("/p/compte-rendu\">compte-rendu</a>"), std::string::npos) << pads;
    EXPECT_NE(pads.find("action=\"/services/" + editor_ + "/pads\""), std::string::npos) << "members create";
    EXPECT_EQ(pads.find("/delete"), std::string::npos) << "a member does not delete: " << pads;
}

TEST_F(PadsDashboard, CreatingAndDeletingFromTheDashboardComesBackToIt) {
    FakeEtherpad etherpad(hostPort(editor_));
    Browser member = signedInBrowser(*d_, "member@a.test");
    ASSERT_EQ(member.get(dashboard()).status, 200);
    auto r = member.post("/services/" + editor_ + "/pads",
                         {{"name", "ordre-du-jour"}, {"text", "Été"}, {"from", "dashboard"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], dashboard() + "?done=pad_created#pads-" + editor_);
    auto page = member.get(dashboard() + "?done=pad_created");
    EXPECT_NE(pageText(page).find("/p/ordre-du-jour\">ordre-du-jour</a>"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("role=\"status\""), std::string::npos) << "the notice";
    // A member may not delete, from here either.
    EXPECT_EQ(member.get("/services/" + editor_ + "/pads/ordre-du-jour/delete?from=dashboard").status, 403);

    // A refused name: the pads page shows the form again with its error, nothing created.
    r = member.post("/services/" + editor_ + "/pads", {{"name", "a b"}, {"from", "dashboard"}});
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("aria-invalid=\"true\""), std::string::npos) << r.body;

    Browser manager = signedInBrowser(*d_, "manager@a.test");
    auto confirm = manager.get("/services/" + editor_ + "/pads/ordre-du-jour/delete?from=dashboard");
    ASSERT_EQ(confirm.status, 200) << confirm.body;
    EXPECT_NE(confirm.body.find("name=\"from\" value=\"dashboard\""), std::string::npos) << confirm.body;
    EXPECT_NE(pageText(confirm).find("href=\"" + dashboard() + "#pads-" + editor_ + "\""), std::string::npos)
        << "cancel goes back to the dashboard: " << confirm.body;
    r = manager.post("/services/" + editor_ + "/pads/ordre-du-jour/delete", {{"from", "dashboard"}});
    ASSERT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.headers["Location"], dashboard() + "?done=pad_deleted#pads-" + editor_);
    page = manager.get(dashboard());
    EXPECT_EQ(page.body.find("ordre-du-jour"), std::string::npos) << page.body;
    EXPECT_EQ(auditCount("pad.create"), 1);
    EXPECT_EQ(auditCount("pad.delete"), 1);
}

TEST_F(PadsDashboard, AStoppedEditorIsUnreachableAndTheDashboardStillAnswers) {
    // Nothing listens on the editor's port.
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    const auto page = manager.get(dashboard());
    ASSERT_EQ(page.status, 200) << page.body;
    const std::string pads = section(page, editor_);
    EXPECT_NE(pads.find("id=\"pads-unavailable-" + editor_ + "\""), std::string::npos) << pads;
    EXPECT_NE(pads.find("Éditeur injoignable pour l’instant."), std::string::npos) << pads;
    EXPECT_NE(pads.find("<a href=\"" + dashboard() + "#pads-" + editor_ + "\">Réessayer"), std::string::npos)
        << "a link to try again: " << pads;
    EXPECT_EQ(pads.find("<table>"), std::string::npos) << pads;
    // The rest of the dashboard is there.
    EXPECT_NE(page.body.find("id=\"usage-title\""), std::string::npos);
    const auto english = manager.get(dashboard() + "?lang=en");
    EXPECT_NE(section(english, editor_).find("Editor not reachable right now."), std::string::npos)
        << english.body;
}

// The dashboard's own wait, shorter than Etherpad's timeout for one call (5 s).
class PadsDashboardShortWait : public PadsDashboard {
protected:
    int dashboardEditorWaitMs() const override { return 300; }
};

TEST_F(PadsDashboardShortWait, AnEditorThatNeverAnswersDoesNotHoldTheDashboard) {
    // Takes connections (the kernel's backlog) and never answers: the dashboard gives up on it.
    Poco::Net::ServerSocket silent(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(hostPort(editor_))));
    Browser member = signedInBrowser(*d_, "member@a.test");
    const auto page = member.get(dashboard());
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(section(page, editor_).find("id=\"pads-unavailable-" + editor_ + "\""), std::string::npos)
        << page.body;
}

TEST_F(PadsDashboard, ASuspendedEditorSaysSoWithoutAskingEtherpad) {
    ASSERT_EQ(managerA_->post("/api/v1/services/" + editor_ + "/suspend", "{}").status, 202);
    Browser manager = signedInBrowser(*d_, "manager@a.test");
    const auto page = manager.get(dashboard());
    ASSERT_EQ(page.status, 200) << page.body;
    const std::string pads = section(page, editor_);
    EXPECT_NE(pads.find("id=\"pads-not-active-" + editor_ + "\""), std::string::npos) << pads;
    EXPECT_EQ(pads.find("pads-unavailable"), std::string::npos) << pads;
}
