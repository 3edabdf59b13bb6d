#include "api/Api.h"

#include <Poco/NumberParser.h>

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

    // Prometheus scrapes from the configured addresses without credentials; from anywhere else
    // with an admin's token.
    router.add("GET", "/metrics", [&ctx](http::Request& r) {
        const auto& allowed = ctx.settings.metricsAllowed;
        if (std::find(allowed.begin(), allowed.end(), r.clientAddress()) == allowed.end()) {
            const Actor actor = ctx.requireActor(r);
            ctx.associations.authorizeGlobal(actor, Permission::ViewMonitoring);
        }
        r.sendText(200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics());
    });
}

}  // namespace chatiere::manager::api
