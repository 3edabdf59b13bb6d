#pragma once

#include "chatiere/manager/Database.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chatiere::manager {

// One port of a service: the template's port `name` (guest_port in the guest) forwarded from the
// host's 127.0.0.1:host_port. A host port belongs to one live service of its host at a time.
struct ServicePort {
    std::string name;
    int guestPort = 0;
    int hostPort = 0;
};

// The ports of services (schema v15): a service has one row per port its template declares, made
// when the service is created and deleted with it. services.host_port keeps a copy of the HTTP
// endpoint's host port, which the health queries read.
class ServicePortRepository {
public:
    explicit ServicePortRepository(Session& session) : session_(session) {}
    void insert(const std::string& serviceId, const ServicePort& port, const std::string& at);
    // The service's ports, by name.
    std::vector<ServicePort> of(const std::string& serviceId);
    // The host port of the service's port `name` (e.g. "http"); nullopt when it has none.
    std::optional<int> hostPort(const std::string& serviceId, const std::string& name);
    // Every host port held by a live service (a deleted service holds none).
    std::set<int> inUse();
    // The service is deleted: its ports go back to the pool.
    void release(const std::string& serviceId);

private:
    Session& session_;
};

}  // namespace chatiere::manager
