// The association's billing identity as its managers (and the admin) edit it: legal name, address,
// SIREN, SIRET, RNA and billing e-mail, each error by its field, nothing written when one is bad.
// It calls the same service as PATCH /api/v1/associations/{id}.

#include "domain/Access.h"
#include "domain/JsonFields.h"
#include "web/Web.h"

#include <Poco/JSON/Object.h>

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

// The form as the PATCH body: every field (empty clears it), the address whole when any part is given.
Poco::JSON::Object::Ptr profileBody(const Poco::Net::NameValueCollection& form) {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    for (const char* key : {"legal_name", "siren", "siret", "rna", "billing_email"}) {
        body->set(key, form.get(key, ""));
    }
    Poco::JSON::Object::Ptr address = new Poco::JSON::Object;
    bool any = false;
    for (const char* part : {"line1", "line2", "postal_code", "city"}) {
        const std::string v = form.get(std::string("address_") + part, "");
        any |= !trim(v).empty();
        address->set(part, v);
    }
    const std::string country = trim(form.get("address_country", ""));
    address->set("country", country.empty() ? std::string("FR") : country);
    body->set("address", any ? Poco::Dynamic::Var(address) : Poco::Dynamic::Var());
    return body;
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
            pages.app().associations.updateIdentity(post->actor, id, profileBody(post->form));
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
