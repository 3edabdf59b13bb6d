// Sign-up, e-mail verification, login and logout as HTML forms: they call the same services as
// the JSON API, and show each validation message next to its field with what was typed kept.

#include "web/Web.h"

#include "chatiere/manager/Validation.h"
#include "domain/CommandFields.h"

namespace chatiere::manager::web {

namespace {

struct FieldSpec {
    const char* id;        // the form field, and the API field with '_' for '.' after its group
    const char* apiField;  // where the API reports it
    const char* label;     // translation keys
    const char* type;
    const char* autocomplete;
    bool required;
    const char* hint;
};

const std::vector<FieldSpec> kSignupFields = {
    {"association_name", "association.name", "signup_association_name", "text", "organization", true,
     nullptr},
    {"association_email", "association.email", "signup_association_email", "email", "email", true, nullptr},
    {"association_rna", "association.rna", "signup_association_rna", "text", nullptr, false,
     "signup_association_rna_hint"},
    {"association_siren", "association.siren", "signup_association_siren", "text", nullptr, false, nullptr},
    {"association_legal_name", "association.legal_name", "signup_association_legal_name", "text", nullptr,
     false, nullptr},
    {"association_address_line1", "association.address.line1", "signup_association_address_line1", "text",
     "address-line1", false, nullptr},
    {"association_address_line2", "association.address.line2", "signup_association_address_line2", "text",
     "address-line2", false, nullptr},
    {"association_address_postal_code", "association.address.postal_code",
     "signup_association_address_postal_code", "text", "postal-code", false, nullptr},
    {"association_address_city", "association.address.city", "signup_association_address_city", "text",
     "address-level2", false, nullptr},
    {"association_address_country", "association.address.country", "signup_association_address_country",
     "text", "country", false, nullptr},
    {"association_billing_email", "association.billing_email", "signup_association_billing_email", "email",
     "email", false, "signup_association_billing_email_hint"},
    {"manager_name", "manager.name", "signup_manager_name", "text", "name", true, nullptr},
    {"manager_email", "manager.email", "signup_manager_email", "email", "email", true, nullptr},
    {"manager_password", "manager.password", "signup_manager_password", "password", "new-password", true,
     "signup_manager_password_hint"},
};

void renderSignup(Pages& pages, http::Request& r, int status, const Poco::Net::NameValueCollection* form,
                  const std::map<std::string, std::string>& errors) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    const auto value = [&](const std::string& name) { return form ? form->get(name, "") : std::string(); };
    mstch::map fields;
    for (const auto& f : kSignupFields) {
        mstch::map field;
        field.emplace("id", std::string(f.id));
        field.emplace("label", words.text(lang, f.label));
        field.emplace("type", std::string(f.type));
        if (f.autocomplete) {
            field.emplace("autocomplete", std::string(f.autocomplete));
        }
        field.emplace("required", f.required);
        // Never send a password back.
        std::string typed = std::string(f.type) == "password" ? std::string() : value(f.id);
        if (!form && std::string(f.id) == "association_address_country") {
            typed = "FR";
        }
        field.emplace("value", typed);
        std::string described;
        if (f.hint) {
            field.emplace("hint", words.text(lang, f.hint));
            described = std::string(f.id) + "-hint";
        }
        if (const auto e = errors.find(f.id); e != errors.end()) {
            field.emplace("error", e->second);
            described += (described.empty() ? "" : " ") + std::string(f.id) + "-error";
        }
        if (!described.empty()) {
            field.emplace("described", described);
        }
        fields.emplace(f.id, std::move(field));
    }
    for (const char* id : {"association_kind", "plan", "accept_terms"}) {
        mstch::map field;
        if (const auto e = errors.find(id); e != errors.end()) {
            field.emplace("error", e->second);
        }
        fields.emplace(id, std::move(field));
    }
    mstch::array kinds;
    const std::string kind = form ? value("association_kind") : "association";
    for (const char* k : {"association", "individual", "other"}) {
        mstch::map option;
        option.emplace("value", std::string(k));
        option.emplace("label", words.text(lang, std::string("signup_kind_") + k));
        option.emplace("selected", kind == k);
        kinds.push_back(std::move(option));
    }
    mstch::array plans;
    const std::string chosen = form ? value("plan") : r.query("plan").value_or("");
    for (const auto& plan : pages.app().plans.list()) {
        mstch::map option;
        option.emplace("value", plan.slug);
        option.emplace("label", lang == "en" ? plan.name.en : plan.name.fr);
        option.emplace("selected", chosen == plan.slug);
        plans.push_back(std::move(option));
    }
    mstch::map data;
    data.emplace("fields", std::move(fields));
    data.emplace("kinds", std::move(kinds));
    data.emplace("plan_options", std::move(plans));
    data.emplace("accept_terms", value("accept_terms") == "yes");
    data.emplace("has_errors", !errors.empty());
    pages.send(r, status, "signup", "signup_title", std::move(data));
}

// The form as a sign-up: an optional field left empty is not given; the address is whole (each
// missing part named) unless an individual left it all empty.
Signup signupOf(const Poco::Net::NameValueCollection& form) {
    SignupAssociation association;
    SignupManager manager;
    AddressInput& address = association.identity.address;
    address.form = AddressInput::Form::Whole;
    bool anyAddress = false;
    for (const auto& f : kSignupFields) {
        const std::string v = form.get(f.id, "");
        const std::string api = f.apiField;
        if (api.rfind("association.address.", 0) == 0) {
            if (api != "association.address.country") {
                anyAddress |= !trim(v).empty();
            }
            continue;
        }
        if (v.empty() && !f.required) {
            continue;  // optional and left empty
        }
        std::string field = api.substr(api.find('.') + 1);
        // One box for either number: 14 digits are a SIRET.
        if (field == "siren" && normalizeSiren(v).size() == 14) {
            field = "siret";
        }
        IdentityInput& identity = association.identity;
        if (api.rfind("association.", 0) == 0) {
            if (field == "name") {
                association.name = v;
            } else if (field == "email") {
                association.email = v;
            } else if (field == "rna") {
                identity.rna = v;
            } else if (field == "siren") {
                identity.siren = v;
            } else if (field == "siret") {
                identity.siret = v;
            } else if (field == "legal_name") {
                identity.legalName = v;
            } else if (field == "billing_email") {
                identity.billingEmail = v;
            }
        } else if (field == "name") {
            manager.name = v;
        } else if (field == "email") {
            manager.email = v;
        } else if (field == "password") {
            manager.password = v;
        }
    }
    address.line1 = form.get("association_address_line1", "");
    address.line2 = form.get("association_address_line2", "");
    address.postalCode = form.get("association_address_postal_code", "");
    address.city = form.get("association_address_city", "");
    const std::string country = form.get("association_address_country", "");
    address.country = trim(country).empty() ? std::string("FR") : country;
    association.kind = form.get("association_kind", "");
    // The address is asked of every kind but an individual (who may still give one).
    if (association.kind == "individual" && !anyAddress) {
        address = AddressInput{};
    }
    Signup signup;
    signup.association = std::move(association);
    signup.manager = std::move(manager);
    signup.plan = form.get("plan", "");
    signup.acceptTerms = form.get("accept_terms", "") == "yes";
    return signup;
}

void renderLogin(Pages& pages, http::Request& r, int status, const std::string& email,
                 const std::string& errorKey, const std::string& noticeKey) {
    const std::string lang = pages.language(r);
    mstch::map data;
    data.emplace("email", email);
    if (!errorKey.empty()) {
        data.emplace("error", pages.words().text(lang, errorKey));
    }
    if (!noticeKey.empty()) {
        data.emplace("notice", pages.words().text(lang, noticeKey));
    }
    pages.send(r, status, "login", "login_title", std::move(data));
}

// The form of the second step: the code of the authenticator app, or a recovery code instead.
void renderSecondStep(Pages& pages, http::Request& r, int status, const std::string& challenge,
                      const std::string& errorKey) {
    mstch::map data;
    data.emplace("challenge", challenge);
    if (!errorKey.empty()) {
        data.emplace("error", pages.words().text(pages.language(r), errorKey));
    }
    pages.send(r, status, "login_totp", "login_totp_title", std::move(data));
}

// The session cookie of a login, then the user's space; a staff account that must still enrol a
// second factor goes to the page where it does (`mustEnrol`).
void signIn(Pages& pages, http::Request& r, const AuthService::Login& login, bool mustEnrol) {
    r.setCookie(pages.app().sessionCookie(r), login.token, pages.app().auth.sessionTtlSeconds());
    pages.redirect(r, mustEnrol ? "/account/security" : "/space");
}

}  // namespace

