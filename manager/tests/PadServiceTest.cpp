// PadService with a fake Etherpad and fake endpoints over a migrated temp SQLite file: every rule of
// issue 17's pads (the service's association, its kind, its state, the names, the roles), the 503
// when Etherpad does not answer, and that a refused call creates nothing and audits nothing.

#include "MonitoringFixture.h"
#include "chatiere/manager/Error.h"
#include "hosting/PadService.h"
#include "hosting/ServiceManager.h"

#include <map>

namespace chatiere::testing {
namespace {

using manager::Actor;
using manager::EditorEndpoint;
using manager::Error;
using manager::ErrorKind;

// One Etherpad per host port: its pads (name → text, last edit in ms, revisions); `down` answers
// every call with 503 as the real client does when nothing listens.
class FakeEtherpad : public manager::EtherpadApi {
public:
    struct PadState {
        std::string text;
        int64_t lastEdited = 0;
        int64_t revisions = 0;
    };
    std::map<int, std::map<std::string, PadState>> pads;
    bool down = false;
    std::vector<std::string> keysSeen;
    int calls = 0;

    std::vector<std::string> listAllPads(const EditorEndpoint& at) override {
        reach(at);
        std::vector<std::string> out;
        for (const auto& [name, pad] : pads[at.hostPort]) {
            out.push_back(name);
        }
        std::reverse(out.begin(), out.end());  // Etherpad's order is not ours
        return out;
    }
    int64_t getLastEdited(const EditorEndpoint& at, const std::string& pad) override {
        return find(at, pad).lastEdited;
    }
    int64_t getRevisionsCount(const EditorEndpoint& at, const std::string& pad) override {
        return find(at, pad).revisions;
    }
    void createPad(const EditorEndpoint& at, const std::string& pad,
                   const std::optional<std::string>& text) override {
        reach(at);
        if (pads[at.hostPort].count(pad)) {
            throw Error(ErrorKind::Conflict, "pad_exists", "padID does already exist");
        }
        pads[at.hostPort][pad] = {text.value_or("Bienvenue"), 1764979200000, 0};
    }
    void deletePad(const EditorEndpoint& at, const std::string& pad) override {
        find(at, pad);
        pads[at.hostPort].erase(pad);
    }
    std::string getText(const EditorEndpoint& at, const std::string& pad) override {
        return find(at, pad).text;
    }
    std::string getHTML(const EditorEndpoint& at, const std::string& pad) override {
        return "<p>" + find(at, pad).text + "</p>";
    }

private:
    void reach(const EditorEndpoint& at) {
        ++calls;
        keysSeen.push_back(at.apiKey);
        if (down) {
            throw Error(ErrorKind::Unavailable, "service_unavailable", "The editor does not answer.");
        }
    }
    PadState& find(const EditorEndpoint& at, const std::string& pad) {
        reach(at);
        auto& mine = pads[at.hostPort];
        if (!mine.count(pad)) {
            throw Error::notFound("Pad");
        }
        return mine[pad];
    }
};

class FakeEndpoints : public manager::EditorEndpoints {
public:
    std::map<std::string, EditorEndpoint> known;
    std::optional<EditorEndpoint> find(const std::string& serviceId) override {
        const auto it = known.find(serviceId);
        return it == known.end() ? std::nullopt : std::optional<EditorEndpoint>(it->second);
    }
};

class PadServiceTest : public MonitoringFixture {
protected:
    PadServiceTest()
        : services_(db_, clock_, settings_, catalogue_, associations_, [] {}),
          pads_(db_, clock_, catalogue_, associations_, services_, endpoints_, etherpad_) {
        auto s = db_.session();
        s << "INSERT INTO users (id, email, email_key, name, password_hash, language, staff_role, "
             "created_at, "
             "updated_at) VALUES "
             "('adm1', 'admin@host.test', 'admin@host.test', 'Alex', 'x', 'fr', 'admin', "
             "'2026-01-01T00:00:00Z', "
             "'2026-01-01T00:00:00Z'), "
             "('tre1', 'tresor@host.test', 'tresor@host.test', 'Tom', 'x', 'fr', 'treasurer', "
             "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), "
             "('usr2', 'membre@jardin.test', 'membre@jardin.test', 'Dominique', 'x', 'fr', NULL, "
             "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), "
             "('usr3', 'manager@velo.test', 'manager@velo.test', 'Sacha', 'x', 'fr', NULL, "
             "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            now;
        s << "INSERT INTO associations (id, name, kind, email, status, created_at, updated_at) VALUES "
             "('asso2', 'Vélo', 'association', 'v@velo.test', 'active', '2026-01-01T00:00:00Z', "
             "'2026-01-01T00:00:00Z')",
            now;
        s << "INSERT INTO memberships (association_id, user_id, role, created_at) VALUES "
             "('asso1', 'usr2', 'member', '2026-01-01T00:00:00Z'), "
             "('asso2', 'usr3', 'manager', '2026-01-01T00:00:00Z')",
            now;
        editor_ = addService("pad1", "active", "editor");
        endpoints_.known["pad1"] = {editor_.hostPort.value(), "cle-secrete"};
    }

