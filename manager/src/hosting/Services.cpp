#include "hosting/Services.h"

#include "chatiere/manager/Error.h"
#include "chatiere/provisioning/Jobs.h"
#include "domain/Rows.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace chatiere::manager {

std::string joinReasons(const std::set<std::string>& reasons) {
    std::string out;
    for (const auto& r : reasons) {
        out += (out.empty() ? "" : ",") + r;
    }
    return out;
}

std::set<std::string> splitReasons(const std::string& text) {
    std::set<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto comma = text.find(',', start);
        const auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) {
            out.insert(item);
        }
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

void ServiceRepository::insert(const Service& s) {
    const Poco::Nullable<int> port = s.hostPort ? Poco::Nullable<int>(*s.hostPort) : Poco::Nullable<int>();
    session_ << "INSERT INTO services (id, association_id, name, template, state, suspended_for, vcpus, "
                "memory_mib, "
                "disk_gib, host_port, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bind(s.id), bind(s.associationId), bind(s.name), bind(s.templateName), bind(s.state),
        bind(joinReasons(s.suspendedFor)), bind(s.vcpus), bind(s.memoryMib), bind(s.diskGib), bind(port),
        bind(s.createdAt), bind(s.createdAt), now;
}

std::vector<Service> ServiceRepository::select(const std::string& where, const std::string& a,
                                               const std::string& b) {
    Poco::Data::Statement stmt(session_);
    stmt << "SELECT id, association_id, name, template, state, suspended_for, vcpus, memory_mib, disk_gib, "
            "host_port, volume_generation, "
            "endpoint, last_error, health, health_checked_at, health_detail, created_at, updated_at FROM "
            "services " +
                where,
        bind(a), bind(b);
    stmt.execute();
    Poco::Data::RecordSet rs(stmt);
    std::vector<Service> out;
    for (bool more = rs.moveFirst(); more; more = rs.moveNext()) {
        Service s;
        s.id = text(rs, "id");
        s.associationId = text(rs, "association_id");
        s.name = text(rs, "name");
        s.templateName = text(rs, "template");
        s.state = text(rs, "state");
        s.suspendedFor = splitReasons(text(rs, "suspended_for"));
        s.vcpus = static_cast<int>(integer(rs, "vcpus"));
        s.memoryMib = static_cast<int>(integer(rs, "memory_mib"));
        s.diskGib = static_cast<int>(integer(rs, "disk_gib"));
        if (optText(rs, "host_port")) {
            s.hostPort = static_cast<int>(integer(rs, "host_port"));
        }
        s.volumeGeneration = integer(rs, "volume_generation");
        s.endpoint = optText(rs, "endpoint");
        s.lastError = optText(rs, "last_error");
        s.health = text(rs, "health");
        s.healthCheckedAt = optText(rs, "health_checked_at");
        s.healthDetail = optText(rs, "health_detail");
        s.createdAt = text(rs, "created_at");
        s.updatedAt = text(rs, "updated_at");
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<Service> ServiceRepository::find(const std::string& id) {
    auto found = select("WHERE id = ? AND ? = ''", id, "");
    return found.empty() ? std::nullopt : std::optional<Service>(std::move(found.front()));
}

std::vector<Service> ServiceRepository::ofAssociation(const std::string& associationId, bool includeDeleted) {
    return select(includeDeleted ? "WHERE association_id = ? AND ? = '' ORDER BY name, id"
                                 : "WHERE association_id = ? AND state != ? ORDER BY name",
                  associationId, includeDeleted ? "" : "deleted");
}

bool ServiceRepository::nameTaken(const std::string& associationId, const std::string& name) {
    return !select("WHERE association_id = ? AND name = ? AND state != 'deleted'", associationId, name)
                .empty();
}

void ServiceRepository::setState(const std::string& id, const std::string& state,
                                 const std::optional<std::string>& error, const std::string& at) {
    session_ << "UPDATE services SET state = ?, last_error = ?, updated_at = ? WHERE id = ?", bind(state),
        bind(nullable(error)), bind(at), bind(id), now;
}

void ServiceRepository::setActive(const std::string& id, const std::string& endpoint, const std::string& at) {
    session_ << "UPDATE services SET state = 'active', endpoint = ?, last_error = NULL, updated_at = ? WHERE "
                "id = ?",
        bind(endpoint), bind(at), bind(id), now;
}

void ServiceRepository::setSuspendedFor(const std::string& id, const std::set<std::string>& reasons,
                                        const std::string& at) {
    session_ << "UPDATE services SET suspended_for = ?, updated_at = ? WHERE id = ?",
        bind(joinReasons(reasons)), bind(at), bind(id), now;
}

void ServiceRepository::setResources(const std::string& id, int vcpus, int memoryMib, int diskGib,
                                     const std::string& at) {
    session_ << "UPDATE services SET vcpus = ?, memory_mib = ?, disk_gib = ?, updated_at = ? WHERE id = ?",
        bind(vcpus), bind(memoryMib), bind(diskGib), bind(at), bind(id), now;
}

void ServiceRepository::release(const std::string& id, const std::string& at) {
    session_ << "UPDATE services SET state = 'deleted', host_port = NULL, endpoint = NULL, updated_at = ? "
                "WHERE id = ?",
        bind(at), bind(id), now;
}

std::set<int> ServiceRepository::portsInUse() {
    std::vector<int> ports;
    session_ << "SELECT host_port FROM services WHERE state != 'deleted' AND host_port IS NOT NULL",
        into(ports), now;
    return {ports.begin(), ports.end()};
}

int64_t ServiceRepository::enqueueJob(const std::string& serviceId, const std::string& kind,
                                      const std::string& at, const std::string& payload) {
    const auto jobKind = provisioning::jobKindFrom(kind);
    if (!jobKind) {
        throw Error(ErrorKind::Internal, "job_kind", "no such job kind: " + kind);
    }
    const std::string step = provisioning::toString(provisioning::firstStep(*jobKind));
    session_ << "INSERT INTO jobs (service_id, kind, step, next_attempt_at, step_started_at, payload, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        bind(serviceId), bind(kind), bind(step), bind(at), bind(at), bind(payload), bind(at), now;
    Poco::Int64 id = 0;
    session_ << "SELECT last_insert_rowid()", into(id), now;
    return id;
}

}  // namespace chatiere::manager
