// The second factor of one's own account (TOTP, RFC 6238) as HTML forms: its status, the
// enrolment (the secret as text and as a QR code drawn here, confirmed by a first code, which
// shows the ten recovery codes once) and its removal (password and a code). They call the same
// service as /api/v1/me/totp, and are open to a staff account that must still enrol one.

#include "chatiere/manager/Totp.h"
#include "core/QrCode.h"
#include "web/Web.h"

namespace chatiere::manager::web {

namespace {

// "JBSWY3DPEHPK3PXP…" as "JBSW Y3DP EHPK 3PXP …", easier to copy by hand.
std::string grouped(const std::string& secret) {
    std::string out;
    for (std::size_t i = 0; i < secret.size(); ++i) {
        if (i > 0 && i % 4 == 0) {
            out += ' ';
        }
        out += secret[i];
    }
    return out;
}

// A base32 secret as the enrolment form sends it back (to show it again after a wrong code).
bool looksLikeSecret(const std::string& s) {
    if (s.empty() || s.size() > 64) {
        return false;
    }
    for (const char c : s) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) {
            return false;
        }
    }
    return true;
}

void renderStatus(Pages& pages, http::Request& r, const Actor& actor, int status, const std::string& errorKey,
                  const std::string& noticeKey) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    const auto state = pages.app().totp.status(actor);
    mstch::map data;
    data.emplace("enabled", state.enabled);
    data.emplace("required", actor.totpEnrolmentRequired);
    data.emplace("recovery_left", std::to_string(state.recoveryCodesLeft));
    data.emplace("recovery_low", state.enabled && state.recoveryCodesLeft <= 3);
    if (!errorKey.empty()) {
        data.emplace("error", words.text(lang, errorKey));
    }
    if (!noticeKey.empty()) {
        data.emplace("notice", words.text(lang, noticeKey));
    }
    pages.sendTitled(r, status, "account_security", words.text(lang, "security_title"), std::move(data),
                     actor);
}

void renderSetup(Pages& pages, http::Request& r, const Actor& actor, int status, const std::string& secret,
                 const std::string& otpauthUri, const std::string& errorKey) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    mstch::map data;
    data.emplace("secret", secret);
    data.emplace("secret_grouped", grouped(secret));
    // Drawn here from the URI (escaped in it), never from what a form sent.
    data.emplace("qr_svg", qrSvg(otpauthUri, words.text(lang, "security_qr_label")));
    if (!errorKey.empty()) {
        data.emplace("error", words.text(lang, errorKey));
    }
    pages.sendTitled(r, status, "account_totp_setup", words.text(lang, "security_setup_title"),
                     std::move(data), actor);
}

}  // namespace

void registerSecurityPages(http::Router& router, Pages& pages) {
    router.add("GET", "/account/security", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedInEnrolling(r);
        if (!actor) {
            return;
        }
        const auto done = r.query("done");
        renderStatus(pages, r, *actor, 200, "", done == "removed" ? "security_removed" : "");
    }));
    // Begins (or begins again) the enrolment: a new secret, shown with its QR code.
    router.add("POST", "/account/security/totp", pages.page([&pages](http::Request& r) {
        const auto post = pages.enrollingForm(r);
        if (!post) {
            return;
        }
        try {
            const auto enrolment = pages.app().totp.begin(post->actor);
            renderSetup(pages, r, post->actor, 200, enrolment.secret, enrolment.otpauthUri, "");
        } catch (const Error& e) {
            if (e.code() != "totp_already_enabled") {
                throw;
            }
            // A second click, or another tab: the status says it is on.
            pages.redirect(r, "/account/security");
        }
    }));
    router.add("POST", "/account/security/totp/confirm", pages.page([&pages](http::Request& r) {
        const auto post = pages.enrollingForm(r);
        if (!post) {
            return;
        }
        const std::string lang = pages.language(r);
        try {
            const auto codes = pages.app().totp.confirm(post->actor, post->form.get("code", ""));
            mstch::array list;
            for (const auto& c : codes) {
                list.push_back(c);
            }
            mstch::map data;
            data.emplace("codes", std::move(list));
            // The actor of this request was read before the confirmation: no longer held back.
            Actor actor = post->actor;
            actor.totpEnrolmentRequired = false;
            pages.sendTitled(r, 200, "account_recovery_codes",
                             pages.words().text(lang, "security_codes_title"), std::move(data), actor);
        } catch (const Error& e) {
            if (e.code() == "invalid_totp" || e.kind() == ErrorKind::Validation) {
                // Shown again as it was: the pending secret did not change.
                const std::string secret = post->form.get("secret", "");
                if (!looksLikeSecret(secret)) {
                    throw;
                }
                const std::string uri = otpauthUri(kTotpIssuer, post->actor.label, secret);
                renderSetup(pages, r, post->actor, 400, secret, uri, "security_wrong_code");
            } else if (e.code() == "totp_not_started" || e.code() == "totp_already_enabled") {
                // Confirmed in another tab, or replaced: the status page says where it stands.
                pages.redirect(r, "/account/security");
            } else {
                throw;
            }
        }
    }));
    router.add("POST", "/account/security/totp/remove", pages.page([&pages](http::Request& r) {
        const auto post = pages.enrollingForm(r);
        if (!post) {
            return;
        }
        try {
            pages.app().totp.remove(post->actor, post->form.get("password", ""), post->form.get("code", ""));
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::TooManyRequests) {
                renderStatus(pages, r, post->actor, 429, "login_locked", "");
            } else if (e.code() == "invalid_credentials") {
                renderStatus(pages, r, post->actor, 401, "security_wrong_password", "");
            } else if (e.code() == "invalid_totp" || e.kind() == ErrorKind::Validation) {
                renderStatus(pages, r, post->actor, 401, "security_wrong_code", "");
            } else if (e.code() == "totp_not_enabled") {
                pages.redirect(r, "/account/security");
            } else {
                throw;
            }
            return;
        }
        pages.redirect(r, "/account/security?done=removed");
    }));
}

}  // namespace chatiere::manager::web
