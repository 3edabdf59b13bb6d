#pragma once

#include "chatiere/manager/Database.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// What the admin volunteer must look at: a service that stopped answering, an association at its
// quota, the host short of disk or memory, libvirtd unreachable. An alert is identified by its
// key ("health:SERVICE", "quota:ASSOCIATION:METRIC", "host:pool_space"…); at most one is open per
// key, and it closes when its cause goes away.
struct Alert {
    int64_t id = 0;
    std::string key;
    std::string kind;      // health | quota | host
    std::string severity;  // warning | critical
    std::optional<std::string> associationId;
    std::optional<std::string> serviceId;
    std::string message;
    std::string openedAt;
    std::string updatedAt;
    std::optional<std::string> closedAt;
};

// An alert as the public status page shows it: no message, no ids.
struct AlertIncident {
    std::string kind;
    std::string severity;
    std::string openedAt;
    std::optional<std::string> closedAt;
    std::optional<std::string> templateName;  // of the service, for a health alert
};

class AlertBook {
public:
    explicit AlertBook(Session& session) : session_(session) {}
    // Opens the alert, or updates the message and severity of the open one; true when it is new.
    bool raise(const Alert& alert, const std::string& at);
    // Closes the open alert of that key; true when there was one.
    bool resolve(const std::string& key, const std::string& at);
    // Open alerts first, newest first; then, when asked, the closed ones, newest first.
    std::vector<Alert> list(bool includeClosed, int limit);
    int openCount();
    // Open alerts by kind.
    std::map<std::string, int> openByKind();
    // The health and host alerts opened since `since` or still open, newest first, each with the
    // template of its service (for the public status page).
    std::vector<AlertIncident> incidents(const std::string& since, int limit);

private:
    Session& session_;
};

}  // namespace chatiere::manager
