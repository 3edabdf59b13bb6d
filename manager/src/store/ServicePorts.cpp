#include "store/ServicePorts.h"

namespace chatiere::manager {

namespace {

constexpr const char* kInsert =
    "INSERT INTO service_ports (service_id, host_id, name, guest_port, host_port, created_at) "
    "SELECT id, host_id, ?, ?, ?, ? FROM services WHERE id = ?";
constexpr const char* kOf =
    "SELECT name, guest_port, host_port FROM service_ports WHERE service_id = ? ORDER BY name";
constexpr const char* kHostPort = "SELECT host_port FROM service_ports WHERE service_id = ? AND name = ?";
// Ports of services not deleted: service_ports' rows, and services.host_port for good measure.
constexpr const char* kInUse =
    "SELECT p.host_port FROM service_ports p JOIN services s ON s.id = p.service_id "
    "WHERE s.state != 'deleted' UNION "
    "SELECT host_port FROM services WHERE state != 'deleted' AND host_port IS NOT NULL";
constexpr const char* kRelease = "DELETE FROM service_ports WHERE service_id = ?";

}  // namespace

void ServicePortRepository::insert(const std::string& serviceId, const ServicePort& port,
                                   const std::string& at) {
    session_.execute(kInsert, port.name, port.guestPort, port.hostPort, at, serviceId);
}

std::vector<ServicePort> ServicePortRepository::of(const std::string& serviceId) {
    return session_.query(
        kOf,
        [](const Row& r) {
            return ServicePort{r.text(0), static_cast<int>(r.integer(1)), static_cast<int>(r.integer(2))};
        },
        serviceId);
}

std::optional<int> ServicePortRepository::hostPort(const std::string& serviceId, const std::string& name) {
    const auto port = session_.integer(kHostPort, serviceId, name);
    return port ? std::optional<int>(static_cast<int>(*port)) : std::nullopt;
}

std::set<int> ServicePortRepository::inUse() {
    std::set<int> ports;
    session_.each(kInUse, [&](const Row& r) { ports.insert(static_cast<int>(r.integer(0))); });
    return ports;
}

void ServicePortRepository::release(const std::string& serviceId) {
    session_.execute(kRelease, serviceId);
}

}  // namespace chatiere::manager
