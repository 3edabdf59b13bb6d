#include "app/ExportService.h"

#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

namespace {

std::optional<int64_t> orNull(const Poco::Dynamic::Var& value) {
    return value.isEmpty() ? std::nullopt : std::optional<int64_t>(value.convert<Poco::Int64>());
}

}  // namespace

ExportService::ExportService(Database& db, base::Clock& clock, AssociationService& associations,
                             ServiceManager& services, BillingService& billing,
                             std::function<std::string(const Service&)> siteArchive)
    : db_(db),
      clock_(clock),
      associations_(associations),
      services_(services),
      billing_(billing),
      siteArchive_(std::move(siteArchive)) {}

AssociationExport ExportService::gather(const Actor& actor, const std::string& associationId,
                                        const std::string& language) {
    AssociationExport out;
    out.association = associations_.authorize(actor, associationId, Permission::ManageMembers);
    const std::string& id = out.association.id;
    out.exportedAt = formatTime(clock_.now());
    out.members = associations_.members(id);
    for (const auto& s : services_.list(actor, id)) {
        out.services.push_back(s);
        if (s.state == "deleted") {
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

std::vector<ExportedUsageDay> ExportService::usageDays(const std::string& associationId) {
    auto s = db_.session();
    Poco::Data::Statement stmt(s);
    std::string id = associationId;
    stmt << "SELECT day, samples, cpu_ns, stored_bytes_avg, stored_bytes_max FROM association_usage_daily "
            "WHERE association_id = ? ORDER BY day",
        use(id);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<ExportedUsageDay> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        ExportedUsageDay day;
        day.day = rs["day"].convert<std::string>();
        day.samples = rs["samples"].convert<Poco::Int64>();
        day.cpuSeconds = rs["cpu_ns"].convert<double>() / 1e9;
        day.storedBytesAvg = orNull(rs["stored_bytes_avg"]);
        day.storedBytesMax = orNull(rs["stored_bytes_max"]);
        out.push_back(std::move(day));
    }
    return out;
}

}  // namespace chatiere::manager
