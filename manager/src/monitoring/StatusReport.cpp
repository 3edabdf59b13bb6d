#include "monitoring/StatusReport.h"

#include "chatiere/manager/Time.h"
#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>

#include <cmath>
#include <map>

namespace chatiere::manager {

using namespace Poco::Data::Keywords;

StatusReport::StatusReport(Database& db, base::Clock& clock, const Calendar& calendar,
                           const templates::Catalogue& catalogue)
    : db_(db), clock_(clock), calendar_(calendar), catalogue_(catalogue) {}

std::optional<double> StatusReport::percent(int64_t ok, int64_t checks) {
    if (checks <= 0) {
        return std::nullopt;
    }
    return std::round(100000.0 * static_cast<double>(ok) / static_cast<double>(checks)) / 1000.0;
}

Status StatusReport::build() const {
    Status out;
    out.to = calendar_.dateOf(clock_.now());
    out.from = Calendar::addDays(out.to, -(kDays - 1));

    std::map<std::string, std::size_t> dayIndex;
    for (int i = 0; i < kDays; ++i) {
        dayIndex.emplace(Calendar::addDays(out.from, i), static_cast<std::size_t>(i));
    }
    // The kinds in the catalogue's order, each with every day of the report.
    std::map<std::string, std::size_t> kindIndex;
    for (const auto& manifest : catalogue_.all()) {
        if (kindIndex.count(manifest.kind)) {
            continue;
        }
        kindIndex.emplace(manifest.kind, out.kinds.size());
        KindAvailability k;
        k.kind = manifest.kind;
        k.title = manifest.title;
        for (int i = 0; i < kDays; ++i) {
            k.days.push_back({Calendar::addDays(out.from, i), 0, 0});
        }
        out.kinds.push_back(std::move(k));
    }

    auto s = db_.session();
    {
        Poco::Data::Statement stmt(s);
        stmt << "SELECT s.template AS template, u.day AS day, SUM(u.checks) AS checks, SUM(u.ok) AS ok "
                "FROM service_uptime_daily u JOIN services s ON s.id = u.service_id "
                "WHERE u.day >= ? AND u.day <= ? GROUP BY s.template, u.day",
            bind(out.from), bind(out.to);
        stmt.execute();
        Poco::Data::RecordSet rs(stmt);
        for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
            const auto* manifest = catalogue_.find(text(rs, "template"));
            const auto kind = manifest ? kindIndex.find(manifest->kind) : kindIndex.end();
            if (kind == kindIndex.end()) {
                continue;  // a template no longer in the catalogue
            }
            const auto day = dayIndex.find(text(rs, "day"));
            if (day == dayIndex.end()) {
                continue;
            }
            auto& d = out.kinds[kind->second].days[day->second];
            d.checks += integer(rs, "checks");
            d.ok += integer(rs, "ok");
        }
        for (auto& k : out.kinds) {
            for (const auto& d : k.days) {
                k.checks += d.checks;
                k.ok += d.ok;
            }
        }
    }
    {
        // Opened since the first day started, or still open. Only what kind of service: the
        // message and the ids stay out of the query.
        const std::string since = formatTime(calendar_.startOf(out.from));
        const int limit = kMaxIncidents;
        Poco::Data::Statement stmt(s);
        stmt << "SELECT a.kind AS kind, a.severity AS severity, a.opened_at AS opened_at, "
                "a.closed_at AS closed_at, s.template AS template FROM alerts a "
                "LEFT JOIN services s ON s.id = a.service_id "
                "WHERE a.kind IN ('health', 'host') AND (a.opened_at >= ? OR a.closed_at IS NULL) "
                "ORDER BY a.opened_at DESC, a.id DESC LIMIT ?",
            bind(since), bind(limit);
        stmt.execute();
        Poco::Data::RecordSet rs(stmt);
        for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
            Incident i;
            i.kind = text(rs, "kind");
            if (const auto templateName = optText(rs, "template")) {
                if (const auto* manifest = catalogue_.find(*templateName)) {
                    i.serviceKind = manifest->kind;
                }
            }
            i.severity = text(rs, "severity");
            i.startedAt = text(rs, "opened_at");
            i.endedAt = optText(rs, "closed_at");
            out.incidents.push_back(std::move(i));
        }
    }
    return out;
}

}  // namespace chatiere::manager
