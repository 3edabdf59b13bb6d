// The admin console's audit log: who did what, when, from where, newest first, filtered by action
// (or its start: "billing."), association, who, and days; older entries a page at a time.

#include "billing/Money.h"
#include "domain/AuditLog.h"
#include "web/Web.h"

#include <Poco/NumberParser.h>
#include <Poco/URI.h>

#include <map>

namespace chatiere::manager::web {

namespace {

constexpr int kPageSize = 50;

std::optional<std::string> nonEmpty(const std::optional<std::string>& v) {
    return v && !v->empty() ? v : std::nullopt;
}

}  // namespace

void registerAdminAuditPages(http::Router& router, Pages& pages) {
    router.add("GET", "/admin/audit", pages.page([&pages](http::Request& r) {
        const auto actor = pages.staff(r);
        if (!actor) {
            return;
        }
        auto& api = pages.app();
        api.associations.authorizeGlobal(*actor, Permission::ViewAudit);
        const std::string lang = pages.language(r);
        mstch::map data;
        AuditFilter filter;
        filter.limit = kPageSize + 1;
        filter.action = nonEmpty(r.query("action"));
        filter.associationId = nonEmpty(r.query("association"));
        filter.actorLabel = nonEmpty(r.query("who"));
        int status = 200;
        for (const auto& [name, field] :
             {std::pair{"since", &filter.since}, std::pair{"until", &filter.until}}) {
            const auto day = nonEmpty(r.query(name));
            data.emplace(name, day.value_or(""));
            if (day && !Calendar::isDate(*day)) {
                data.emplace(std::string(name) + "_error", pages.words().error(lang, "invalid_date"));
                status = 400;
            } else {
                *field = day;
            }
        }
        Poco::Int64 before = 0;
        if (const auto cursor = r.query("before");
            cursor && Poco::NumberParser::tryParse64(*cursor, before)) {
            filter.before = before;
        }
        std::map<std::string, std::string> names;
        mstch::array associations;
        for (const auto& a : api.associations.list(*actor, "", 1000, std::nullopt)) {
            names[a.id] = a.name;
            mstch::map o;
            o.emplace("value", a.id);
            o.emplace("label", a.name);
            o.emplace("selected", filter.associationId == a.id);
            associations.push_back(std::move(o));
        }
        std::vector<AuditEntry> entries;
        if (status == 200) {
            entries = api.audit.list(*actor, filter);
        }
        const bool more = static_cast<int>(entries.size()) > kPageSize;
        if (more) {
            entries.pop_back();
        }
        mstch::array rows;
        for (const auto& e : entries) {
            mstch::map row;
            row.emplace("at", formatDate(e.at.substr(0, 10), lang) + " " + e.at.substr(11, 8) + " UTC");
            row.emplace("actor", e.actor);
            row.emplace("address", e.clientAddress);
            row.emplace("action", e.action);
            row.emplace("target", e.targetType + " " + e.targetId);
            if (e.associationId) {
                row.emplace("association",
                            names.count(*e.associationId) ? names.at(*e.associationId) : *e.associationId);
                row.emplace("association_id", *e.associationId);
            }
            if (e.details != "{}") {
                row.emplace("details", e.details);
            }
            rows.push_back(std::move(row));
        }
        data.emplace("has_entries", !rows.empty());
        data.emplace("entries", std::move(rows));
        data.emplace("associations", std::move(associations));
        data.emplace("action", filter.action.value_or(""));
        data.emplace("who", filter.actorLabel.value_or(""));
        if (more) {
            std::string next = "/admin/audit?before=" + std::to_string(entries.back().id);
            for (const char* name : {"action", "association", "who", "since", "until"}) {
                if (const auto v = nonEmpty(r.query(name))) {
                    std::string encoded;
                    Poco::URI::encode(*v, "&=+#?/", encoded);
                    next += std::string("&") + name + "=" + encoded;
                }
            }
            data.emplace("older", next);
        }
        pages.send(r, status, "admin_audit", "admin_audit_title", std::move(data));
    }));
}

}  // namespace chatiere::manager::web