void registerAccountPages(http::Router& router, Pages& pages) {
    router.add("GET", "/signup",
               pages.page([&pages](http::Request& r) { renderSignup(pages, r, 200, nullptr, {}); }));
    router.add("POST", "/signup", pages.page([&pages](http::Request& r) {
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        const std::string lang = pages.language(r);
        try {
            const auto result = pages.app().associations.signup(signupOf(*form), r.clientAddress(), lang);
            pages.sendMessage(r, 201, "signup_done_title",
                              result.association.status == AssociationStatus::Active ? "signup_done_active"
                                                                                     : "signup_done_pending",
                              false);
        } catch (const Error& e) {
            if (e.fields().empty()) {
                throw;
            }
            std::map<std::string, std::string> errors;
            for (const auto& f : e.fields()) {
                std::string id = f.field;
                std::replace(id.begin(), id.end(), '.', '_');
                if (id == "association_siret") {
                    id = "association_siren";  // one box for both
                }
                errors.emplace(id, pages.words().error(lang, f.code));
            }
            renderSignup(pages, r, httpStatusOf(e.kind()), &*form, errors);
        }
    }));
    router.add("GET", "/verify-email", pages.page([&pages](http::Request& r) {
        try {
            pages.app().associations.verifyEmail(r.query("token").value_or(""), r.clientAddress());
            pages.sendMessage(r, 200, "verify_title", "verify_ok", false);
        } catch (const Error&) {
            pages.sendMessage(r, 400, "verify_title", "verify_failed", true);
        }
    }));
    router.add("GET", "/login", pages.page([&pages](http::Request& r) {
        // After a new password was chosen: say so.
        renderLogin(pages, r, 200, "", "", r.query("done") == "reset" ? "reset_done" : "");
    }));
    router.add("POST", "/login", pages.page([&pages](http::Request& r) {
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        const std::string email = form->get("email", "");
        try {
            // The code may also come with the password (a "totp" field: one post, as the API takes it).
            if (const std::string code = form->get("totp", ""); !code.empty()) {
                SecondFactor factor;
                factor.totp = code;
                signIn(pages, r,
                       pages.app().auth.login(email, form->get("password", ""), factor, r.clientAddress()),
                       false);
                return;
            }
            const auto step = pages.app().auth.loginStep(email, form->get("password", ""), r.clientAddress());
            if (step.challenge) {
                renderSecondStep(pages, r, 200, *step.challenge, "");
                return;
            }
            // No challenge: the account has no second factor, which staff must then enrol.
            signIn(pages, r, *step.login,
                   step.login->user.staffRole.has_value() && pages.app().settings.requireTotpForStaff);
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::TooManyRequests) {
                renderLogin(pages, r, 429, email, "login_locked", "");
            } else if (e.code() == "invalid_totp") {
                renderLogin(pages, r, 401, email, "login_wrong_code", "");
            } else if (e.kind() == ErrorKind::Unauthenticated || e.kind() == ErrorKind::Validation) {
                renderLogin(pages, r, 401, email, "login_failed", "");
            } else {
                throw;
            }
        }
    }));
    // The second step: the challenge of the password step with a TOTP code or a recovery code.
    router.add("POST", "/login/totp", pages.page([&pages](http::Request& r) {
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        const std::string challenge = form->get("challenge", "");
        SecondFactor factor;
        if (const std::string code = form->get("recovery_code", ""); !code.empty()) {
            factor.recoveryCode = code;
        } else {
            factor.totp = form->get("code", "");
        }
        try {
            signIn(pages, r, pages.app().auth.finishLogin(challenge, factor, r.clientAddress()), false);
        } catch (const Error& e) {
            if (e.code() == "challenge_expired") {
                renderLogin(pages, r, 401, "", "login_expired", "");
            } else if (e.kind() == ErrorKind::TooManyRequests) {
                renderSecondStep(pages, r, 429, challenge, "login_locked");
            } else if (e.kind() == ErrorKind::Unauthenticated || e.kind() == ErrorKind::Validation) {
                renderSecondStep(pages, r, 401, challenge,
                                 factor.recoveryCode ? "login_wrong_recovery_code" : "login_wrong_code");
            } else {
                throw;
            }
        }
    }));
    router.add("POST", "/logout", pages.page([&pages](http::Request& r) {
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        if (const auto token = r.cookie(pages.app().sessionCookie(r)); token && !token->empty()) {
            pages.app().auth.logout(*token);
        }
        r.setCookie(pages.app().sessionCookie(r), "", 0);
        renderLogin(pages, r, 200, "", "", "logged_out");
    }));
}

}  // namespace chatiere::manager::web
