#include "monitoring/StatusReport.h"

#include "chatiere/manager/Time.h"
#include "store/Alerts.h"
#include "store/ServiceHealth.h"

#include <cmath>
#include <map>

namespace chatiere::manager {

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
        for (const auto& u : ServiceHealthRepository(s).uptimeByTemplate(out.from, out.to)) {
            const auto* manifest = catalogue_.find(u.templateName);
            const auto kind = manifest ? kindIndex.find(manifest->kind) : kindIndex.end();
            if (kind == kindIndex.end()) {
                continue;  // a template no longer in the catalogue
            }
            const auto day = dayIndex.find(u.day);
            if (day == dayIndex.end()) {
                continue;
            }
            auto& d = out.kinds[kind->second].days[day->second];
            d.checks += u.checks;
            d.ok += u.ok;
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
        for (auto& a : AlertBook(s).incidents(since, limit)) {
            Incident i;
            i.kind = std::move(a.kind);
            if (a.templateName) {
                if (const auto* manifest = catalogue_.find(*a.templateName)) {
                    i.serviceKind = manifest->kind;
                }
            }
            i.severity = std::move(a.severity);
            i.startedAt = std::move(a.openedAt);
            i.endedAt = std::move(a.closedAt);
            out.incidents.push_back(std::move(i));
        }
    }
    return out;
}

}  // namespace chatiere::manager
