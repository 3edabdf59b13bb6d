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

// HTTP checks with Poco (the expected status on the path), TCP checks by connecting.
class NetworkHealthProbe final : public HealthProbe {
public:
    bool check(const templates::HealthCheck& check, int hostPort, std::string& detail) override;
};

}  // namespace chatiere::provisioning
