#include "api/Api.h"
#include "api/Commands.h"

#include <Poco/JSON/Array.h>

namespace chatiere::manager::api {

void registerPlanRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/plans", [&ctx](http::Request& r) {
        Poco::JSON::Array items;
        for (const auto& plan : ctx.plans.list()) {
            items.add(planToJson(plan));
        }
        Poco::JSON::Object out;
        out.set("plans", items);
        out.set("next_cursor", Poco::Dynamic::Var());
        r.sendJson(200, out);
    });

    router.add("GET", "/api/v1/plans/{slug}",
               [&ctx](http::Request& r) { r.sendJson(200, planToJson(ctx.plans.get(r.param("slug")))); });

    router.add("POST", "/api/v1/plans", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        if (decide(actor.staffRole, std::nullopt, Permission::ManagePlans) != Decision::Allow) {
            throw Error::forbidden("Only an admin may change the plans.");
        }
        r.sendJson(201, planToJson(ctx.plans.create(actor, parsePlanDefinition(r.jsonBody()))));
    });

    router.add("PUT", "/api/v1/plans/{slug}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        if (decide(actor.staffRole, std::nullopt, Permission::ManagePlans) != Decision::Allow) {
            throw Error::forbidden("Only an admin may change the plans.");
        }
        const PlanDefinition definition = parsePlanDefinition(r.jsonBody());
        r.sendJson(200, planToJson(ctx.plans.update(actor, r.param("slug"), definition)));
    });
}

}  // namespace chatiere::manager::api
