#include "web/Web.h"

#include "web/Forms.h"
#include "web/WebSecurity.h"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace chatiere::manager::web {

Pages::Pages(app::Services& app, const PageRenderer& renderer, std::string csrfKey)
    : app_(app), renderer_(renderer), tokens_(std::move(csrfKey)) {}

std::string Pages::language(http::Request& r) const {
    if (const auto asked = r.query("lang"); asked && (*asked == "fr" || *asked == "en")) {
        r.setCookie(kLanguageCookie, *asked, 365 * 86400);
        return *asked;
    }
    if (const auto kept = r.cookie(kLanguageCookie); kept && (*kept == "fr" || *kept == "en")) {
        return *kept;
    }
    return http::languageOf(r);
}

std::optional<Actor> Pages::visitor(http::Request& r) const {
    try {
        return app::currentActor(app_, r);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unauthenticated) {
            throw;
        }
        // A session that ended or expired: the page is shown as to anyone, and the cookie goes.
        if (r.cookie(app_.sessionCookie(r))) {
            r.setCookie(app_.sessionCookie(r), "", 0);
        }
        return std::nullopt;
    }
}

std::optional<Actor> Pages::signedInEnrolling(http::Request& r) {
    auto actor = visitor(r);
    if (!actor) {
        redirect(r, "/login");
    }
    return actor;
}

std::optional<Actor> Pages::signedIn(http::Request& r) {
    auto actor = signedInEnrolling(r);
    if (actor && actor->totpEnrolmentRequired) {
        sendEnrolmentRequired(r, *actor);
        return std::nullopt;
    }
    return actor;
}

void Pages::sendEnrolmentRequired(http::Request& r, const Actor& actor) {
    sendTitled(r, 403, "totp_required", words().text(language(r), "totp_required_title"), mstch::map{},
               actor);
}

std::optional<Actor> Pages::staff(http::Request& r) {
    auto actor = signedIn(r);
    if (actor && !actor->isStaff()) {
        throw Error::notFound("Page");
    }
    return actor;
}

std::optional<Pages::SignedForm> Pages::withForm(http::Request& r, std::optional<Actor> actor) {
    if (!actor) {
        return std::nullopt;
    }
    auto fields = form(r);
    if (!fields) {
        return std::nullopt;
    }
    return SignedForm{std::move(*actor), std::move(*fields)};
}

std::optional<Pages::SignedForm> Pages::staffForm(http::Request& r) {
    return withForm(r, staff(r));
}

std::optional<Pages::SignedForm> Pages::signedForm(http::Request& r) {
    return withForm(r, signedIn(r));
}

std::optional<Pages::SignedForm> Pages::enrollingForm(http::Request& r) {
    return withForm(r, signedInEnrolling(r));
}

std::string Pages::today() const {
    return app_.calendar.dateOf(app_.clock.now());
}

std::optional<MemberRole> Pages::roleIn(const Actor& actor, const std::string& associationId) {
    if (!actor.userId) {
        return std::nullopt;
    }
    for (const auto& m : app_.associations.membershipsOf(*actor.userId)) {
        if (m.associationId == associationId) {
            return m.role;
        }
    }
    return std::nullopt;
}

std::optional<std::string> Pages::sessionOf(http::Request& r, const std::optional<Actor>& actor) const {
    if (!actor || r.header("Authorization")) {
        return std::nullopt;
    }
    return r.cookie(app_.sessionCookie(r));
}

std::string Pages::csrf(http::Request& r) const {
    return tokens_.token(r, sessionOf(r, visitor(r)));
}

bool Pages::csrfValid(http::Request& r, const Poco::Net::NameValueCollection& form) const {
    return tokens_.valid(r, sessionOf(r, visitor(r)), form);
}

void Pages::send(http::Request& r, int status, const std::string& page, const std::string& titleKey,
                 mstch::map data) {
    sendTitled(r, status, page, words().text(language(r), titleKey), std::move(data));
}

void Pages::sendTitled(http::Request& r, int status, const std::string& page, const std::string& title,
                       mstch::map data) {
    sendTitled(r, status, page, title, std::move(data), visitor(r));
}

void Pages::sendTitled(http::Request& r, int status, const std::string& page, const std::string& title,
                       mstch::map data, const std::optional<Actor>& actor) {
    const std::string lang = language(r);
    mstch::map frame;
    frame.emplace("title", title);
    const std::string token = tokens_.token(r, sessionOf(r, actor));
    frame.emplace("csrf_token", token);
    data.emplace("csrf_token", token);
    if (actor) {
        frame.emplace("signed_in", true);
        frame.emplace("user_email", actor->label);
        frame.emplace("staff", actor->isStaff());
    } else {
        frame.emplace("signed_in", false);
    }
    const std::string other = lang == "fr" ? "en" : "fr";
    frame.emplace("switch_lang", other);
    frame.emplace("switch_href", Poco::URI(r.raw().getURI()).getPath() + "?lang=" + other);
    const std::string html = renderer_.render(page, lang, std::move(data), std::move(frame));
    addSecurityHeaders(r.response());
    r.response().set("Content-Language", lang);
    r.response().set("Vary", "Accept-Language, Cookie");
    r.sendText(status, "text/html; charset=utf-8", html);
}

void Pages::sendMessage(http::Request& r, int status, const std::string& titleKey,
                        const std::string& messageKey, bool alert) {
    const std::string lang = language(r);
    mstch::map data;
    data.emplace("heading", words().text(lang, titleKey));
    data.emplace("message", words().text(lang, messageKey));
    data.emplace("alert", alert);
    send(r, status, "message", titleKey, std::move(data));
}

void Pages::redirect(http::Request& r, const std::string& location) {
    addSecurityHeaders(r.response());
    r.response().set("Location", location);
    r.sendText(303, "text/plain; charset=utf-8", location + "\n");
}

std::optional<Poco::Net::NameValueCollection> Pages::form(http::Request& r) {
    const std::string body = r.rawBody(64 * 1024, {"application/x-www-form-urlencoded"});
    Poco::Net::NameValueCollection form = readUrlencodedForm(body);
    if (!csrfValid(r, form)) {
        sendMessage(r, 403, "error_title", "error_forbidden", true);
        return std::nullopt;
    }
    return form;
}

std::optional<Poco::Net::NameValueCollection> Pages::multipartForm(http::Request& r, std::size_t limit,
                                                                   const std::string& fileField,
                                                                   std::string& file) {
    const std::string body = r.rawBody(limit, {"multipart/form-data"});
    Poco::Net::NameValueCollection form = readMultipartForm(r.raw(), body, fileField, file);
    if (!csrfValid(r, form)) {
        file.clear();
        sendMessage(r, 403, "error_title", "error_forbidden", true);
        return std::nullopt;
    }
    return form;
}

http::Router::Handler Pages::page(std::function<void(http::Request&)> handler) {
    return [this, handler = std::move(handler)](http::Request& r) {
        try {
            handler(r);
        } catch (const Error& e) {
            if (r.answered()) {
                throw;
            }
            if (e.code() == "totp_enrolment_required") {
                // A service that refused the account itself: the same page as signedIn's.
                if (const auto actor = visitor(r)) {
                    sendEnrolmentRequired(r, *actor);
                    return;
                }
            }
            const int status = httpStatusOf(e.kind());
            sendMessage(r, status, "error_title",
                        status == 404   ? "error_not_found"
                        : status == 403 ? "error_forbidden"
                        : status < 500  ? "error_invalid"
                                        : "error_internal",
                        true);
        }
    };
}

}  // namespace chatiere::manager::web
