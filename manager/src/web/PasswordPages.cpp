// A forgotten password: ask for a link by mail (the page says the same whether the account exists
// or not), then choose a new password from the link; every session of the account ends.

#include "web/Web.h"

namespace chatiere::manager::web {

namespace {

void renderForgot(Pages& pages, http::Request& r, int status, const std::string& email,
                  const std::string& emailError) {
    mstch::map data;
    data.emplace("email", email);
    if (!emailError.empty()) {
        data.emplace("email_error", emailError);
    }
    pages.send(r, status, "password_forgot", "forgot_title", std::move(data));
}

void renderReset(Pages& pages, http::Request& r, int status, const std::string& token,
                 const std::string& passwordError) {
    mstch::map data;
    data.emplace("token", token);
    if (!passwordError.empty()) {
        data.emplace("password_error", passwordError);
    }
    pages.send(r, status, "password_reset", "reset_title", std::move(data));
}

}  // namespace

void registerPasswordPages(http::Router& router, Pages& pages) {
    router.add("GET", "/password/forgot",
               pages.page([&pages](http::Request& r) { renderForgot(pages, r, 200, "", ""); }));
    router.add("POST", "/password/forgot", pages.page([&pages](http::Request& r) {
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        const std::string email = form->get("email", "");
        try {
            pages.app().passwordResets.request(email, r.clientAddress());
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation) {
                throw;
            }
            renderForgot(pages, r, 400, email, pages.words().error(pages.language(r), "invalid_email"));
            return;
        }
        pages.sendMessage(r, 200, "forgot_title", "forgot_sent", false);
    }));
    router.add("GET", "/password/reset", pages.page([&pages](http::Request& r) {
        renderReset(pages, r, 200, r.query("token").value_or(""), "");
    }));
    router.add("POST", "/password/reset", pages.page([&pages](http::Request& r) {
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        const std::string token = form->get("token", "");
        try {
            pages.app().passwordResets.reset(token, form->get("password", ""), r.clientAddress());
        } catch (const Error& e) {
            const std::string lang = pages.language(r);
            if (e.kind() == ErrorKind::Validation) {
                renderReset(pages, r, 400, token, pages.words().error(lang, "weak_password"));
                return;
            }
            if (e.code() == "invalid_token") {
                pages.sendMessage(r, 400, "reset_title", "reset_invalid", true);
                return;
            }
            throw;
        }
        // The sessions ended with the old password, this browser's too.
        r.setCookie(pages.app().sessionCookie(r), "", 0);
        pages.redirect(r, "/login?done=reset");
    }));
}

}  // namespace chatiere::manager::web
