#include "monitoring/UsageService.h"

#include "store/Mail.h"

#include "billing/UsagePeriod.h"
#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"
#include "domain/CommandFields.h"
#include "store/Alerts.h"
#include "store/Plans.h"
#include "store/ServiceHealth.h"
#include "store/Usage.h"

#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>

#include <cmath>
#include <map>

namespace chatiere::manager {

namespace {

double rounded(double value, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

Error badQuery(const std::string& code, const std::string& field, const std::string& message) {
    return Error(ErrorKind::Validation, code, message, {{field, code, message}});
}

}  // namespace

UsageService::UsageService(Database& db, base::Clock& clock, const Calendar& calendar,
                           const Settings& settings, ServiceManager& services,
                           AssociationService& associations, std::function<void()> quotasChanged)
    : db_(db),
      clock_(clock),
      calendar_(calendar),
      settings_(settings),
      services_(services),
      associations_(associations),
      quotasChanged_(std::move(quotasChanged)) {}

UsageSeries UsageService::serviceSeries(const Actor& actor, const std::string& serviceId,
                                        const SeriesQuery& query) {
    // Checked first: a bad query is a 400 only for whoever may see the service.
    const Service service = services_.get(actor, serviceId);
    const auto parseBound = [](const std::optional<std::string>& text,
                               const char* field) -> std::optional<TimePoint> {
        if (!text) {
            return std::nullopt;
        }
        const auto t = parseTime(*text);
        if (!t) {
            throw badQuery("invalid_time", field,
                           std::string(field) +
                               " must be a time like 2026-12-01T00:00:00Z (RFC 3339), not '" + *text + "'.");
        }
        return std::chrono::time_point_cast<std::chrono::seconds>(*t);
    };
    const TimePoint to =
        parseBound(query.to, "to").value_or(std::chrono::time_point_cast<std::chrono::seconds>(clock_.now()));
    const TimePoint from = parseBound(query.from, "from").value_or(to - std::chrono::hours(24));
    if (from > to) {
        throw badQuery("invalid_range", "from",
                       "from (" + formatTime(from) + ") is after to (" + formatTime(to) + ").");
    }
    const int64_t range = std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
    int64_t step = 0;
    if (query.step) {
        Poco::Int64 parsed = 0;
        if (!Poco::NumberParser::tryParse64(*query.step, parsed) || parsed <= 0) {
            throw badQuery("invalid_step", "step",
                           "step must be a whole number of seconds above zero, not '" + *query.step + "'.");
        }
        step = parsed;
    } else {
        step = std::max<int64_t>(settings_.monitoringIntervalSeconds, (range + 299) / 300);
        step = (step + 59) / 60 * 60;  // whole minutes
    }
    const int64_t points = range == 0 ? 0 : (range + step - 1) / step;
    if (points > kMaxPoints) {
        throw badQuery("too_many_points", "step",
                       "A step of " + std::to_string(step) + " s over " + std::to_string(range) +
                           " s makes " + std::to_string(points) + " points; at most " +
                           std::to_string(kMaxPoints) + ": choose a step of at least " +
                           std::to_string((range + kMaxPoints - 1) / kMaxPoints) + " s.");
    }
    const bool hourly = step % 3600 == 0;
    const std::string fromText = formatTime(from);
    const std::string toText = formatTime(to);
    const int64_t fromEpoch =
        std::chrono::duration_cast<std::chrono::seconds>(from.time_since_epoch()).count();
    auto s = db_.session();
    UsageSeries out;
    for (const auto& point :
         UsageRepository(s).series(hourly, serviceId, fromEpoch, step, fromText, toText)) {
        UsagePoint p;
        p.at = formatTime(from + std::chrono::seconds(point.bucket * step));
        p.samples = point.samples;
        const double cpuSeconds = static_cast<double>(point.cpuNs) / 1e9;
        const int64_t measured = point.measuredSeconds;
        p.cpuSeconds = rounded(cpuSeconds, 3);
        // Share of one vCPU over the time measured (100 = one vCPU busy all along).
        if (measured > 0) {
            p.cpuPercent = rounded(cpuSeconds * 100.0 / measured, 2);
        }
        if (point.memoryKib) {
            p.memoryMib = rounded(*point.memoryKib / 1024.0, 1);
        }
        if (point.memoryKibMax) {
            p.memoryMibMax = rounded(*point.memoryKibMax / 1024.0, 1);
        }
        p.storedBytes = point.storedBytes;
        p.transferBytes = point.transferBytes;
        out.points.push_back(std::move(p));
    }
    out.serviceId = service.id;
    out.from = fromText;
    out.to = toText;
    out.step = step;
    out.hourly = hourly;
    return out;
}

AssociationUsage UsageService::associationUsage(const Actor& actor, const std::string& associationId) {
    return associationUsage(associations_.access(actor, associationId, Permission::ViewServices));
}

AssociationUsage UsageService::associationUsage(const AssociationAccess& access) {
    access.require(Permission::ViewServices);
    const Association& association = access.association();
    const std::string& associationId = association.id;
    auto s = db_.session();
    const auto plan = association.planSlug ? PlanRepository(s).find(*association.planSlug) : std::nullopt;
    const auto nowPoint = clock_.now();
    const Period current = usagePeriod(s, associationId, calendar_.dateOf(nowPoint));
    const std::string& start = current.start;
    const std::string& end = current.end;
    // One statement for the figures: this answer is read on every dashboard.
    const UsageSummary summary = UsageRepository(s).summary(associationId, start, end, formatTime(nowPoint));
    MetricUse usage = summary.use;
    // Mail: the mailboxes, and their quotas as an allocation (what mail stores counts in disk_gib).
    MailRepository mail(s);
    usage["mailboxes"] = static_cast<double>(mail.mailboxCountOfAssociation(associationId));
    usage["mail_gib"] = static_cast<double>(mail.quotaMibOfAssociation(associationId)) / 1024.0;
    const StoredFigures& stored = summary.stored;

    AssociationUsage out;
    for (const auto& metric : quotaMetrics()) {
        MetricUsage m;
        m.metric = metric;
        if (metric == "transfer_gib") {
            // Sent over the period, from the daily figures (today's rolled up at each cycle).
            m.bytes = stored.transferBytes;
            m.used = rounded(static_cast<double>(stored.transferBytes) / kBytesPerGiB, 3);
            for (auto& [serviceId, bytes] : UsageRepository(s).serviceTransfer(associationId, start, end)) {
                m.services.push_back(
                    {std::move(serviceId), bytes, rounded(static_cast<double>(bytes) / kBytesPerGiB, 3)});
            }
            const auto quota = plan ? plan->quotas.find(metric) : decltype(plan->quotas.end()){};
            if (plan && quota != plan->quotas.end()) {
                m.included = quota->second.included;
                m.limit = quota->second.limit;
            }
            out.metrics.push_back(std::move(m));
            continue;
        }
        const double used = usage.count(metric) ? usage.at(metric) : 0.0;
        const bool disk = metric == "disk_gib";
        m.used =
            disk || metric == "mail_gib" ? rounded(used, 3) : static_cast<double>(static_cast<int64_t>(used));
        const auto quota = plan ? plan->quotas.find(metric) : decltype(plan->quotas.end()){};
        if (plan && quota != plan->quotas.end()) {
            m.included = quota->second.included;
            m.limit = quota->second.limit;
        }
        if (disk) {
            if (stored.peakGib) {
                m.peak = rounded(*stored.peakGib, 3);
            }
            if (stored.averageGib) {
                m.average = rounded(*stored.averageGib, 3);
            }
        }
        out.metrics.push_back(std::move(m));
    }

    out.websitesSuspended = summary.quota.enforced;
    out.atLimitSince = summary.quota.atLimitSince;
    out.exceptionUntil = summary.exceptionUntil;
    out.associationId = associationId;
    out.plan = association.planSlug;
    out.periodStart = start;
    out.periodEnd = end;
    out.measuredAt = summary.measuredAt;
    return out;
}

std::vector<DiskDay> UsageService::diskHistory(const Actor& actor, const std::string& associationId,
                                               int days) {
    return diskHistory(associations_.access(actor, associationId, Permission::ViewServices), days);
}

std::vector<DiskDay> UsageService::diskHistory(const AssociationAccess& access, int days) {
    access.require(Permission::ViewServices);
    const std::string& associationId = access.id();
    const std::string last = calendar_.dateOf(clock_.now());
    const std::string first = Calendar::addDays(last, -(days - 1));
    std::vector<DiskDay> out;
    std::map<std::string, std::size_t> index;
    for (int i = 0; i < days; ++i) {
        out.push_back({Calendar::addDays(first, i), std::nullopt});
        index.emplace(out.back().day, out.size() - 1);
    }
    auto s = db_.session();
    for (const auto& d : UsageRepository(s).dailyStored(associationId, first, last)) {
        const auto day = index.find(d.day);
        if (day != index.end() && d.storedBytes) {
            out[day->second].storedBytes = d.storedBytes;
        }
    }
    return out;
}

UptimeMonth UsageService::uptime(const Actor& actor, const std::string& serviceId,
                                 const std::optional<std::string>& month) {
    const Service service = services_.get(actor, serviceId);
    const std::string first = month ? *month + "-01" : Calendar::monthStart(calendar_.dateOf(clock_.now()));
    if (month && (month->size() != 7 || !Calendar::isDate(first))) {
        throw badQuery("invalid_month", "month",
                       "month must be written YYYY-MM, like 2026-12, not '" + *month + "'.");
    }
    const std::string end = Calendar::nextMonthStart(first);
    auto s = db_.session();
    const auto percent = [](int64_t passed, int64_t total) -> std::optional<double> {
        if (total <= 0) {
            return std::nullopt;
        }
        return rounded(100.0 * static_cast<double>(passed) / static_cast<double>(total), 3);
    };
    UptimeMonth out;
    for (const auto& day : ServiceHealthRepository(s).uptime(serviceId, first, end)) {
        out.days.push_back({day.day, day.checks, day.ok, percent(day.ok, day.checks)});
        out.checks += day.checks;
        out.ok += day.ok;
    }
    out.serviceId = service.id;
    out.month = first.substr(0, 7);
    out.uptimePercent = percent(out.ok, out.checks);
    return out;
}

std::vector<Alert> UsageService::alerts(const Actor& actor, bool includeClosed, int limit) {
    associations_.authorizeGlobal(actor, Permission::ViewMonitoring);
    auto s = db_.session();
    return AlertBook(s).list(includeClosed, limit);
}

QuotaException UsageService::grantException(const Actor& actor, const std::string& associationId,
                                            const GrantException& command) {
    associations_.authorize(actor, associationId, Permission::GrantQuotaExceptions);
    const auto nowPoint = std::chrono::time_point_cast<std::chrono::seconds>(clock_.now());
    const auto latest = nowPoint + std::chrono::hours(24) * settings_.quotaMaxExceptionDays;
    FieldErrors errors;
    CommandFields fields(errors);
    const auto untilText = fields.text("until", command.until.value_or(""), false, 40);
    const auto& days = command.days;
    const auto reason = fields.text("reason", command.reason, true, 500);
    if (reason && reason->empty()) {
        errors.add("reason", "missing", "Say why the exception is granted.");
    }
    std::optional<TimePoint> until;
    if (untilText && days) {
        errors.add("until", "one_of", "Give either until or days, not both.");
    } else if (untilText) {
        until = parseTime(*untilText);
        if (!until) {
            errors.add("until", "invalid_time", "until must be a time like 2026-12-31T00:00:00Z (RFC 3339).");
        } else if (*until <= nowPoint) {
            errors.add("until", "in_the_past", "until must be in the future.");
        } else if (*until > latest) {
            errors.add(
                "until", "too_far",
                "An exception lasts at most " + std::to_string(settings_.quotaMaxExceptionDays) + " days.");
        }
    } else if (days) {
        if (*days < 1 || *days > settings_.quotaMaxExceptionDays) {
            errors.add("days", "out_of_range",
                       "days must be from 1 to " + std::to_string(settings_.quotaMaxExceptionDays) + ".");
        } else {
            until = nowPoint + std::chrono::hours(24) * *days;
        }
    } else {
        errors.add("until", "missing", "Give until (a time) or days (a number of days).");
    }
    errors.throwIfAny();

    const std::string id = newId("qex");
    const std::string untilValue = formatTime(*until);
    const std::string at = formatTime(nowPoint);
    const std::string by = actor.label;
    auto s = db_.session();
    Transaction tx(s);
    UsageRepository(s).addException(id, associationId, untilValue, *reason, by, at);
    Poco::JSON::Object details;
    details.set("until", untilValue);
    details.set("reason", *reason);
    AuditLog::record(s, actor, at, "quota.exception", "association", associationId, associationId, details);
    tx.commit();
    quotasChanged_();
    return {id, associationId, untilValue, *reason, by, at};
}

}  // namespace chatiere::manager
