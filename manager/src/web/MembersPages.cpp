// The association's members: who they are and their role; its managers (and the admin) add an
// existing account as member or manager — or invite by mail someone who has none yet —, change a
// role, withdraw an invitation, remove someone — never the last manager.

#include "billing/Money.h"
#include "domain/Access.h"
#include "web/Web.h"

namespace chatiere::manager::web {

namespace {

void renderMembers(Pages& pages, http::Request& r, const Actor& actor, const std::string& associationId,
                   int status, mstch::map data) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    const Association a = pages.app().associations.authorize(actor, associationId, Permission::ViewMembers);
    const bool canManage =
        decide(actor.staffRole, pages.roleIn(actor, a.id), Permission::ManageMembers) == Decision::Allow;
    mstch::array members;
    for (const auto& m : pages.app().associations.members(a.id)) {
        mstch::map row;
        row.emplace("user_id", m.userId);
        row.emplace("association_id", a.id);
        row.emplace("name", m.userName);
        row.emplace("email", m.userEmail);
        row.emplace("role", words.text(lang, "role_" + toString(m.role)));
        members.push_back(std::move(row));
    }
    mstch::array invitations;
    if (canManage) {
        for (const auto& i : pages.app().invitations.pending(actor, a.id)) {
            mstch::map row;
            row.emplace("id", i.id);
            row.emplace("association_id", a.id);
            row.emplace("email", i.email);
            row.emplace("role", words.text(lang, "role_" + toString(i.role)));
            row.emplace("until", formatDate(i.expiresAt.substr(0, 10), lang));
            invitations.push_back(std::move(row));
        }
    }
    data.emplace("has_invitations", !invitations.empty());
    data.emplace("invitations", std::move(invitations));
    data.emplace("id", a.id);
    data.emplace("name", a.name);
    data.emplace("members", std::move(members));
    data.emplace("can_manage", canManage);
    pages.send(r, status, "members", "members_title", std::move(data));
}

}  // namespace

void registerMembersPages(http::Router& router, Pages& pages) {
    router.add("GET", "/associations/{id}/members", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        mstch::map data;
        const std::string lang = pages.language(r);
        if (const auto done = r.query("done");
            done == "added" || done == "removed" || done == "invited" || done == "withdrawn") {
            data.emplace("notice", pages.words().text(lang, "members_" + *done));
        }
        renderMembers(pages, r, *actor, r.param("id"), 200, std::move(data));
    }));
    router.add("POST", "/associations/{id}/members", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const Actor& actor = post->actor;
        const auto& form = post->form;
        const std::string id = r.param("id");
        const AddMember command{form.get("email", ""), form.get("role", "")};
        std::string done = "added";
        try {
            if (pages.app().invitations.addOrInvite(actor, id, command, pages.language(r)) ==
                MemberAdded::Invited) {
                done = "invited";
            }
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Conflict &&
                e.kind() != ErrorKind::TooManyRequests) {
                throw;
            }
            const std::string lang = pages.language(r);
            mstch::map data;
            data.emplace("new_email", form.get("email", ""));
            const std::string code = e.fields().empty() ? e.code() : e.fields().front().code;
            data.emplace(e.fields().empty() || e.fields().front().field == "email" ? "email_error" : "error",
                         pages.words().error(lang, code));
            renderMembers(pages, r, actor, id, httpStatusOf(e.kind()), std::move(data));
            return;
        }
        pages.redirect(r, "/associations/" + id + "/members?done=" + done);
    }));
    router.add("POST", "/associations/{id}/invitations/{invitation}/withdraw",
               pages.page([&pages](http::Request& r) {
                   const auto post = pages.signedForm(r);
                   if (!post) {
                       return;
                   }
                   pages.app().invitations.revoke(post->actor, r.param("id"), r.param("invitation"));
                   pages.redirect(r, "/associations/" + r.param("id") + "/members?done=withdrawn");
               }));
    router.add("POST", "/associations/{id}/members/{user}/remove", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor || !pages.form(r)) {
            return;
        }
        const std::string id = r.param("id");
        try {
            pages.app().associations.removeMember(*actor, id, r.param("user"));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Conflict) {
                throw;
            }
            mstch::map data;
            data.emplace("error", pages.words().error(pages.language(r), e.code()));
            renderMembers(pages, r, *actor, id, 409, std::move(data));
            return;
        }
        pages.redirect(r, "/associations/" + id + "/members?done=removed");
    }));
}

}  // namespace chatiere::manager::web
