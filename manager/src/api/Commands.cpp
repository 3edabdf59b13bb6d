#include "api/Commands.h"

#include "domain/JsonFields.h"

#include <limits>

namespace chatiere::manager::api {

namespace {

constexpr std::size_t kAnyLength = std::numeric_limits<std::size_t>::max();

// A string member as given (trimmed), "" when absent; a wrong type is recorded.
std::string text(JsonFields& f, const std::string& key) {
    return f.string(key, false, kAnyLength).value_or("");
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

}  // namespace chatiere::manager::api
