#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace chatiere::provisioning {

// What a service should be, as the manager's database says: all a guest is built from.
struct ServiceSpec {
    std::string id;
    std::string associationId;
    std::string associationName;
    std::string name;
    std::string templateName;
    int vcpus = 1;
    int memoryMib = 128;
    int diskGib = 1;
    int hostPort = 0;       // 127.0.0.1 port forwarded to the template's HTTP endpoint
    bool shouldRun = true;  // false while the service has suspension reasons
    // Which data volume is the current one: 0 for the first, else the id of the content
    // replacement job that wrote it (GuestBuilder::volumeName).
    int64_t volumeGeneration = 0;
    // Every port of the template: its name → the 127.0.0.1 port forwarded to it (the HTTP
    // endpoint's is hostPort too).
    std::map<std::string, int> ports = {};
    // The template's configuration values (template.json's `config`), resolved: name → value.
    // Holds secrets (an editor's API key): never logged, never shown.
    std::map<std::string, std::string> config = {};
};

}  // namespace chatiere::provisioning
