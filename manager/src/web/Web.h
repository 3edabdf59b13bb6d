#pragma once

#include "app/Services.h"
#include "http/Router.h"
#include "web/PageRenderer.h"
#include "web/WebSecurity.h"

#include <Poco/Net/NameValueCollection.h>

#include <functional>
#include <optional>
#include <string>

namespace chatiere::manager::web {

// What the page handlers share: the same services as the JSON API (both call them), the
// renderer, and the request-level helpers of pages (language, CSRF, forms, errors in HTML).
class Pages {
public:
    // `csrfKey`: the server's secret key, which signs the form tokens.
    Pages(app::Services& app, const PageRenderer& renderer, std::string csrfKey);

    app::Services& app() { return app_; }
    const Translations& words() const { return renderer_.translations(); }

    // ?lang=fr|en (kept in a cookie) > the cookie > Accept-Language > French.
    std::string language(http::Request& r) const;
    // Renders `page` in the layout and sends it with the security headers.
    void send(http::Request& r, int status, const std::string& page, const std::string& titleKey,
              mstch::map data);
    // The same with a title that is not a translation (an association's name).
    void sendTitled(http::Request& r, int status, const std::string& page, const std::string& title,
                    mstch::map data);
    // The same for a handler that already knows who is signed in (`actor`, from signedIn or
    // visitor on this request): the session is not looked up again.
    void sendTitled(http::Request& r, int status, const std::string& page, const std::string& title,
                    mstch::map data, const std::optional<Actor>& actor);
    // A page with one message (errors, confirmations).
    void sendMessage(http::Request& r, int status, const std::string& titleKey, const std::string& messageKey,
                     bool alert);
    void redirect(http::Request& r, const std::string& location);
    // The urlencoded form of a POST, its CSRF token checked (403 page otherwise: nullopt).
    std::optional<Poco::Net::NameValueCollection> form(http::Request& r);
    // Who is signed in; nullopt for anyone else, also with an ended session (its cookie cleared).
    std::optional<Actor> visitor(http::Request& r) const;
    // A multipart/form-data POST (a file upload, at most `limit` bytes): the file field `fileField`
    // goes to `file`, the other fields are returned, the CSRF token checked (403 page: nullopt).
    std::optional<Poco::Net::NameValueCollection> multipartForm(http::Request& r, std::size_t limit,
                                                                const std::string& fileField,
                                                                std::string& file);
    // The signed-in user, or a redirect to the login page (nullopt: answered). A staff account that
    // must first enrol a second factor (Actor::totpEnrolmentRequired) gets the 403 page that says so.
    std::optional<Actor> signedIn(http::Request& r);
    // The same, letting through an account that must first enrol a second factor: for the pages of
    // that enrolment only.
    std::optional<Actor> signedInEnrolling(http::Request& r);
    // A signed-in user's form post, its CSRF token checked; nullopt when already answered (the
    // login page for a visitor, 403 for a missing or wrong token).
    struct SignedForm {
        Actor actor;
        Poco::Net::NameValueCollection form;
    };
    std::optional<SignedForm> signedForm(http::Request& r);
    // The same for the enrolment pages (see signedInEnrolling).
    std::optional<SignedForm> enrollingForm(http::Request& r);
    // The same for a staff member (404 for anyone else).
    std::optional<SignedForm> staffForm(http::Request& r);
    // The installation's today, "YYYY-MM-DD".
    std::string today() const;
    // A signed-in staff member; the login page for a visitor (nullopt: answered), 404 for anyone else.
    std::optional<Actor> staff(http::Request& r);
    // The user's role in the association; nullopt when not a member.
    std::optional<MemberRole> roleIn(const Actor& actor, const std::string& associationId);
    // The form token for this browser, bound to its session when signed in (see CsrfTokens).
    std::string csrf(http::Request& r) const;

    // Wraps a page handler: errors become HTML pages, never JSON.
    http::Router::Handler page(std::function<void(http::Request&)> handler);

private:
    std::optional<SignedForm> withForm(http::Request& r, std::optional<Actor> actor);
    // The session cookie's value when `actor` was signed in with it; nullopt otherwise.
    std::optional<std::string> sessionOf(http::Request& r, const std::optional<Actor>& actor) const;
    bool csrfValid(http::Request& r, const Poco::Net::NameValueCollection& form) const;
    // The 403 page of a staff account without its required second factor: a link to enrol one.
    void sendEnrolmentRequired(http::Request& r, const Actor& actor);

    app::Services& app_;
    const PageRenderer& renderer_;
    CsrfTokens tokens_;
};

// One invoice as the pages show it: number, kind, status, buyer, dates, amounts, lines, and `id`,
// `association_id` and `lang` for its links.
mstch::map invoiceView(Pages& pages, const InvoiceDetails& invoice, const std::string& lang);

void registerPublicPages(http::Router& router, Pages& pages);
void registerAccountPages(http::Router& router, Pages& pages);
void registerSpacePages(http::Router& router, Pages& pages);
void registerAdminPages(http::Router& router, Pages& pages);
void registerMembersPages(http::Router& router, Pages& pages);
void registerProfilePages(http::Router& router, Pages& pages);
void registerSubscriptionPages(http::Router& router, Pages& pages);
void registerPasswordPages(http::Router& router, Pages& pages);
void registerAdminOverviewPages(http::Router& router, Pages& pages);
void registerAdminBillingPages(http::Router& router, Pages& pages);
void registerAdminAuditPages(http::Router& router, Pages& pages);
void registerAdminPlansPages(http::Router& router, Pages& pages);
void registerInvitationPages(http::Router& router, Pages& pages);
void registerSecurityPages(http::Router& router, Pages& pages);
void registerPadPages(http::Router& router, Pages& pages);
void registerMailPages(http::Router& router, Pages& pages);

}  // namespace chatiere::manager::web
