#include "app/ExportService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"
#include "store/Usage.h"

#include <Poco/JSON/Object.h>

namespace chatiere::manager {

ExportService::ExportService(Database& db, base::Clock& clock, AssociationService& associations,
                             ServiceManager& services, BillingService& billing,
                             std::function<std::string(const Service&)> siteArchive, PadService* pads,
                             MailService* mail)
    : db_(db),
      clock_(clock),
      associations_(associations),
      services_(services),
      billing_(billing),
      siteArchive_(std::move(siteArchive)),
      pads_(pads),
      mail_(mail) {}

AssociationExport ExportService::gather(const Actor& actor, const std::string& associationId,
                                        const std::string& language) {
    AssociationExport out;
    out.association = associations_.authorize(actor, associationId, Permission::ManageMembers);
    const std::string& id = out.association.id;
    out.exportedAt = formatTime(clock_.now());
    out.members = associations_.members(id);
    for (const auto& s : services_.list(actor, id)) {
        out.services.push_back(s);
        if (s.state == ServiceState::Deleted) {
            continue;
        }
        if (pads_ && pads_->isEditor(s)) {
            out.pads.push_back(editorPads(s));
            continue;
        }
        if (mail_ && mail_->isMail(s)) {
            out.mail.push_back(mail_->exportOf(s));
            continue;
        }
        std::string site = siteArchive_ ? siteArchive_(s) : std::string();
        if (!site.empty()) {
            out.sites.push_back({s.name, std::move(site)});
        }
    }
    out.subscriptions = billing_.subscriptions(actor, id);
    for (const auto& i : billing_.invoices(actor, id, 10000)) {
        if (!i.number) {
            continue;  // a draft is not the association's yet
        }
        out.invoices.push_back({i, billing_.document(actor, i.id, "pdf", language)});
    }
    out.usageDaily = usageDays(id);
    return out;
}

void ExportService::recordExport(const Actor& actor, const AssociationExport& exported, int64_t bytes) {
    auto s = db_.session();
    Poco::JSON::Object details;
    details.set("bytes", static_cast<Poco::Int64>(bytes));
    AuditLog::record(s, actor, exported.exportedAt, "association.export", "association",
                     exported.association.id, exported.association.id, details);
}

ExportedPads ExportService::editorPads(const Service& service) {
    ExportedPads out;
    out.serviceName = service.name;
    if (service.state != ServiceState::Active || !service.suspendedFor.empty()) {
        out.unavailable = "the editor is " + service.displayState() + ": its pads could not be read";
        return out;
    }
    try {
        out.pads = pads_->contents(service);
    } catch (const Error& e) {
        // Etherpad down: the rest of the export is still the association's to take.
        if (e.kind() != ErrorKind::Unavailable && e.kind() != ErrorKind::NotFound) {
            throw;
        }
        out.pads.clear();
        out.unavailable = e.what();
    }
    return out;
}

std::vector<ExportedUsageDay> ExportService::usageDays(const std::string& associationId) {
    auto s = db_.session();
    std::vector<ExportedUsageDay> out;
    for (auto& d : UsageRepository(s).associationDays(associationId)) {
        out.push_back({std::move(d.day), d.samples, static_cast<double>(d.cpuNs) / 1e9, d.storedBytesAvg,
                       d.storedBytesMax, d.transferBytes});
    }
    return out;
}

}  // namespace chatiere::manager
