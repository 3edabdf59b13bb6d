// The association's billing identity as its managers (and the admin) edit it: legal name, address,
// SIREN, SIRET, RNA and billing e-mail, each error by its field, nothing written when one is bad.
// It calls the same service as PATCH /api/v1/associations/{id}.

#include "domain/Access.h"
#include "domain/CommandFields.h"
#include "web/Web.h"

#include <algorithm>
#include <map>

namespace chatiere::manager::web {

namespace {

struct ProfileField {
    const char* id;     // the form field; the API field with '_' for '.'
    const char* label;  // translation key
    const char* type;
    const char* autocomplete;
};

const std::vector<ProfileField> kProfileFields = {
    {"legal_name", "signup_association_legal_name", "text", "organization"},
    {"address_line1", "signup_association_address_line1", "text", "address-line1"},
    {"address_line2", "signup_association_address_line2", "text", "address-line2"},
    {"address_postal_code", "signup_association_address_postal_code", "text", "postal-code"},
    {"address_city", "signup_association_address_city", "text", "address-level2"},
    {"address_country", "signup_association_address_country", "text", "country"},
    {"siren", "profile_siren", "text", nullptr},
    {"siret", "profile_siret", "text", nullptr},
    {"rna", "signup_association_rna", "text", nullptr},
    {"billing_email", "signup_association_billing_email", "email", "email"},
};

std::map<std::string, std::string> valuesOf(const Association& a) {
    return {{"legal_name", a.legalName},        {"address_line1", a.address.line1},
            {"address_line2", a.address.line2}, {"address_postal_code", a.address.postalCode},
            {"address_city", a.address.city},   {"address_country", a.address.country},
            {"siren", a.siren.value_or("")},    {"siret", a.siret.value_or("")},
            {"rna", a.rna.value_or("")},        {"billing_email", a.billingEmail}};
}

void renderProfile(Pages& pages, http::Request& r, const Association& a, int status,
                   const std::map<std::string, std::string>& values,
                   const std::map<std::string, std::string>& errors, bool saved) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    mstch::map fields;
    for (const auto& f : kProfileFields) {
        mstch::map field;
        field.emplace("id", std::string(f.id));
        field.emplace("label", words.text(lang, f.label));
        field.emplace("type", std::string(f.type));
        if (f.autocomplete) {
            field.emplace("autocomplete", std::string(f.autocomplete));
        }
        field.emplace("required", false);
        const auto v = values.find(f.id);
        field.emplace("value", v == values.end() ? std::string() : v->second);
        if (const auto e = errors.find(f.id); e != errors.end()) {
            field.emplace("error", e->second);
            field.emplace("described", std::string(f.id) + "-error");
        }
        fields.emplace(f.id, std::move(field));
    }
    mstch::map data;
    data.emplace("id", a.id);
    data.emplace("name", a.name);
    data.emplace("fields", std::move(fields));
    data.emplace("has_errors", !errors.empty());
    if (saved) {
        data.emplace("notice", words.text(lang, "profile_saved"));
    }
    pages.send(r, status, "profile", "profile_title", std::move(data));
}

// The form as the PATCH: every field (empty clears it), the address whole when any part is given.
UpdateIdentity identityOf(const Poco::Net::NameValueCollection& form) {
    UpdateIdentity c;
    IdentityInput& in = c.identity;
    in.legalName = form.get("legal_name", "");
    in.siren = form.get("siren", "");
    in.siret = form.get("siret", "");
    in.rna = form.get("rna", "");
    in.billingEmail = form.get("billing_email", "");
    AddressInput& address = in.address;
    address.line1 = form.get("address_line1", "");
    address.line2 = form.get("address_line2", "");
    address.postalCode = form.get("address_postal_code", "");
    address.city = form.get("address_city", "");
    const std::string country = trim(form.get("address_country", ""));
    address.country = country.empty() ? std::string("FR") : country;
    bool any = false;
    for (const std::string* part : {&address.line1, &address.line2, &address.postalCode, &address.city}) {
        any |= !trim(*part).empty();
    }
    address.form = any ? AddressInput::Form::Whole : AddressInput::Form::Null;
    return c;
}

}  // namespace

void registerProfilePages(http::Router& router, Pages& pages) {
    router.add("GET", "/associations/{id}/profile", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        const Association a =
            pages.app().associations.authorize(*actor, r.param("id"), Permission::ManageSubscription);
        renderProfile(pages, r, a, 200, valuesOf(a), {}, r.query("done") == "saved");
    }));
    router.add("POST", "/associations/{id}/profile", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        const Association a =
            pages.app().associations.authorize(post->actor, id, Permission::ManageSubscription);
        try {
            pages.app().associations.updateIdentity(post->actor, id, identityOf(post->form));
        } catch (const Error& e) {
            if (e.fields().empty()) {
                throw;
            }
            const std::string lang = pages.language(r);
            std::map<std::string, std::string> errors;
            for (const auto& f : e.fields()) {
                std::string field = f.field;
                std::replace(field.begin(), field.end(), '.', '_');
                errors.emplace(field, pages.words().error(lang, f.code));
            }
            std::map<std::string, std::string> typed;
            for (const auto& f : kProfileFields) {
                typed[f.id] = post->form.get(f.id, "");
            }
            renderProfile(pages, r, a, httpStatusOf(e.kind()), typed, errors, false);
            return;
        }
        pages.redirect(r, "/associations/" + id + "/profile?done=saved");
    }));
}

}  // namespace chatiere::manager::web