    // What a pad call may write: the audit log (pads themselves live in Etherpad, the fake).
    std::string audit() {
        auto s = db_.session();
        std::string out;
        s.each("SELECT action, target_id, details FROM audit_log ORDER BY id",
               [&](const manager::Row& r) { out += r.text(0) + "|" + r.text(1) + "|" + r.text(2) + "\n"; });
        return out;
    }
    std::map<std::string, FakeEtherpad::PadState>& padsOf(const manager::Service& service) {
        return etherpad_.pads[service.hostPort.value()];
    }

    template <class F>
    void expectRefused(F&& f, ErrorKind kind, const std::string& code) {
        const std::string before = audit();
        const auto padsBefore = etherpad_.pads;
        try {
            f();
            ADD_FAILURE() << "expected " << code;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), kind) << e.what();
            EXPECT_EQ(e.code(), code) << e.what();
        }
        EXPECT_EQ(audit(), before);
        EXPECT_EQ(padCount(etherpad_.pads), padCount(padsBefore));
    }
    static std::size_t padCount(const std::map<int, std::map<std::string, FakeEtherpad::PadState>>& all) {
        std::size_t n = 0;
        for (const auto& [port, pads] : all) {
            n += pads.size();
        }
        return n;
    }

    const Actor manager_{std::string("usr1"), "manager@jardin.test", std::nullopt, ""};
    const Actor member_{std::string("usr2"), "membre@jardin.test", std::nullopt, ""};
    const Actor stranger_{std::string("usr3"), "manager@velo.test", std::nullopt, ""};
    const Actor admin_{std::string("adm1"), "admin@host.test", manager::StaffRole::Admin, ""};
    const Actor treasurer_{std::string("tre1"), "tresor@host.test", manager::StaffRole::Treasurer, ""};
    FakeEtherpad etherpad_;
    FakeEndpoints endpoints_;
    manager::ServiceManager services_;
    manager::PadService pads_;
    manager::Service editor_;
};

TEST_F(PadServiceTest, CreatesAPadWithItsTextAndAuditsIt) {
    const auto pad =
        pads_.create(member_, "pad1", {"compte-rendu_2026", std::string("Réunion du bureau : été")});
    EXPECT_EQ(pad.name, "compte-rendu_2026");
    EXPECT_EQ(pad.url, "http://127.0.0.1:" + std::to_string(*editor_.hostPort) + "/p/compte-rendu_2026");
    ASSERT_EQ(padsOf(editor_).count("compte-rendu_2026"), 1u);
    EXPECT_EQ(padsOf(editor_)["compte-rendu_2026"].text, "Réunion du bureau : été");
    EXPECT_EQ(etherpad_.keysSeen.back(), "cle-secrete");
    EXPECT_EQ(auditActions("pad."), std::vector<std::string>{"pad.create"});
    EXPECT_NE(audit().find("compte-rendu_2026"), std::string::npos);
    EXPECT_EQ(audit().find("cle-secrete"), std::string::npos);
}

TEST_F(PadServiceTest, WithoutTextEtherpadWritesItsDefault) {
    pads_.create(manager_, "pad1", {"ordre-du-jour", std::nullopt});
    EXPECT_EQ(padsOf(editor_)["ordre-du-jour"].text, "Bienvenue");
}

