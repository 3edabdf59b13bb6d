#include "api/Api.h"
#include "api/Commands.h"
#include "chatiere/manager/Error.h"

#include <Poco/JSON/Array.h>

namespace chatiere::manager::api {

Poco::JSON::Object serviceJson(const Service& s) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", s.id);
    o.set("association_id", s.associationId);
    o.set("name", s.name);
    o.set("template", s.templateName);
    o.set("state", s.displayState());
    Poco::JSON::Array reasons;
    for (const auto& r : s.suspendedFor) {
        reasons.add(r);
    }
    o.set("suspended_for", reasons);
    o.set("endpoint", s.endpoint && s.state == ServiceState::Active ? Poco::Dynamic::Var(*s.endpoint)
                                                                    : Poco::Dynamic::Var());
    // Each port of the template, forwarded from the host's 127.0.0.1 (the endpoint is the http one's).
    Poco::JSON::Array ports;
    for (const auto& p : s.ports) {
        Poco::JSON::Object port(Poco::JSON_PRESERVE_KEY_ORDER);
        port.set("name", p.name);
        port.set("guest_port", p.guestPort);
        port.set("host_port", p.hostPort);
        ports.add(port);
    }
    o.set("ports", ports);
    Poco::JSON::Object resources(Poco::JSON_PRESERVE_KEY_ORDER);
    resources.set("vcpus", s.vcpus);
    resources.set("memory_mib", s.memoryMib);
    resources.set("disk_gib", s.diskGib);
    o.set("resources", resources);
    o.set("last_error", s.lastError ? Poco::Dynamic::Var(*s.lastError) : Poco::Dynamic::Var());
    // Its public names (docs/public-addresses.md): the default one, the association's own domain.
    o.set("default_name", s.defaultName ? Poco::Dynamic::Var(*s.defaultName) : Poco::Dynamic::Var());
    o.set("domain", s.domain ? Poco::Dynamic::Var(*s.domain) : Poco::Dynamic::Var());
    if (s.mailDomain) {
        o.set("mail_domain", *s.mailDomain);  // a mail service's (docs/mail.md)
    }
    o.set("proxy_error", s.proxyError ? Poco::Dynamic::Var(*s.proxyError) : Poco::Dynamic::Var());
    Poco::JSON::Object health(Poco::JSON_PRESERVE_KEY_ORDER);
    health.set("status", wireName(s.health));
    health.set("checked_at",
               s.healthCheckedAt ? Poco::Dynamic::Var(*s.healthCheckedAt) : Poco::Dynamic::Var());
    health.set("detail", s.healthDetail ? Poco::Dynamic::Var(*s.healthDetail) : Poco::Dynamic::Var());
    o.set("health", health);
    o.set("created_at", s.createdAt);
    o.set("updated_at", s.updatedAt);
    return o;
}

Poco::JSON::Object serviceJson(const Service& s, const std::optional<ServiceImage>& image) {
    Poco::JSON::Object o = serviceJson(s);
    // The build of its template's image its guest runs (docs/images.md); null without a guest.
    if (image) {
        Poco::JSON::Object i(Poco::JSON_PRESERVE_KEY_ORDER);
        i.set("build", image->build.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(image->build));
        i.set("current", image->current);
        o.set("image", i);
    } else {
        o.set("image", Poco::Dynamic::Var());
    }
    return o;
}

