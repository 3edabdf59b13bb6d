#pragma once

#include "chatiere/provisioning/Hypervisor.h"

#include <chrono>
#include <string>

namespace chatiere::provisioning {

// The few guest agent commands Chatière uses, over Hypervisor::agentCommand. The guest's agent
// refuses every other command (the appliances start qemu-ga with a block list).

// Whether the agent answers guest-ping within `timeout`: false while it does not answer yet
// (AgentUnavailable) or the guest is not running (InvalidState); any other error throws.
bool agentAnswers(Hypervisor& hypervisor, const std::string& name, std::chrono::seconds timeout);

// Pings the agent every `interval` until it answers; throws AgentUnavailable once `deadline`
// passes. For tools: the provisioner waits by retrying its job step instead, never blocking.
void waitForAgent(Hypervisor& hypervisor, const std::string& name,
                  std::chrono::steady_clock::time_point deadline,
                  std::chrono::milliseconds interval = std::chrono::milliseconds(500));

// Writes `content` as the guest's file `path` (created, or truncated): guest-file-open "w",
// guest-file-write (base64), guest-file-close. The handle is closed when a write fails. The
// content is never part of an error message (it may hold secrets).
void writeGuestFile(Hypervisor& hypervisor, const std::string& name, const std::string& path,
                    const std::string& content, std::chrono::seconds timeout);

}  // namespace chatiere::provisioning
