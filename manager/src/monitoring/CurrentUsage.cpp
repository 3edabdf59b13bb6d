#include "monitoring/CurrentUsage.h"

#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

namespace chatiere::manager {

using namespace Poco::Data::Keywords;

std::map<std::string, MetricUse> currentUsage(Session& session,
                                              const std::optional<std::string>& associationId) {
    Poco::Data::Statement stmt(session);
    std::string sql =
        "SELECT s.association_id, COUNT(*) AS services, SUM(s.vcpus) AS vcpus, SUM(s.memory_mib) AS "
        "memory_mib, "
        "COALESCE(SUM(u.stored_bytes), 0) AS stored_bytes FROM services s "
        "LEFT JOIN usage_latest u ON u.service_id = s.id WHERE s.state != 'deleted'";
    std::string id = associationId.value_or("");
    if (associationId) {
        sql += " AND s.association_id = ?";
    }
    sql += " GROUP BY s.association_id";
    stmt << sql;
    if (associationId) {
        stmt, useRef(id);
    }
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::map<std::string, MetricUse> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        MetricUse& use = out[text(rs, "association_id")];
        use["services"] = static_cast<double>(integer(rs, "services"));
        use["vcpus"] = static_cast<double>(integer(rs, "vcpus"));
        use["memory_mib"] = static_cast<double>(integer(rs, "memory_mib"));
        use["disk_gib"] = static_cast<double>(integer(rs, "stored_bytes")) / kBytesPerGiB;
    }
    if (associationId && out.empty()) {
        out[*associationId] = {{"services", 0}, {"vcpus", 0}, {"memory_mib", 0}, {"disk_gib", 0}};
    }
    return out;
}

StoredFigures storedOver(Session& session, const std::string& associationId,
                         const std::string& fromDay, const std::string& toDay) {
    Poco::Nullable<Poco::Int64> peak;
    Poco::Nullable<double> average;
    Poco::Nullable<Poco::Int64> samples;
    std::string id = associationId;
    std::string from = fromDay;
    std::string to = toDay;
    session << "SELECT MAX(stored_bytes_max), SUM(stored_bytes_avg * samples) * 1.0 / SUM(CASE WHEN "
               "stored_bytes_avg IS NOT NULL THEN samples END), SUM(samples) FROM association_usage_daily "
               "WHERE association_id = ? AND day >= ? AND day < ?",
        useRef(id), useRef(from), useRef(to), into(peak), into(average), into(samples), now;
    StoredFigures out;
    if (!peak.isNull()) {
        out.peakGib = static_cast<double>(peak.value()) / kBytesPerGiB;
    }
    if (!average.isNull()) {
        out.averageGib = average.value() / kBytesPerGiB;
    }
    out.samples = samples.isNull() ? 0 : samples.value();
    return out;
}

}  // namespace chatiere::manager
