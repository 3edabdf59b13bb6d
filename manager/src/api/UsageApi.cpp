#include "api/Api.h"
#include "api/Commands.h"
#include "monitoring/MetricsToken.h"

#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>

namespace chatiere::manager::api {

namespace {

template <typename T>
Poco::Dynamic::Var optional(const std::optional<T>& v) {
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

Poco::JSON::Object seriesJson(const UsageSeries& series) {
    Poco::JSON::Array points;
    for (const auto& point : series.points) {
        Poco::JSON::Object p(Poco::JSON_PRESERVE_KEY_ORDER);
        p.set("at", point.at);
        p.set("samples", point.samples);
        p.set("cpu_seconds", point.cpuSeconds);
        p.set("cpu_percent", optional(point.cpuPercent));
        p.set("memory_mib", optional(point.memoryMib));
        p.set("memory_mib_max", optional(point.memoryMibMax));
        p.set("stored_bytes", optional(point.storedBytes));
        p.set("transfer_bytes", point.transferBytes);
        points.add(p);
    }
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("service_id", series.serviceId);
    out.set("from", series.from);
    out.set("to", series.to);
    out.set("step", series.step);
    out.set("source", series.hourly ? "hourly" : "raw");
    out.set("points", points);
    return out;
}

Poco::JSON::Object usageJson(const AssociationUsage& usage) {
    Poco::JSON::Object metrics(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& metric : usage.metrics) {
        Poco::JSON::Object m(Poco::JSON_PRESERVE_KEY_ORDER);
        const bool disk = metric.metric == "disk_gib";
        const bool transfer = metric.metric == "transfer_gib";
        m.set("used", disk || transfer ? Poco::Dynamic::Var(metric.used)
                                       : Poco::Dynamic::Var(static_cast<Poco::Int64>(metric.used)));
        m.set("included", optional(metric.included));
        m.set("limit", optional(metric.limit));
        if (disk) {
            m.set("peak", optional(metric.peak));
            m.set("average", optional(metric.average));
        }
        if (transfer) {
            m.set("bytes", optional(metric.bytes));
            Poco::JSON::Object services(Poco::JSON_PRESERVE_KEY_ORDER);
            for (const auto& service : metric.services) {
                Poco::JSON::Object one(Poco::JSON_PRESERVE_KEY_ORDER);
                one.set("used", service.used);
                one.set("bytes", service.bytes);
                services.set(service.serviceId, one);
            }
            m.set("services", services);
        }
        metrics.set(metric.metric, m);
    }
    Poco::JSON::Object quota(Poco::JSON_PRESERVE_KEY_ORDER);
    quota.set("websites_suspended", usage.websitesSuspended);
    quota.set("at_limit_since", optional(usage.atLimitSince));
    quota.set("exception_until", optional(usage.exceptionUntil));
    Poco::JSON::Object period(Poco::JSON_PRESERVE_KEY_ORDER);
    period.set("start", usage.periodStart);
    period.set("end", usage.periodEnd);
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("association_id", usage.associationId);
    out.set("plan", optional(usage.plan));
    out.set("period", period);
    out.set("measured_at", optional(usage.measuredAt));
    out.set("metrics", metrics);
    out.set("quota", quota);
    return out;
}

Poco::JSON::Object uptimeJson(const UptimeMonth& uptime) {
    Poco::JSON::Array days;
    for (const auto& day : uptime.days) {
        Poco::JSON::Object d(Poco::JSON_PRESERVE_KEY_ORDER);
        d.set("day", day.day);
        d.set("checks", day.checks);
        d.set("ok", day.ok);
        d.set("uptime_percent", optional(day.uptimePercent));
        days.add(d);
    }
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("service_id", uptime.serviceId);
    out.set("month", uptime.month);
    out.set("checks", uptime.checks);
    out.set("ok", uptime.ok);
    out.set("uptime_percent", optional(uptime.uptimePercent));
    out.set("days", days);
    return out;
}

Poco::JSON::Object exceptionJson(const QuotaException& e) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("id", e.id);
    out.set("association_id", e.associationId);
    out.set("until", e.until);
    out.set("reason", e.reason);
    out.set("created_by", e.createdBy);
    out.set("created_at", e.createdAt);
    return out;
}

Poco::JSON::Object statusJson(const Status& status) {
    const auto percentValue = [](int64_t ok, int64_t checks) {
        const auto p = StatusReport::percent(ok, checks);
        return p ? Poco::Dynamic::Var(*p) : Poco::Dynamic::Var();
    };
    Poco::JSON::Array kinds;
    for (const auto& k : status.kinds) {
        Poco::JSON::Array days;
        for (const auto& d : k.days) {
            Poco::JSON::Object day(Poco::JSON_PRESERVE_KEY_ORDER);
            day.set("day", d.day);
            day.set("checks", d.checks);
            day.set("ok", d.ok);
            day.set("uptime_percent", percentValue(d.ok, d.checks));
            days.add(day);
        }
        Poco::JSON::Object title(Poco::JSON_PRESERVE_KEY_ORDER);
        title.set("fr", k.title.fr);
        title.set("en", k.title.en);
        Poco::JSON::Object kind(Poco::JSON_PRESERVE_KEY_ORDER);
        kind.set("kind", k.kind);
        kind.set("title", title);
        kind.set("checks", k.checks);
        kind.set("ok", k.ok);
        kind.set("uptime_percent", percentValue(k.ok, k.checks));
        kind.set("days", days);
        kinds.add(kind);
    }
    Poco::JSON::Array incidents;
    for (const auto& i : status.incidents) {
        Poco::JSON::Object incident(Poco::JSON_PRESERVE_KEY_ORDER);
        incident.set("kind", i.kind);
        incident.set("service_kind",
                     i.serviceKind ? Poco::Dynamic::Var(*i.serviceKind) : Poco::Dynamic::Var());
        incident.set("severity", i.severity);
        incident.set("started_at", i.startedAt);
        incident.set("ended_at", i.endedAt ? Poco::Dynamic::Var(*i.endedAt) : Poco::Dynamic::Var());
        incidents.add(incident);
    }
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("from", status.from);
    out.set("to", status.to);
    out.set("days", StatusReport::kDays);
    out.set("kinds", kinds);
    out.set("incidents", incidents);
    return out;
}

}  // namespace

Poco::JSON::Array alertsJson(const std::vector<Alert>& alerts) {
    Poco::JSON::Array items;
    for (const auto& a : alerts) {
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("id", a.id);
        o.set("key", a.key);
        o.set("kind", a.kind);
        o.set("severity", a.severity);
        o.set("association_id", optional(a.associationId));
        o.set("service_id", optional(a.serviceId));
        o.set("message", a.message);
        o.set("opened_at", a.openedAt);
        o.set("updated_at", a.updatedAt);
        o.set("closed_at", optional(a.closedAt));
        items.add(o);
    }
    return items;
}

void registerUsageRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/services/{id}/usage", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, seriesJson(ctx.usage.serviceSeries(
                            actor, r.param("id"), {r.query("from"), r.query("to"), r.query("step")})));
    });

    router.add("GET", "/api/v1/services/{id}/uptime", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, uptimeJson(ctx.usage.uptime(actor, r.param("id"), r.query("month"))));
    });

    router.add("GET", "/api/v1/associations/{id}/usage", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, usageJson(ctx.usage.associationUsage(actor, r.param("id"))));
    });

    // Public, like the status page that shows the same figures: no association is named.
    router.add("GET", "/api/v1/status",
               [&ctx](http::Request& r) { r.sendJson(200, statusJson(ctx.status.build())); });

    router.add("POST", "/api/v1/associations/{id}/quota-exceptions", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = r.jsonBody();
        // 404 or 403 before anything of the body is looked at.
        ctx.associations.authorize(actor, r.param("id"), Permission::GrantQuotaExceptions);
        const GrantException command = parseGrantException(body);
        r.sendJson(201, exceptionJson(ctx.usage.grantException(actor, r.param("id"), command)));
    });

    router.add("GET", "/api/v1/alerts", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto all = r.query("all");
        if (all && *all != "true" && *all != "false") {
            throw Error(ErrorKind::Validation, "invalid_fields", "all is true or false.",
                        {{"all", "invalid_boolean", "all is true or false."}});
        }
        const Page page = pageOf(r);
        Poco::JSON::Object out;
        out.set("items", alertsJson(ctx.usage.alerts(actor, all && *all == "true", page.limit)));
        r.sendJson(200, out);
    });

    // Prometheus scrapes with the metrics token (data.dir/metrics.token) from the configured addresses;
    // an admin's token works from anywhere. The address alone opens nothing: a guest's traffic
    // through QEMU user networking arrives from 127.0.0.1.
    router.add("GET", "/metrics", [&ctx](http::Request& r) {
        const auto& allowed = ctx.settings.metricsAllowed;
        const auto header = r.header("Authorization");
        static const std::string kBearer = "Bearer ";
        const bool metricsToken =
            header && header->size() > kBearer.size() &&
            Poco::icompare(header->substr(0, kBearer.size()), kBearer) == 0 &&
            isMetricsToken(metricsTokenPath(ctx.settings), std::string_view(*header).substr(kBearer.size()));
        if (metricsToken) {
            if (std::find(allowed.begin(), allowed.end(), r.clientAddress()) == allowed.end()) {
                throw Error::forbidden("The metrics token is accepted only from metrics.allowed_addresses.");
            }
        } else {
            const Actor actor = ctx.requireActor(r);
            ctx.associations.authorizeGlobal(actor, Permission::ViewMonitoring);
        }
        r.sendText(200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics());
    });
}

}  // namespace chatiere::manager::api
