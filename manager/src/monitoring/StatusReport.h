#pragma once

#include "chatiere/manager/Calendar.h"
#include "chatiere/manager/Database.h"
#include "chatiere/base/Clock.h"
#include "chatiere/templates/Catalogue.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// One local day of a kind of service: its health checks, summed over every service of the kind.
struct DayAvailability {
    std::string day;  // YYYY-MM-DD
    int64_t checks = 0;
    int64_t ok = 0;
};

struct KindAvailability {
    std::string kind;  // website | editor | mail
    templates::LocalizedText title;
    std::vector<DayAvailability> days;  // every day of the report, oldest first (checks 0: no data)
    int64_t checks = 0;
    int64_t ok = 0;
};

// A health or host alert, told without whose it was: never an association, a service's name,
// id or address, nor the alert's message (which names them).
struct Incident {
    std::string kind;                        // health | host
    std::optional<std::string> serviceKind;  // health: the kind of the service
    std::string severity;                    // warning | critical
    std::string startedAt;                   // RFC 3339
    std::optional<std::string> endedAt;      // nullopt: ongoing
};

struct Status {
    std::string from;  // the first local day, included
    std::string to;    // the last local day (today), included
    std::vector<KindAvailability> kinds;
    std::vector<Incident> incidents;  // newest first
};

// The public status page's figures (the page and GET /api/v1/status both read them here): per
// kind of service in the catalogue, the share of health checks that passed on each of the last
// kDays local days and over them all; and the health and host incidents opened in those days
// (and any still ongoing). Quota alerts are an association's business, never shown.
class StatusReport {
public:
    StatusReport(Database& db, base::Clock& clock, const Calendar& calendar,
                 const templates::Catalogue& catalogue);

    Status build() const;
    // The share that passed, in percent rounded to 3 decimals; nullopt without checks.
    static std::optional<double> percent(int64_t ok, int64_t checks);

    static constexpr int kDays = 30;
    static constexpr int kMaxIncidents = 200;

private:
    Database& db_;
    base::Clock& clock_;
    const Calendar& calendar_;
    const templates::Catalogue& catalogue_;
};

}  // namespace chatiere::manager
