#include "monitoring/Alerts.h"

#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

namespace chatiere::manager {

using namespace Poco::Data::Keywords;

bool AlertBook::raise(const Alert& alert, const std::string& at) {
    int open = 0;
    session_ << "SELECT COUNT(*) FROM alerts WHERE key = ? AND closed_at IS NULL", useRef(alert.key),
        into(open), now;
    if (open > 0) {
        session_ << "UPDATE alerts SET message = ?, severity = ?, updated_at = ? WHERE key = ? AND closed_at "
                    "IS NULL",
            useRef(alert.message), useRef(alert.severity), useRef(at), useRef(alert.key), now;
        return false;
    }
    const auto association = nullable(alert.associationId);
    const auto service = nullable(alert.serviceId);
    session_ << "INSERT INTO alerts (key, kind, severity, association_id, service_id, message, opened_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        useRef(alert.key), useRef(alert.kind), useRef(alert.severity), bind(association), bind(service),
        useRef(alert.message), useRef(at), useRef(at), now;
    return true;
}

bool AlertBook::resolve(const std::string& key, const std::string& at) {
    session_ << "UPDATE alerts SET closed_at = ?, updated_at = ? WHERE key = ? AND closed_at IS NULL",
        useRef(at), useRef(at), useRef(key), now;
    int changed = 0;
    session_ << "SELECT changes()", into(changed), now;
    return changed > 0;
}

std::vector<Alert> AlertBook::list(bool includeClosed, int limit) {
    Poco::Data::Statement stmt(session_);
    stmt << std::string("SELECT * FROM alerts ") + (includeClosed ? "" : "WHERE closed_at IS NULL ") +
                "ORDER BY closed_at IS NOT NULL, id DESC LIMIT ?",
        bind(limit);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<Alert> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        Alert a;
        a.id = integer(rs, "id");
        a.key = text(rs, "key");
        a.kind = text(rs, "kind");
        a.severity = text(rs, "severity");
        a.associationId = optText(rs, "association_id");
        a.serviceId = optText(rs, "service_id");
        a.message = text(rs, "message");
        a.openedAt = text(rs, "opened_at");
        a.updatedAt = text(rs, "updated_at");
        a.closedAt = optText(rs, "closed_at");
        out.push_back(std::move(a));
    }
    return out;
}

int AlertBook::openCount() {
    int n = 0;
    session_ << "SELECT COUNT(*) FROM alerts WHERE closed_at IS NULL", into(n), now;
    return n;
}

}  // namespace chatiere::manager
