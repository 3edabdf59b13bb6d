#include "api/Commands.h"

#include "domain/JsonFields.h"

#include <limits>
#include <set>

namespace chatiere::manager::api {

namespace {

constexpr std::size_t kAnyLength = std::numeric_limits<std::size_t>::max();

// A string member as given (trimmed), "" when absent; a wrong type is recorded.
std::string text(JsonFields& f, const std::string& key) {
    return f.string(key, false, kAnyLength).value_or("");
}

// A member present in `o` as its text, "" when null (a PATCH's "clear"); nullopt when absent.
std::optional<std::string> given(JsonFields& f, const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key)) {
        return std::nullopt;
    }
    return text(f, key);
}

IdentityInput identityOf(const Poco::JSON::Object::Ptr& o, FieldErrors& errors, const std::string& prefix) {
    JsonFields f(o, errors, prefix);
    IdentityInput in;
    in.legalName = given(f, o, "legal_name");
    in.billingEmail = given(f, o, "billing_email");
    in.siren = given(f, o, "siren");
    in.siret = given(f, o, "siret");
    in.rna = given(f, o, "rna");
    if (f.has("address")) {
        if (o->get("address").isString()) {
            in.address.form = AddressInput::Form::Line;
            in.address.line1 = text(f, "address");
        } else if (auto address = f.object("address", false)) {
            JsonFields af(address, errors, f.path("address"));
            in.address.form = AddressInput::Form::Whole;
            in.address.line1 = text(af, "line1");
            in.address.line2 = text(af, "line2");
            in.address.postalCode = text(af, "postal_code");
            in.address.city = text(af, "city");
            in.address.country = text(af, "country");
        }
    } else if (o && o->has("address")) {
        in.address.form = AddressInput::Form::Null;
    }
    return in;
}

}  // namespace

CreateService parseCreateService(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    CreateService c;
    c.templateName = text(f, "template");
    c.name = text(f, "name");
    errors.throwIfAny();
    return c;
}

ResizeService parseResizeService(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    ResizeService c;
    c.vcpus = f.integer("vcpus", false);
    c.memoryMib = f.integer("memory_mib", false);
    c.diskGib = f.integer("disk_gib", false);
    errors.throwIfAny();
    return c;
}

GrantException parseGrantException(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    GrantException c;
    c.until = f.string("until", false, kAnyLength);
    c.days = f.integer("days", false);
    c.reason = text(f, "reason");
    errors.throwIfAny();
    return c;
}

AddMember parseAddMember(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    AddMember c;
    c.email = text(f, "email");
    c.role = text(f, "role");
    errors.throwIfAny();
    return c;
}

Invite parseInvite(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    Invite c;
    c.email = text(f, "email");
    c.role = text(f, "role");
    errors.throwIfAny();
    return c;
}

Subscribe parseSubscribe(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    Subscribe c;
    c.plan = text(f, "plan");
    c.interval = text(f, "interval");
    c.startDate = text(f, "start_date");
    c.paidThrough = text(f, "paid_through");
    c.priceCents = f.integer("price_cents", false);
    errors.throwIfAny();
    return c;
}

ChangeSubscription parseChangeSubscription(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    ChangeSubscription c;
    c.plan = text(f, "plan");
    c.interval = text(f, "interval");
    c.priceCents = f.integer("price_cents", false);
    errors.throwIfAny();
    return c;
}

RecordPayment parseRecordPayment(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    RecordPayment c;
    c.amountCents = f.integer("amount_cents", false);
    c.method = text(f, "method");
    c.reference = text(f, "reference");
    c.date = text(f, "date");
    errors.throwIfAny();
    return c;
}

IssueCreditNote parseIssueCreditNote(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    IssueCreditNote c;
    c.amountCents = f.integer("amount_cents", false);
    c.reason = text(f, "reason");
    errors.throwIfAny();
    return c;
}

NewAccount parseNewAccount(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    NewAccount c;
    c.name = text(f, "name");
    c.password = text(f, "password");
    c.acceptTerms = f.boolean("accept_terms", false);
    errors.throwIfAny();
    return c;
}

Signup parseSignup(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields top(body, errors);
    Signup c;
    if (const auto assoc = top.object("association", false)) {
        JsonFields f(assoc, errors, "association");
        SignupAssociation a;
        a.name = text(f, "name");
        a.kind = text(f, "kind");
        a.email = text(f, "email");
        a.identity = identityOf(assoc, errors, "association");
        c.association = std::move(a);
    }
    if (const auto manager = top.object("manager", false)) {
        JsonFields f(manager, errors, "manager");
        SignupManager m;
        m.name = text(f, "name");
        m.email = text(f, "email");
        if (manager->has("password") && manager->get("password").isString()) {
            m.password = manager->getValue<std::string>("password");  // as typed: never trimmed
        } else {
            f.string("password", false, kAnyLength);  // records a wrong type
        }
        c.manager = std::move(m);
    }
    c.plan = text(top, "plan");
    c.acceptTerms = top.boolean("accept_terms", false);
    errors.throwIfAny();
    return c;
}

UpdateIdentity parseUpdateIdentity(const Poco::JSON::Object::Ptr& body) {
    if (!body) {
        throw Error(ErrorKind::Validation, "invalid_body", "Expected a JSON object.");
    }
    static const std::set<std::string> kEditable = {"legal_name", "billing_email", "siren",
                                                    "siret",      "rna",           "address"};
    FieldErrors errors;
    UpdateIdentity c;
    for (const auto& [key, value] : *body) {
        if (!kEditable.count(key)) {
            c.unknownFields.push_back(key);
        }
    }
    c.identity = identityOf(body, errors, "");
    errors.throwIfAny();
    return c;
}

}  // namespace chatiere::manager::api
