#include "api/Commands.h"

#include "api/JsonFields.h"

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

// A name or description: absent (or null), one text, or {"fr", "en"}.
LocalizedInput localizedOf(const Poco::JSON::Object::Ptr& o, JsonFields& f, const std::string& key) {
    LocalizedInput in;
    if (!f.has(key)) {
        return in;
    }
    if (o->get(key).isString()) {
        in.form = LocalizedInput::Form::OneText;
        in.text = text(f, key);
    } else if (const auto object = f.object(key, false)) {
        JsonFields inner(object, f.errors(), f.path(key));
        in.form = LocalizedInput::Form::PerLanguage;
        in.fr = text(inner, "fr");
        in.en = text(inner, "en");
    }
    return in;
}

PriceInput priceOf(const Poco::JSON::Object::Ptr& item, FieldErrors& errors, const std::string& path) {
    JsonFields f(item, errors, path);
    PriceInput p;
    p.interval = text(f, "interval");
    p.kind = text(f, "kind");
    p.amountCents = f.integer("amount_cents", false);
    p.membershipCents = f.integer("membership_cents", false);
    p.floorCents = f.integer("floor_cents", false);
    return p;
}

}  // namespace

CreateService parseCreateService(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    CreateService c;
    c.templateName = text(f, "template");
    c.name = text(f, "name");
    c.domain = f.string("domain", false, 300);
    c.mailDomain = f.string("mail_domain", false, 300);
    errors.throwIfAny();
    return c;
}

namespace {

// A string member as given, untrimmed (a space in a name is refused, not dropped; a password keeps
// its spaces); nullopt when absent or null.
std::optional<std::string> raw(const Poco::JSON::Object::Ptr& body, FieldErrors& errors,
                               const std::string& key, bool required) {
    if (!body || !body->has(key) || body->isNull(key)) {
        if (required) {
            errors.add(key, "missing", "Required.");
        }
        return std::nullopt;
    }
    const Poco::Dynamic::Var value = body->get(key);
    if (!value.isString()) {
        errors.add(key, "wrong_type", "Expected a string.");
        return std::nullopt;
    }
    return value.extract<std::string>();
}

}  // namespace

CreatePad parseCreatePad(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    CreatePad c;
    c.name = raw(body, errors, "name", true).value_or("");
    c.text = raw(body, errors, "text", false);
    errors.throwIfAny();
    return c;
}

NewMailbox parseNewMailbox(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    NewMailbox c;
    c.localPart = raw(body, errors, "local_part", true).value_or("");
    c.name = f.string("name", false, kAnyLength);
    c.quotaMib = f.integer("quota_mib", false);
    c.password = raw(body, errors, "password", false);
    errors.throwIfAny();
    return c;
}

MailboxChange parseMailboxChange(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    MailboxChange c;
    c.name = f.string("name", false, kAnyLength);
    c.quotaMib = f.integer("quota_mib", false);
    c.password = raw(body, errors, "password", false);
    c.newPassword = f.boolean("new_password", false).value_or(false);
    errors.throwIfAny();
    return c;
}

NewAlias parseNewAlias(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    NewAlias c;
    c.localPart = raw(body, errors, "local_part", true).value_or("");
    if (const auto destinations = f.array("destinations", true)) {
        for (std::size_t i = 0; i < destinations->size(); ++i) {
            const Poco::Dynamic::Var v = destinations->get(static_cast<unsigned>(i));
            if (!v.isString()) {
                errors.add("destinations." + std::to_string(i), "wrong_type", "Expected a string.");
                continue;
            }
            c.destinations.push_back(v.extract<std::string>());
        }
    }
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

PlanDefinition parsePlanDefinition(const Poco::JSON::Object::Ptr& body) {
    FieldErrors errors;
    JsonFields f(body, errors);
    PlanDefinition c;
    c.slug = text(f, "slug");
    c.name = localizedOf(body, f, "name");
    c.description = localizedOf(body, f, "description");
    if (const auto templates = f.array("templates", false)) {
        for (std::size_t i = 0; i < templates->size(); ++i) {
            const Poco::Dynamic::Var v = templates->get(static_cast<unsigned>(i));
            if (!v.isString()) {
                errors.add("templates." + std::to_string(i), "invalid_template",
                           "A template name: lower-case letters, digits and hyphens.");
                continue;
            }
            c.templates.push_back(v.extract<std::string>());
        }
    }
    c.free = f.boolean("free", false);
    if (const auto prices = f.array("prices", false)) {
        c.prices.emplace();
        for (std::size_t i = 0; i < prices->size(); ++i) {
            const std::string path = "prices." + std::to_string(i);
            const auto item = prices->getObject(static_cast<unsigned>(i));
            if (!item) {
                errors.add(path, "wrong_type", "Expected an object.");
                continue;
            }
            c.prices->push_back(priceOf(item, errors, path));
        }
    }
    if (const auto quotas = f.object("quotas", false)) {
        for (const auto& [metric, value] : *quotas) {
            const std::string path = "quotas." + metric;
            QuotaInput q;
            if (isQuotaMetric(metric)) {  // an unknown one is refused by its name, whatever its value
                const auto object = quotas->getObject(metric);
                if (!object) {
                    errors.add(path, "wrong_type", "Expected {\"included\", \"limit\"}.");
                    continue;
                }
                JsonFields qf(object, errors, path);
                q.included = qf.integer("included", false);
                q.limit = qf.integer("limit", false);
            }
            c.quotas[metric] = q;
        }
    }
    if (const auto overage = f.object("overage", false)) {
        for (const auto& [metric, value] : *overage) {
            const std::string path = "overage." + metric;
            std::optional<int64_t> unit;
            if (isOverageMetric(metric)) {
                const auto object = overage->getObject(metric);
                if (!object) {
                    errors.add(path, "wrong_type", "Expected {\"unit_cents\"}.");
                    continue;
                }
                unit = JsonFields(object, errors, path).integer("unit_cents", false);
            }
            c.overageUnitCents[metric] = unit;
        }
    }
    c.trialDays = f.integer("trial_days", false);
    c.externalForwards = f.boolean("external_forwards", false);
    errors.throwIfAny();
    return c;
}

}  // namespace chatiere::manager::api
