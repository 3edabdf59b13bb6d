// The mailboxes and aliases of a mail service (docs/mail.md): GET and POST
// /api/v1/services/{id}/mailboxes, PATCH and DELETE …/mailboxes/{address}, GET and POST …/aliases,
// DELETE …/aliases/{local_part}. The rules are MailService's.

#include "api/Api.h"
#include "api/Commands.h"

#include <Poco/JSON/Array.h>

namespace chatiere::manager::api {

namespace {

Poco::JSON::Object mailboxJson(const MailboxResult& m) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("address", m.address);
    o.set("name", m.mailbox.name);
    o.set("quota_mib", m.mailbox.quotaMib);
    // What the guest last reported (Dovecot's quota); null until then.
    o.set("used_mib", m.mailbox.usedBytes
                          ? Poco::Dynamic::Var(static_cast<double>(*m.mailbox.usedBytes) / (1024.0 * 1024.0))
                          : Poco::Dynamic::Var());
    o.set("messages", m.mailbox.messages ? Poco::Dynamic::Var(*m.mailbox.messages) : Poco::Dynamic::Var());
    o.set("created_at", m.mailbox.createdAt);
    if (m.password) {
        o.set("password", *m.password);  // made by Chatière: shown this once
    }
    return o;
}

Poco::JSON::Object aliasJson(const MailAlias& a, const std::string& domain) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("address", a.localPart + "@" + domain);
    o.set("local_part", a.localPart);
    Poco::JSON::Array to;
    for (const auto& d : a.destinations) {
        to.add(d);
    }
    o.set("destinations", to);
    o.set("created_at", a.createdAt);
    return o;
}

}  // namespace

void registerMailRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/services/{id}/mailboxes", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array items;
        for (const auto& m : ctx.mail.mailboxes(actor, r.param("id"))) {
            items.add(mailboxJson(m));
        }
        Poco::JSON::Object out;
        out.set("mailboxes", items);
        r.sendJson(200, out);
    });

    router.add("POST", "/api/v1/services/{id}/mailboxes", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.services.get(actor, r.param("id"));  // 404 before reading another association's body
        const MailboxResult m = ctx.mail.addMailbox(actor, r.param("id"), parseNewMailbox(r.jsonBody()));
        r.sendJson(201, mailboxJson(m));
    });

    router.add("PATCH", "/api/v1/services/{id}/mailboxes/{address}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.services.get(actor, r.param("id"));
        const MailboxResult m = ctx.mail.changeMailbox(actor, r.param("id"), r.param("address"),
                                                       parseMailboxChange(r.jsonBody()));
        r.sendJson(200, mailboxJson(m));
    });

    router.add("DELETE", "/api/v1/services/{id}/mailboxes/{address}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.mail.deleteMailbox(actor, r.param("id"), r.param("address"));
        r.sendNoContent();
    });

    router.add("GET", "/api/v1/services/{id}/dns", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array records;
        for (const auto& record : ctx.mail.dnsRecords(actor, r.param("id"))) {
            Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
            o.set("type", record.type);
            o.set("name", record.name);
            o.set("value", record.value);
            o.set("purpose", record.purpose);
            o.set("status", record.status);
            records.add(o);
        }
        Poco::JSON::Object out;
        out.set("records", records);
        r.sendJson(200, out);
    });

    router.add("GET", "/api/v1/services/{id}/aliases", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Service service = ctx.services.get(actor, r.param("id"));
        Poco::JSON::Array items;
        for (const auto& a : ctx.mail.aliases(actor, r.param("id"))) {
            items.add(aliasJson(a, service.mailDomain.value_or("")));
        }
        Poco::JSON::Object out;
        out.set("aliases", items);
        r.sendJson(200, out);
    });

    router.add("POST", "/api/v1/services/{id}/aliases", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Service service = ctx.services.get(actor, r.param("id"));
        const MailAlias a = ctx.mail.addAlias(actor, r.param("id"), parseNewAlias(r.jsonBody()));
        r.sendJson(201, aliasJson(a, service.mailDomain.value_or("")));
    });

    router.add("DELETE", "/api/v1/services/{id}/aliases/{local_part}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.mail.deleteAlias(actor, r.param("id"), r.param("local_part"));
        r.sendNoContent();
    });
}

}  // namespace chatiere::manager::api
