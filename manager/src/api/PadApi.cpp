// The pads of an editor service (Etherpad's, through its HTTP API): GET and POST
// /api/v1/services/{id}/pads, DELETE /api/v1/services/{id}/pads/{name}. The rules are PadService's.

#include "api/Api.h"
#include "api/Commands.h"

#include <Poco/JSON/Array.h>

namespace chatiere::manager::api {

void registerPadRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/services/{id}/pads", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array items;
        for (const auto& pad : ctx.pads.list(actor, r.param("id"))) {
            Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
            o.set("name", pad.name);
            o.set("url", pad.url);
            o.set("last_edited", pad.lastEdited);
            o.set("revisions", pad.revisions);
            items.add(o);
        }
        Poco::JSON::Object out;
        out.set("pads", items);
        r.sendJson(200, out);
    });

    router.add("POST", "/api/v1/services/{id}/pads", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.services.get(actor, r.param("id"));  // 404 before reading another association's body
        auto body = r.jsonBody();
        const Pad pad = ctx.pads.create(actor, r.param("id"), parseCreatePad(body));
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("name", pad.name);
        o.set("url", pad.url);
        r.sendJson(201, o);
    });

    router.add("DELETE", "/api/v1/services/{id}/pads/{name}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.pads.remove(actor, r.param("id"), r.param("name"));
        r.sendNoContent();
    });

    // A name with a '/' (even as %2F, decoded before routing) is two segments: still a bad name
    // (400 invalid_name), not an unknown address.
    router.add("DELETE", "/api/v1/services/{id}/pads/{name}/{rest}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.pads.remove(actor, r.param("id"), r.param("name") + "/" + r.param("rest"));
    });
}

}  // namespace chatiere::manager::api
