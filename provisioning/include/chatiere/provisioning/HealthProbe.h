#pragma once

#include "chatiere/templates/Catalogue.h"

#include <string>

namespace chatiere::provisioning {

// Asks a guest whether it is healthy, through its forwarded port on 127.0.0.1.
class HealthProbe {
public:
    virtual ~HealthProbe() = default;
    // True when the check passes; `detail` says what was seen otherwise.
    virtual bool check(const templates::HealthCheck& check, int hostPort, std::string& detail) = 0;
};

// HTTP checks with Poco (the expected status on the path), TCP checks by connecting. Each waits
// the template's timeout_seconds, or `timeoutSeconds` for every template when it is not 0.
class NetworkHealthProbe final : public HealthProbe {
public:
    explicit NetworkHealthProbe(int timeoutSeconds = 0) : timeoutSeconds_(timeoutSeconds) {}
    bool check(const templates::HealthCheck& check, int hostPort, std::string& detail) override;

private:
    int timeoutSeconds_;
};

}  // namespace chatiere::provisioning
