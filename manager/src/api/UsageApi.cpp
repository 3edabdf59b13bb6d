#include "api/Api.h"
#include "monitoring/MetricsToken.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <algorithm>

namespace chatiere::manager::api {

void registerUsageRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/services/{id}/usage", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, ctx.usage.serviceSeries(actor, r.param("id"),
                                                {r.query("from"), r.query("to"), r.query("step")}));
    });

    router.add("GET", "/api/v1/services/{id}/uptime", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, ctx.usage.uptime(actor, r.param("id"), r.query("month")));
    });

    router.add("GET", "/api/v1/associations/{id}/usage", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, ctx.usage.associationUsage(actor, r.param("id")));
    });

    // Public, like the status page that shows the same figures: no association is named.
    router.add("GET", "/api/v1/status",
               [&ctx](http::Request& r) { r.sendJson(200, StatusReport::toJson(ctx.status.build())); });

    router.add("POST", "/api/v1/associations/{id}/quota-exceptions", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = r.jsonBody();
        r.sendJson(201, ctx.usage.grantException(actor, r.param("id"), body));
    });

    router.add("GET", "/api/v1/alerts", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto all = r.query("all");
        if (all && *all != "true" && *all != "false") {
            throw Error(ErrorKind::Validation, "invalid_fields", "all is true or false.",
                        {{"all", "invalid_boolean", "all is true or false."}});
        }
        const Page page = pageOf(r);
        r.sendJson(200, ctx.usage.alerts(actor, all && *all == "true", page.limit));
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
