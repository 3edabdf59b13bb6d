#include "api/Api.h"
#include "domain/AuditLog.h"
#include "store/Health.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::manager::api {

std::string readTerms(const Settings& settings, const std::string& language) {
    std::filesystem::path file = settings.termsFile;
    if (file.empty()) {
        file = std::filesystem::path(settings.webDir) / ("terms." + language + ".md");
    }
    std::ifstream in(file);
    if (!in) {
        throw Error(ErrorKind::Unavailable, "terms_unavailable",
                    "The terms of service cannot be read from " + file.string() + ".");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void registerSystemRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/healthz", [&ctx](http::Request& r) {
        Poco::JSON::Object out;
        auto s = ctx.db.session();
        const bool answers = databaseAnswers(s);
        out.set("status", answers ? "ok" : "degraded");
        out.set("database", answers ? "ok" : "error");
        r.sendJson(answers ? 200 : 503, out);
    });

    router.add("GET", "/api/v1/terms", [&ctx](http::Request& r) {
        const std::string language = languageOf(r);
        Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
        out.set("version", ctx.settings.termsVersion);
        out.set("language", language);
        out.set("text", readTerms(ctx.settings, language));
        r.sendJson(200, out);
    });

    router.add("GET", "/api/v1/system/overview", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorizeGlobal(actor, Permission::ViewMonitoring);
        Poco::JSON::Object out = ctx.overview.overview();
        out.set("alerts", ctx.usage.alerts(actor, false, 20).get("items"));
        r.sendJson(200, out);
    });
    router.add("GET", "/api/v1/audit", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorizeGlobal(actor, Permission::ViewAudit);
        const Page page = pageOf(r);
        AuditFilter filter;
        filter.limit = page.limit + 1;
        filter.associationId = r.query("association");
        filter.action = r.query("action");
        filter.actorUserId = r.query("actor");
        filter.actorLabel = r.query("actor_label");
        for (const auto& [name, field] :
             {std::pair{"since", &filter.since}, std::pair{"until", &filter.until}}) {
            if (const auto day = r.query(name)) {
                if (!Calendar::isDate(*day)) {
                    throw Error(ErrorKind::Validation, "invalid_fields",
                                std::string(name) + " is a date YYYY-MM-DD.",
                                {{name, "invalid_date", "A date written YYYY-MM-DD."}});
                }
                *field = *day;
            }
        }
        if (!page.cursor.empty()) {
            Poco::Int64 before = 0;
            if (!Poco::NumberParser::tryParse64(page.cursor, before)) {
                throw Error(ErrorKind::Validation, "invalid_fields", "Bad cursor.",
                            {{"cursor", "invalid_cursor", "Use the next_cursor of the previous page."}});
            }
            filter.before = before;
        }
        auto s = ctx.db.session();
        auto entries = AuditLog::list(s, filter);
        const bool more = static_cast<int>(entries.size()) > page.limit;
        if (more) {
            entries.pop_back();
        }
        Poco::JSON::Array items;
        Poco::JSON::Parser parser;
        for (const auto& e : entries) {
            Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
            o.set("id", std::to_string(e.id));
            o.set("at", e.at);
            o.set("actor", e.actor);
            o.set("actor_user_id", e.actorUserId ? Poco::Dynamic::Var(*e.actorUserId) : Poco::Dynamic::Var());
            o.set("client_address", e.clientAddress);
            o.set("action", e.action);
            o.set("target_type", e.targetType);
            o.set("target_id", e.targetId);
            o.set("association_id",
                  e.associationId ? Poco::Dynamic::Var(*e.associationId) : Poco::Dynamic::Var());
            o.set("details", parser.parse(e.details));
            parser.reset();
            items.add(o);
        }
        Poco::JSON::Object out;
        out.set("entries", items);
        out.set("next_cursor",
                more ? Poco::Dynamic::Var(std::to_string(entries.back().id)) : Poco::Dynamic::Var());
        r.sendJson(200, out);
    });
}

}  // namespace chatiere::manager::api
