#include "api/Api.h"
#include "app/Terms.h"
#include "domain/AuditLog.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::manager::api {

namespace {

Poco::JSON::Object countsJson(const Counts& counts) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [name, count] : counts) {
        out.set(name, count);
    }
    return out;
}

Poco::JSON::Object overviewJson(const Overview& o) {
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("at", o.at);
    Poco::JSON::Object host(Poco::JSON_PRESERVE_KEY_ORDER);
    host.set("checked_at", o.host.checkedAt ? Poco::Dynamic::Var(*o.host.checkedAt) : Poco::Dynamic::Var());
    host.set("libvirt_reachable", o.host.libvirtReachable);
    host.set("cpus", o.host.cpus);
    Poco::JSON::Array load;
    for (const double l : o.host.load) {
        load.add(l);
    }
    host.set("load", load);
    Poco::JSON::Object memory(Poco::JSON_PRESERVE_KEY_ORDER);
    memory.set("total_mib", o.host.memoryTotalMib);
    memory.set("available_mib", o.host.memoryAvailableMib);
    host.set("memory", memory);
    if (o.host.disk) {
        Poco::JSON::Object disk(Poco::JSON_PRESERVE_KEY_ORDER);
        disk.set("capacity_gib", o.host.disk->capacityGib);
        disk.set("used_gib", o.host.disk->usedGib);
        disk.set("available_gib", o.host.disk->availableGib);
        host.set("disk", disk);
    }
    out.set("host", host);
    Poco::JSON::Object allocated(Poco::JSON_PRESERVE_KEY_ORDER);
    allocated.set("vcpus", o.allocatedVcpus);
    allocated.set("memory_mib", o.allocatedMemoryMib);
    allocated.set("disk_gib", o.allocatedDiskGib);
    out.set("allocated", allocated);
    out.set("services", countsJson(o.services));
    Poco::JSON::Object jobs(Poco::JSON_PRESERVE_KEY_ORDER);
    jobs.set("pending", o.jobsPending);
    jobs.set("failed_24h", o.jobsFailed24h);
    jobs.set("oldest_pending_at",
             o.oldestPendingJobAt ? Poco::Dynamic::Var(*o.oldestPendingJobAt) : Poco::Dynamic::Var());
    out.set("jobs", jobs);
    out.set("outbox", countsJson(o.outbox));
    out.set("associations", countsJson(o.associations));
    Poco::JSON::Object invoices(Poco::JSON_PRESERVE_KEY_ORDER);
    invoices.set("drafts", o.invoiceDrafts);
    invoices.set("overdue", o.invoicesOverdue);
    out.set("invoices", invoices);
    out.set("open_alerts", o.openAlerts);
    return out;
}

}  // namespace

void registerSystemRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/healthz", [&ctx](http::Request& r) {
        Poco::JSON::Object out;
        const bool answers = ctx.databaseAnswers();
        out.set("status", answers ? "ok" : "degraded");
        out.set("database", answers ? "ok" : "error");
        r.sendJson(answers ? 200 : 503, out);
    });

    router.add("GET", "/api/v1/terms", [&ctx](http::Request& r) {
        const std::string language = languageOf(r);
        Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
        out.set("version", ctx.settings.termsVersion);
        out.set("language", language);
        out.set("text", app::readTerms(ctx.settings, language));
        r.sendJson(200, out);
    });

    router.add("GET", "/api/v1/system/overview", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        ctx.associations.authorizeGlobal(actor, Permission::ViewMonitoring);
        Poco::JSON::Object out = overviewJson(ctx.overview.overview());
        out.set("alerts", alertsJson(ctx.usage.alerts(actor, false, 20)));
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
        auto entries = ctx.audit.list(actor, filter);
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
