// GET /api/v1/associations/{id}/export: everything Chatière holds of an association in one zip,
// for it to leave whenever it wants (a CHATONS promise): its records as JSON, its invoices as
// PDF, its websites' content as the tar archives they serve. Managers and the admin; audited.

#include "api/Api.h"
#include "app/ExportService.h"
#include "billing/BillingJson.h"

#include <Poco/DateTime.h>
#include <Poco/JSON/Array.h>
#include <Poco/Zip/Compress.h>

#include <sstream>

namespace chatiere::manager::api {

namespace {

constexpr const char* kReadme = R"(Export Chatière / Chatière export

FR — Toutes les données de votre association chez cet hébergeur :
  association.json    l'association, ses membres, ses services, ses abonnements, ses factures
                      (avec leurs lignes et paiements) et sa consommation jour par jour ;
  invoices/*.pdf      chaque facture et chaque avoir ;
  services/NOM/site.tar  le contenu de chaque site web, tel qu'il est servi ;
  services/NOM/pads/PAD.txt, PAD.html  le texte de chaque pad de chaque éditeur. Si un éditeur
                      ne répondait pas, ses pads manquent : association.json (« pads ») le dit.
  services/NOM/mail/ADRESSE/DOSSIER/N.eml  chaque message de chaque boîte aux lettres, par dossier
                      (à importer dans Thunderbird) ; les alias sont dans association.json (« mail »).

EN — All of your association's data at this host:
  association.json    the association, its members, services, subscriptions, invoices (with
                      their lines and payments) and its usage day by day;
  invoices/*.pdf      every invoice and credit note;
  services/NAME/site.tar  each website's content, as it is served;
  services/NAME/pads/PAD.txt, PAD.html  the text of each pad of each editor. When an editor did
                      not answer, its pads are missing: association.json ("pads") says so.
  services/NAME/mail/ADDRESS/FOLDER/N.eml  every message of every mailbox, by folder (to import
                      in Thunderbird); the aliases are in association.json ("mail").
)";

void add(Poco::Zip::Compress& zip, const std::string& name, const std::string& bytes) {
    std::istringstream in(bytes);
    zip.addFile(in, Poco::DateTime(), Poco::Path(name, Poco::Path::PATH_UNIX));
}

template <typename T>
Poco::Dynamic::Var orNull(const std::optional<T>& value) {
    return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

Poco::JSON::Array usageDays(const std::vector<ExportedUsageDay>& days) {
    Poco::JSON::Array out;
    for (const auto& d : days) {
        Poco::JSON::Object day(Poco::JSON_PRESERVE_KEY_ORDER);
        day.set("day", d.day);
        day.set("samples", d.samples);
        day.set("cpu_seconds", d.cpuSeconds);
        day.set("stored_bytes_avg", orNull(d.storedBytesAvg));
        day.set("stored_bytes_max", orNull(d.storedBytesMax));
        day.set("transfer_bytes", d.transferBytes);
        out.add(day);
    }
    return out;
}

// A name safe in a zip path.
std::string fileName(std::string text) {
    for (char& c : text) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '@') {
            c = '_';
        }
    }
    return text;
}

}  // namespace

void registerExportRoutes(http::Router& router, ApiContext& ctx) {
    router.add("GET", "/api/v1/associations/{id}/export", [&ctx](http::Request& r) {
        const Actor actor = ctx.requireActor(r);
        const std::string language = languageOf(r);
        const AssociationExport e = ctx.exports.gather(actor, r.param("id"), language);
        const Association& a = e.association;

        Poco::JSON::Object record(Poco::JSON_PRESERVE_KEY_ORDER);
        record.set("format", "chatiere-export/1");
        record.set("exported_at", e.exportedAt);
        record.set("association", associationJson(a));
        Poco::JSON::Array members, services, subscriptions, invoices;
        for (const auto& m : e.members) {
            members.add(memberJson(m));
        }
        std::ostringstream bytes;
        Poco::Zip::Compress zip(bytes, true);
        add(zip, "README.txt", kReadme);
        for (const auto& s : e.services) {
            services.add(serviceJson(s));
        }
        for (const auto& site : e.sites) {
            add(zip, "services/" + fileName(site.serviceName) + "/site.tar", site.tar);
        }
        // Each editor's pads; an editor that did not answer is named with the reason, not fatal.
        Poco::JSON::Array pads;
        for (const auto& editor : e.pads) {
            Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
            item.set("service", editor.serviceName);
            Poco::JSON::Array names;
            for (const auto& pad : editor.pads) {
                const std::string base =
                    "services/" + fileName(editor.serviceName) + "/pads/" + fileName(pad.name);
                add(zip, base + ".txt", pad.text);
                add(zip, base + ".html", pad.html);
                names.add(pad.name);
            }
            item.set("pads", names);
            item.set("complete", !editor.unavailable);
            item.set("unavailable", orNull(editor.unavailable));
            pads.add(item);
        }
        // Each mail service's mailboxes, one .eml per message by folder, and its aliases; a guest that
        // did not answer is named with the reason, not fatal.
        Poco::JSON::Array mail;
        for (const auto& service : e.mail) {
            const std::string base = "services/" + fileName(service.serviceName) + "/mail/";
            Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
            item.set("service", service.serviceName);
            item.set("mail_domain", service.domain);
            Poco::JSON::Array boxes;
            for (const auto& box : service.mailboxes) {
                for (const auto& m : box.messages) {
                    add(zip,
                        base + fileName(box.address) + "/" + fileName(m.folder) + "/" +
                            std::to_string(m.uid) + ".eml",
                        m.text);
                }
                Poco::JSON::Object b(Poco::JSON_PRESERVE_KEY_ORDER);
                b.set("address", box.address);
                b.set("messages", static_cast<Poco::Int64>(box.messages.size()));
                boxes.add(b);
            }
            item.set("mailboxes", boxes);
            Poco::JSON::Array aliases;
            for (const auto& a : service.aliases) {
                Poco::JSON::Object alias(Poco::JSON_PRESERVE_KEY_ORDER);
                alias.set("address", a.localPart + "@" + service.domain);
                Poco::JSON::Array to;
                for (const auto& d : a.destinations) {
                    to.add(d);
                }
                alias.set("destinations", to);
                aliases.add(alias);
            }
            item.set("aliases", aliases);
            item.set("complete", !service.unavailable);
            item.set("unavailable", orNull(service.unavailable));
            mail.add(item);
        }
        for (const auto& sub : e.subscriptions) {
            subscriptions.add(subscriptionToJson(sub));
        }
        for (const auto& i : e.invoices) {
            invoices.add(invoiceDetailsJson(ctx.billing.invoice(actor, i.invoice.id)));
            add(zip, "invoices/" + fileName(*i.invoice.number) + ".pdf", i.pdf);
        }
        record.set("members", members);
        record.set("services", services);
        record.set("subscriptions", subscriptions);
        record.set("invoices", invoices);
        record.set("usage_daily", usageDays(e.usageDaily));
        record.set("pads", pads);
        record.set("mail", mail);
        std::ostringstream json;
        record.stringify(json, 2);
        add(zip, "association.json", json.str());
        zip.close();
        ctx.exports.recordExport(actor, e, static_cast<int64_t>(bytes.str().size()));
        r.response().set("Content-Disposition",
                         "attachment; filename=\"chatiere-" + fileName(a.id) + ".zip\"");
        r.sendText(200, "application/zip", bytes.str());
    });
}

}  // namespace chatiere::manager::api
