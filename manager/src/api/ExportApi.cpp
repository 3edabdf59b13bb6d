// GET /api/v1/associations/{id}/export: everything Chatière holds of an association in one zip,
// for it to leave whenever it wants (a CHATONS promise): its records as JSON, its invoices as
// PDF, its websites' content as the tar archives they serve. Managers and the admin; audited.

#include "api/Api.h"
#include "billing/BillingJson.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTime.h>
#include <Poco/JSON/Array.h>
#include <Poco/Zip/Compress.h>

#include <sstream>

using namespace Poco::Data::Keywords;

namespace chatiere::manager::api {

namespace {

constexpr const char* kReadme = R"(Export Chatière / Chatière export

FR — Toutes les données de votre association chez cet hébergeur :
  association.json    l'association, ses membres, ses services, ses abonnements, ses factures
                      (avec leurs lignes et paiements) et sa consommation jour par jour ;
  invoices/*.pdf      chaque facture et chaque avoir ;
  services/NOM/site.tar  le contenu de chaque site web, tel qu'il est servi.

EN — All of your association's data at this host:
  association.json    the association, its members, services, subscriptions, invoices (with
                      their lines and payments) and its usage day by day;
  invoices/*.pdf      every invoice and credit note;
  services/NAME/site.tar  each website's content, as it is served.
)";

void add(Poco::Zip::Compress& zip, const std::string& name, const std::string& bytes) {
    std::istringstream in(bytes);
    zip.addFile(in, Poco::DateTime(), Poco::Path(name, Poco::Path::PATH_UNIX));
}

// A figure that was never measured (NULL: the volume could not be read that day) is exported as
// JSON null, neither 0 nor an error.
Poco::Dynamic::Var orNull(const Poco::Dynamic::Var& value) {
    return value.isEmpty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(value.convert<Poco::Int64>());
}

Poco::JSON::Array usageDays(Database& db, const std::string& associationId) {
    auto s = db.session();
    Poco::Data::Statement stmt(s);
    std::string id = associationId;
    stmt << "SELECT day, samples, cpu_ns, stored_bytes_avg, stored_bytes_max FROM association_usage_daily "
            "WHERE association_id = ? ORDER BY day",
        use(id);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    Poco::JSON::Array out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        Poco::JSON::Object day(Poco::JSON_PRESERVE_KEY_ORDER);
        day.set("day", rs["day"].convert<std::string>());
        day.set("samples", rs["samples"].convert<Poco::Int64>());
        day.set("cpu_seconds", rs["cpu_ns"].convert<double>() / 1e9);
        day.set("stored_bytes_avg", orNull(rs["stored_bytes_avg"]));
        day.set("stored_bytes_max", orNull(rs["stored_bytes_max"]));
        out.add(day);
    }
    return out;
}

// A name safe in a zip path.
std::string fileName(std::string text) {
    for (char& c : text) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
            c = '_';
        }
    }
    return text;
}

}  // namespace

void registerExportRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/associations/{id}/export", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const Association a = ctx.associations.authorize(actor, r.param("id"), Permission::ManageMembers);
        const std::string language = languageOf(r);

        Poco::JSON::Object record(Poco::JSON_PRESERVE_KEY_ORDER);
        record.set("format", "chatiere-export/1");
        const std::string at = formatTime(ctx.clock.now());
        record.set("exported_at", at);
        record.set("association", associationJson(a));
        Poco::JSON::Array members, services, subscriptions, invoices;
        for (const auto& m : ctx.associations.members(a.id)) {
            members.add(memberJson(m));
        }
        std::ostringstream bytes;
        Poco::Zip::Compress zip(bytes, true);
        add(zip, "README.txt", kReadme);
        for (const auto& s : ctx.services.list(actor, a.id)) {
            services.add(serviceJson(s));
            if (s.state == "deleted") {
                continue;
            }
            const std::string site = ctx.siteArchive ? ctx.siteArchive(s) : std::string();
            if (!site.empty()) {
                add(zip, "services/" + fileName(s.name) + "/site.tar", site);
            }
        }
        for (const auto& sub : ctx.billing.subscriptions(actor, a.id)) {
            subscriptions.add(subscriptionToJson(sub));
        }
        for (const auto& i : ctx.billing.invoices(actor, a.id, 10000)) {
            if (!i.number) {
                continue;  // a draft is not the association's yet
            }
            invoices.add(ctx.billing.invoice(actor, i.id));
            add(zip, "invoices/" + fileName(*i.number) + ".pdf",
                ctx.billing.document(actor, i.id, "pdf", language));
        }
        record.set("members", members);
        record.set("services", services);
        record.set("subscriptions", subscriptions);
        record.set("invoices", invoices);
        record.set("usage_daily", usageDays(ctx.db, a.id));
        std::ostringstream json;
        record.stringify(json, 2);
        add(zip, "association.json", json.str());
        zip.close();

        {
            auto s = ctx.db.session();
            Poco::JSON::Object details;
            details.set("bytes", static_cast<Poco::Int64>(bytes.str().size()));
            AuditLog::record(s, actor, at, "association.export", "association", a.id, a.id, details);
        }
        r.response().set("Content-Disposition",
                         "attachment; filename=\"chatiere-" + fileName(a.id) + ".zip\"");
        r.sendText(200, "application/zip", bytes.str());
    });
}

}  // namespace chatiere::manager::api