TEST_F(PadServiceTest, TheUrlIsTheServicesEndpointAndTheName) {
    auto s = db_.session();
    manager::ServiceRepository(s).setActive("pad1", "http://127.0.0.1:21001", "2026-12-01T08:00:00Z");
    EXPECT_EQ(pads_.create(manager_, "pad1", {"notes", std::nullopt}).url, "http://127.0.0.1:21001/p/notes");
}

TEST_F(PadServiceTest, ListsPadsSortedByNameWithTheirLastEditAndRevisions) {
    padsOf(editor_)["zebre"] = {"z", 1764979200000, 3};         // 2025-12-06T00:00:00Z
    padsOf(editor_)["Alpha"] = {"a", 1764982861500, 12};        // 2025-12-06T01:01:01.5Z
    padsOf(editor_)["g.abc$groupe"] = {"g", 1764979200000, 1};  // a group pad: not ours
    const auto list = pads_.list(member_, "pad1");
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].name, "Alpha");
    EXPECT_EQ(list[0].lastEdited, "2025-12-06T01:01:01Z");
    EXPECT_EQ(list[0].revisions, 12);
    EXPECT_EQ(list[0].url, "http://127.0.0.1:" + std::to_string(*editor_.hostPort) + "/p/Alpha");
    EXPECT_EQ(list[1].name, "zebre");
    EXPECT_EQ(list[1].lastEdited, "2025-12-06T00:00:00Z");
    EXPECT_EQ(list[1].revisions, 3);
    EXPECT_TRUE(auditActions("pad.").empty());  // listing is not audited
}

TEST_F(PadServiceTest, RefusesEveryBadName) {
    const std::vector<std::string> bad = {"",   "a/b", "..",   "../x", "a b",  " a",
                                          "a ", "été", "pad.", "a\tb", "a%2F", std::string(51, 'a')};
    for (const auto& name : bad) {
        SCOPED_TRACE(name);
        expectRefused(
            [&] {
                pads_.create(manager_, "pad1", {name, std::nullopt});
            },
            ErrorKind::Validation, "invalid_name");
        expectRefused([&] { pads_.remove(manager_, "pad1", name); }, ErrorKind::Validation, "invalid_name");
    }
    EXPECT_EQ(etherpad_.calls, 0);  // refused before Etherpad was asked
    EXPECT_TRUE(manager::isPadName(std::string(50, 'a')));
    EXPECT_TRUE(manager::isPadName("A-z_09"));
}

TEST_F(PadServiceTest, AnExistingNameIsAConflict) {
    pads_.create(manager_, "pad1", {"notes", std::string("premier")});
    expectRefused(
        [&] {
            pads_.create(member_, "pad1", {"notes", std::string("second")});
        },
        ErrorKind::Conflict, "pad_exists");
    EXPECT_EQ(padsOf(editor_)["notes"].text, "premier");
}

TEST_F(PadServiceTest, AWebsiteHasNoPads) {
    addService("site1", "active", "website");
    endpoints_.known["site1"] = {20001, "k"};
    expectRefused([&] { pads_.list(manager_, "site1"); }, ErrorKind::Conflict, "not_an_editor");
    expectRefused(
        [&] {
            pads_.create(manager_, "site1", {"notes", std::nullopt});
        },
        ErrorKind::Conflict, "not_an_editor");
    expectRefused([&] { pads_.remove(manager_, "site1", "notes"); }, ErrorKind::Conflict, "not_an_editor");
    EXPECT_EQ(etherpad_.calls, 0);
}

TEST_F(PadServiceTest, AnotherAssociationsEditorDoesNotExistForYou) {
    padsOf(editor_)["secret"] = {"s", 1, 1};
    expectRefused([&] { pads_.list(stranger_, "pad1"); }, ErrorKind::NotFound, "not_found");
    expectRefused(
        [&] {
            pads_.create(stranger_, "pad1", {"x", std::nullopt});
        },
        ErrorKind::NotFound, "not_found");
    expectRefused([&] { pads_.remove(stranger_, "pad1", "secret"); }, ErrorKind::NotFound, "not_found");
    expectRefused([&] { pads_.list(manager_, "nosuch"); }, ErrorKind::NotFound, "not_found");
    EXPECT_EQ(etherpad_.calls, 0);
}

