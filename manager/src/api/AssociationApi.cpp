#include "api/Api.h"
#include "api/Commands.h"
#include "api/JsonFields.h"

#include <Poco/JSON/Array.h>

namespace chatiere::manager::api {

Poco::JSON::Object associationJson(const Association& a) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", a.id);
    o.set("name", a.name);
    o.set("kind", a.kind);
    o.set("status", wireName(a.status));
    o.set("email", a.email);
    o.set("rna", a.rna ? Poco::Dynamic::Var(*a.rna) : Poco::Dynamic::Var());
    o.set("siren", a.siren ? Poco::Dynamic::Var(*a.siren) : Poco::Dynamic::Var());
    o.set("siret", a.siret ? Poco::Dynamic::Var(*a.siret) : Poco::Dynamic::Var());
    o.set("legal_name", a.legalName);
    o.set("billing_email", a.billingEmail);
    Poco::JSON::Object address(Poco::JSON_PRESERVE_KEY_ORDER);
    address.set("line1", a.address.line1);
    address.set("line2", a.address.line2);
    address.set("postal_code", a.address.postalCode);
    address.set("city", a.address.city);
    address.set("country", a.address.country);
    o.set("address", address);
    o.set("plan", a.planSlug ? Poco::Dynamic::Var(*a.planSlug) : Poco::Dynamic::Var());
    if (a.rejectionReason) {
        o.set("rejection_reason", *a.rejectionReason);
    }
    o.set("created_at", a.createdAt);
    o.set("updated_at", a.updatedAt);
    return o;
}

Poco::JSON::Object memberJson(const Membership& m) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("user_id", m.userId);
    o.set("email", m.userEmail);
    o.set("name", m.userName);
    o.set("role", toString(m.role));
    o.set("since", m.createdAt);
    return o;
}

namespace {}  // namespace

void registerAssociationRoutes(http::Router& router, ApiContext& ctx) {
    router.add("POST", "/api/v1/signup", [&ctx](http::Request& r) {
        auto body = r.jsonBody();
        std::string language = languageOf(r);
        if (body->has("language") && body->get("language").isString()) {
            language = body->getValue<std::string>("language") == "en" ? "en" : "fr";
        }
        const SignupResult result = ctx.associations.signup(parseSignup(body), r.clientAddress(), language);
        Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
        Poco::JSON::Object association(Poco::JSON_PRESERVE_KEY_ORDER);
        association.set("id", result.association.id);
        association.set("status", wireName(result.association.status));
        out.set("association", association);
        Poco::JSON::Object user;
        user.set("id", result.manager.id);
        out.set("user", user);
        r.sendJson(201, out);
    });

    router.add("GET", "/api/v1/associations", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Page page = pageOf(r);
        // An empty filter filters nothing; an unknown state is a 400 naming it.
        const auto filter = r.query("status");
        const std::optional<AssociationStatus> status =
            filter && !filter->empty() ? std::optional(requestedState<AssociationStatus>(*filter, "status"))
                                       : std::nullopt;
        auto list = ctx.associations.list(actor, page.cursor, page.limit + 1, status);
        Poco::JSON::Array items;
        const bool more = static_cast<int>(list.size()) > page.limit;
        if (more) {
            list.pop_back();
        }
        for (const auto& a : list) {
            items.add(associationJson(a));
        }
        Poco::JSON::Object out;
        out.set("associations", items);
        out.set("next_cursor", more ? Poco::Dynamic::Var(list.back().id) : Poco::Dynamic::Var());
        r.sendJson(200, out);
    });

    router.add("GET", "/api/v1/associations/{id}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Association a = ctx.associations.authorize(actor, r.param("id"), Permission::ViewAssociation);
        r.sendJson(200, associationJson(a));
    });

    router.add("PATCH", "/api/v1/associations/{id}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const UpdateIdentity command = parseUpdateIdentity(r.jsonBody());
        r.sendJson(200, associationJson(ctx.associations.updateIdentity(actor, r.param("id"), command)));
    });

    router.add("POST", "/api/v1/associations/{id}/approve", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        r.sendJson(200, associationJson(ctx.associations.approve(actor, r.param("id"))));
    });

    router.add("POST", "/api/v1/associations/{id}/reject", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorize(actor, r.param("id"), Permission::DecideSignup);
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto reason = f.string("reason", true, 2000);
        errors.throwIfAny();
        r.sendJson(200, associationJson(ctx.associations.reject(actor, r.param("id"), *reason)));
    });

    router.add("PUT", "/api/v1/associations/{id}/plan", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorize(actor, r.param("id"), Permission::ViewAssociation);
        auto body = r.jsonBody();
        FieldErrors errors;
        JsonFields f(body, errors);
        const auto plan = f.string("plan", true, 40);
        errors.throwIfAny();
        r.sendJson(200, associationJson(ctx.associations.setPlan(actor, r.param("id"), *plan)));
    });

    router.add("GET", "/api/v1/associations/{id}/members", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorize(actor, r.param("id"), Permission::ViewMembers);
        Poco::JSON::Array items;
        for (const auto& m : ctx.associations.members(r.param("id"))) {
            items.add(memberJson(m));
        }
        Poco::JSON::Object out;
        out.set("members", items);
        out.set("next_cursor", Poco::Dynamic::Var());
        r.sendJson(200, out);
    });

    router.add("POST", "/api/v1/associations/{id}/members", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorize(actor, r.param("id"), Permission::ManageMembers);
        const AddMember command = parseAddMember(r.jsonBody());
        r.sendJson(201, memberJson(ctx.associations.addMember(actor, r.param("id"), command)));
    });

    router.add("POST", "/api/v1/associations/{id}/invitations", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const auto body = r.jsonBody();
        // 404 for a stranger before the fields are looked at.
        ctx.associations.authorize(actor, r.param("id"), Permission::ManageMembers);
        const Invite command = parseInvite(body);
        r.sendJson(201,
                   invitationToJson(ctx.invitations.invite(actor, r.param("id"), command, languageOf(r))));
    });
    router.add("GET", "/api/v1/associations/{id}/invitations", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        Poco::JSON::Array items;
        for (const auto& i : ctx.invitations.pending(actor, r.param("id"))) {
            items.add(invitationToJson(i));
        }
        Poco::JSON::Object out;
        out.set("invitations", items);
        r.sendJson(200, out);
    });
    router.add("DELETE", "/api/v1/associations/{id}/invitations/{invitationId}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.invitations.revoke(actor, r.param("id"), r.param("invitationId"));
        r.sendNoContent();
    });
    // With a session: joins as that account; without: {"name", "password", "accept_terms"} make one.
    router.add("POST", "/api/v1/invitations/accept", [&ctx](http::Request& r) {
        const auto body = r.jsonBody();
        const std::string token = body->optValue<std::string>("token", "");
        const auto signedIn = ctx.currentActor(r);
        // The new account's fields matter only when no account has the address (400 for a bad link first).
        NewAccount account;
        if (!ctx.invitations.accountExists(ctx.invitations.find(token))) {
            account = parseNewAccount(body);
        }
        const Membership m = ctx.invitations.accept(token, signedIn, account, r.clientAddress());
        r.sendJson(200, memberJson(m));
    });
    router.add("DELETE", "/api/v1/associations/{id}/members/{userId}", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.removeMember(actor, r.param("id"), r.param("userId"));
        Poco::JSON::Object out;
        out.set("removed", true);
        r.sendJson(200, out);
    });
}

}  // namespace chatiere::manager::api
