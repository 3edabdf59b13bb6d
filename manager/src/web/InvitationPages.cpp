// Accepting an invitation from its mailed link: someone without an account creates one there
// (name, password, the terms; the address is the invitation's), someone with one joins once
// signed in to it. Then straight to the association's space.

#include "web/Web.h"

#include "chatiere/manager/Validation.h"

namespace chatiere::manager::web {

namespace {

void renderAccept(Pages& pages, http::Request& r, int status, const std::string& token,
                  const std::map<std::string, std::string>& errors, const std::string& name) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    auto& invitations = pages.app().invitations;
    const Invitation i = invitations.find(token);
    mstch::map data;
    data.emplace("token", token);
    data.emplace("association", i.associationName);
    data.emplace("email", i.email);
    data.emplace("role", words.text(lang, "role_" + toString(i.role)));
    const auto visitor = pages.visitor(r);
    const bool exists = invitations.accountExists(i);
    data.emplace("new_account", !exists);
    data.emplace("signed_in_right", exists && visitor && emailKey(visitor->label) == emailKey(i.email));
    data.emplace("signed_in_wrong", exists && visitor && emailKey(visitor->label) != emailKey(i.email));
    data.emplace("needs_login", exists && !visitor);
    data.emplace("name", name);
    for (const auto& [field, message] : errors) {
        data.emplace(field + "_error", message);
    }
    pages.send(r, status, "invitation", "invitation_title", std::move(data));
}

}  // namespace

void registerInvitationPages(http::Router& router, Pages& pages) {
    router.add("GET", "/invitations/accept", pages.page([&pages](http::Request& r) {
        try {
            renderAccept(pages, r, 200, r.query("token").value_or(""), {}, "");
        } catch (const Error& e) {
            if (e.code() != "invalid_token") {
                throw;
            }
            pages.sendMessage(r, 400, "invitation_title", "invitation_invalid", true);
        }
    }));
    router.add("POST", "/invitations/accept", pages.page([&pages](http::Request& r) {
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        const std::string token = form->get("token", "");
        const std::string lang = pages.language(r);
        const NewAccount account{form->get("name", ""), form->get("password", ""),
                                 form->get("accept_terms", "") == "yes"};
        const auto visitor = pages.visitor(r);
        Membership joined;
        try {
            joined = pages.app().invitations.accept(token, visitor, account, r.clientAddress());
        } catch (const Error& e) {
            if (e.code() == "invalid_token") {
                pages.sendMessage(r, 400, "invitation_title", "invitation_invalid", true);
                return;
            }
            if (e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Forbidden) {
                throw;
            }
            std::map<std::string, std::string> errors;
            for (const auto& f : e.fields()) {
                errors.emplace(f.field, pages.words().error(lang, f.code));
            }
            renderAccept(pages, r, httpStatusOf(e.kind()), token, errors, form->get("name", ""));
            return;
        }
        if (!visitor) {
            // A new account: signed in at once with the password just chosen.
            const auto login =
                pages.app().auth.login(joined.userEmail, form->get("password", ""), r.clientAddress());
            r.setCookie(pages.app().sessionCookie(r), login.token, pages.app().auth.sessionTtlSeconds());
        }
        pages.redirect(r, "/associations/" + joined.associationId);
    }));
}

}  // namespace chatiere::manager::web