TEST_F(PadServiceTest, MembersListAndCreateManagersAndTheAdminDelete) {
    pads_.create(member_, "pad1", {"a", std::nullopt});
    pads_.create(admin_, "pad1", {"b", std::nullopt});
    pads_.create(manager_, "pad1", {"c", std::nullopt});
    EXPECT_EQ(pads_.list(member_, "pad1").size(), 3u);
    EXPECT_EQ(pads_.list(treasurer_, "pad1").size(), 3u);  // the staff's reading of services
    expectRefused([&] { pads_.remove(member_, "pad1", "a"); }, ErrorKind::Forbidden, "forbidden");
    expectRefused([&] { pads_.remove(treasurer_, "pad1", "a"); }, ErrorKind::Forbidden, "forbidden");
    expectRefused(
        [&] {
            pads_.create(treasurer_, "pad1", {"t", std::nullopt});
        },
        ErrorKind::Forbidden, "forbidden");
    pads_.remove(manager_, "pad1", "a");
    pads_.remove(admin_, "pad1", "b");
    EXPECT_EQ(padsOf(editor_).size(), 1u);
    EXPECT_EQ(auditActions("pad."), (std::vector<std::string>{"pad.create", "pad.create", "pad.create",
                                                              "pad.delete", "pad.delete"}));
}

TEST_F(PadServiceTest, DeletingAMissingPadIsNotFound) {
    expectRefused([&] { pads_.remove(manager_, "pad1", "absent"); }, ErrorKind::NotFound, "not_found");
}

TEST_F(PadServiceTest, EtherpadDownIsServiceUnavailableAndCreatesNothing) {
    etherpad_.down = true;
    expectRefused(
        [&] {
            pads_.create(manager_, "pad1", {"notes", std::nullopt});
        },
        ErrorKind::Unavailable, "service_unavailable");
    expectRefused([&] { pads_.list(manager_, "pad1"); }, ErrorKind::Unavailable, "service_unavailable");
    expectRefused([&] { pads_.remove(manager_, "pad1", "notes"); }, ErrorKind::Unavailable,
                  "service_unavailable");
    EXPECT_TRUE(padsOf(editor_).empty());
}

TEST_F(PadServiceTest, AnEditorWithoutAnEndpointIsUnavailable) {
    endpoints_.known.clear();
    expectRefused(
        [&] {
            pads_.create(manager_, "pad1", {"notes", std::nullopt});
        },
        ErrorKind::Unavailable, "service_unavailable");
    EXPECT_EQ(etherpad_.calls, 0);
}

TEST_F(PadServiceTest, ASuspendedOrUnfinishedEditorIsNotAsked) {
    addService("pad2", "provisioning", "editor");
    endpoints_.known["pad2"] = {20002, "k"};
    expectRefused(
        [&] {
            pads_.create(manager_, "pad2", {"notes", std::nullopt});
        },
        ErrorKind::Conflict, "invalid_state");
    {
        auto s = db_.session();
        manager::ServiceRepository(s).setSuspendedFor("pad1", {"quota"}, "2026-12-01T08:00:00Z");
    }
    expectRefused([&] { pads_.list(manager_, "pad1"); }, ErrorKind::Conflict, "invalid_state");
    expectRefused(
        [&] {
            pads_.create(member_, "pad1", {"notes", std::nullopt});
        },
        ErrorKind::Conflict, "invalid_state");
    EXPECT_EQ(etherpad_.calls, 0);
}

TEST_F(PadServiceTest, ContentsHoldEveryPadsTextAndHtml) {
    padsOf(editor_)["b"] = {"deux", 1, 1};
    padsOf(editor_)["a"] = {"un", 1, 1};
    const auto contents = pads_.contents(service("pad1"));
    ASSERT_EQ(contents.size(), 2u);
    EXPECT_EQ(contents[0].name, "a");
    EXPECT_EQ(contents[0].text, "un");
    EXPECT_EQ(contents[0].html, "<p>un</p>");
    EXPECT_EQ(contents[1].name, "b");
}

}  // namespace
}  // namespace chatiere::testing