Poco::JSON::Object rolloutJson(const RolloutStatus& status) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("automatic", status.automatic);
    Poco::JSON::Array requested;
    for (const auto& t : status.requested) {
        requested.add(t.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(t));
    }
    o.set("requested", requested);
    Poco::JSON::Array running;
    for (const auto& r : status.inProgress) {
        Poco::JSON::Object j(Poco::JSON_PRESERVE_KEY_ORDER);
        j.set("service_id", r.serviceId);
        j.set("service_name", r.serviceName);
        j.set("template", r.templateName);
        j.set("step", r.step);
        j.set("from_build", r.fromBuild);
        running.add(j);
    }
    o.set("in_progress", running);
    Poco::JSON::Array outdated;
    for (const auto& d : status.outdated) {
        Poco::JSON::Object j(Poco::JSON_PRESERVE_KEY_ORDER);
        j.set("service_id", d.serviceId);
        j.set("service_name", d.serviceName);
        j.set("template", d.templateName);
        j.set("build", d.build);
        j.set("current_build", d.currentBuild);
        j.set("failed", d.failed);
        outdated.add(j);
    }
    o.set("outdated", outdated);
    return o;
}

Poco::JSON::Object serviceJson(ApiContext& ctx, const Service& s) {
    Poco::JSON::Object o = serviceJson(s, ctx.rollout.imageOf(s));
    const auto address = ctx.services.addressOf(s);
    o.set("public_url", address.publicUrl ? Poco::Dynamic::Var(*address.publicUrl) : Poco::Dynamic::Var());
    if (address.tls) {
        const auto optional = [](const std::optional<std::string>& v) {
            return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
        };
        Poco::JSON::Object tls(Poco::JSON_PRESERVE_KEY_ORDER);
        tls.set("status", wireName(address.tls->status));
        tls.set("issuer", optional(address.tls->issuer));
        tls.set("not_after", optional(address.tls->notAfter));
        tls.set("last_error", optional(address.tls->lastError));
        o.set("tls", tls);
    } else {
        o.set("tls", Poco::Dynamic::Var());
    }
    return o;
}

namespace {

Poco::JSON::Object certificateJson(const CertificateRecord& c) {
    const auto optional = [](const std::optional<std::string>& v) {
        return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
    };
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("name", c.name);
    o.set("service_id", optional(c.serviceId));
    o.set("status", wireName(c.status));
    o.set("issuer", optional(c.issuer));
    o.set("not_after", optional(c.notAfter));
    o.set("last_error", optional(c.lastError));
    o.set("failures", c.failures);
    o.set("next_attempt_at", optional(c.nextAttemptAt));
    return o;
}

Poco::JSON::Object accepted(const Service& s) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", s.id);
    o.set("state", s.displayState());
    return o;
}

}  // namespace

void registerServiceRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/templates", [&ctx](http::Request& r) {
        Poco::JSON::Array items;
        for (const auto& m : ctx.catalogue.all()) {
            Poco::JSON::Object t(Poco::JSON_PRESERVE_KEY_ORDER);
            t.set("name", m.name);
            t.set("kind", m.kind);
            Poco::JSON::Object title;
            title.set("fr", m.title.fr);
            title.set("en", m.title.en);
            t.set("title", title);
            Poco::JSON::Object description;
            description.set("fr", m.description.fr);
            description.set("en", m.description.en);
            t.set("description", description);
            Poco::JSON::Object resources(Poco::JSON_PRESERVE_KEY_ORDER);
            resources.set("vcpus", m.vcpus);
            resources.set("memory_mib", m.memoryMib);
            resources.set("disk_gib", m.diskGib);
            t.set("resources", resources);
            items.add(t);
        }
        Poco::JSON::Object out;
        out.set("templates", items);
        out.set("next_cursor", Poco::Dynamic::Var());
        r.sendJson(200, out);
    });

    // Rebuilt images (admin): which services run an outdated build, the rollout in progress; POST
    // starts it now for one template ({"template": NAME}) or all ({}).
    router.add("GET", "/api/v1/templates/rollout", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, rolloutJson(ctx.rollout.status(actor, r.query("template"))));
    });
    router.add("POST", "/api/v1/templates/rollout", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        if (!actor.isAdmin()) {
            throw Error::forbidden("Rolling images out is reserved to the admin.");
        }
        auto body = r.jsonBody();
        std::optional<std::string> name;
        if (body->has("template") && !body->isNull("template")) {
            const auto value = body->get("template");
            if (!value.isString()) {
                throw Error::badRequest("invalid_template", "template must be a template's name.");
            }
            name = value.toString();
        }
        r.sendJson(202, rolloutJson(ctx.rollout.start(actor, name)));
    });

    router.add("POST", "/api/v1/associations/{id}/services", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorize(actor, r.param("id"), Permission::ManageServices);
        auto body = r.jsonBody();
        r.sendJson(202, accepted(ctx.services.create(actor, r.param("id"), parseCreateService(body))));
    });

    router.add("GET", "/api/v1/associations/{id}/services", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array items;
        for (const auto& s : ctx.services.list(actor, r.param("id"))) {
            items.add(serviceJson(ctx, s));
        }
        Poco::JSON::Object out;
        out.set("services", items);
        out.set("next_cursor", Poco::Dynamic::Var());
        r.sendJson(200, out);
    });

    router.add("GET", "/api/v1/services/{id}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Service service = ctx.services.get(actor, r.param("id"));
        r.sendJson(200, serviceJson(ctx, service));
    });

    // The association's own domain for the service ({"domain": "asso.example"}), or back to its
    // default name ({"domain": null}).
    router.add("PUT", "/api/v1/services/{id}/domain", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Service service = ctx.services.get(actor, r.param("id"));  // 404 before the body
        ctx.associations.authorize(actor, service.associationId, Permission::ManageServices);
        const auto body = r.jsonBody();
        if (!body || !body->has("domain")) {
            throw Error(ErrorKind::Validation, "invalid_domain",
                        "domain is required (null: the default name).",
                        {{"domain", "required", "Required (null: the default name)."}});
        }
        std::optional<std::string> domain;
        if (!body->isNull("domain")) {
            const auto value = body->get("domain");
            if (!value.isString()) {
                throw Error(ErrorKind::Validation, "invalid_domain", "domain must be a host name or null.",
                            {{"domain", "invalid_domain", "A host name or null."}});
            }
            domain = value.toString();
        }
        r.sendJson(200, serviceJson(ctx, ctx.services.setDomain(actor, r.param("id"), domain)));
    });

    router.add("POST", "/api/v1/services/{id}/suspend", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(202, serviceJson(ctx.services.suspend(actor, r.param("id"))));
    });

    router.add("POST", "/api/v1/services/{id}/resume", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(202, serviceJson(ctx.services.resume(actor, r.param("id"))));
    });

    router.add("PATCH", "/api/v1/services/{id}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        // 404 for another association's service, before the body; 403 before its fields.
        const Service service = ctx.services.get(actor, r.param("id"));
        auto body = r.jsonBody();
        ctx.associations.authorize(actor, service.associationId, Permission::ManageServices);
        r.sendJson(202, serviceJson(ctx.services.resize(actor, r.param("id"), parseResizeService(body))));
    });

    router.add("PUT", "/api/v1/services/{id}/content", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.services.get(actor, r.param("id"));  // 404 before reading another association's upload
        const std::string upload = r.rawBody(ctx.settings.uploadMaxBytes(),
                                             {"application/gzip", "application/x-gzip", "application/zip",
                                              "application/x-tar", "application/octet-stream"});
        r.sendJson(202, accepted(ctx.services.replaceContent(actor, r.param("id"), upload)));
    });

    // The public names' certificates (the admin's): GET lists them, POST .../renew orders one now.
    router.add("GET", "/api/v1/certificates", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array items;
        for (const auto& c : ctx.certificates.list(actor)) {
            items.add(certificateJson(c));
        }
        Poco::JSON::Object out;
        out.set("items", items);
        r.sendJson(200, out);
    });

    router.add("POST", "/api/v1/certificates/{name}/renew", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(202, certificateJson(ctx.certificates.renew(actor, r.param("name"))));
    });

    router.add("DELETE", "/api/v1/services/{id}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(202, accepted(ctx.services.remove(actor, r.param("id"))));
    });
}

}  // namespace chatiere::manager::api
