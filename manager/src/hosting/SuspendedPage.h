#pragma once

#include <string>

namespace chatiere::manager {

// The page a suspended service answers at its public name (503, with Retry-After; see
// NginxConfig): French then English, it says that the service is suspended and whom to contact
// (the host, `contactEmail`) — never why, since the reason may belong to the association's
// private life. One static file for every suspended service.
std::string renderSuspendedPage(const std::string& hostName, const std::string& contactEmail);

inline constexpr const char* kSuspendedPageFile = "suspended.html";

}  // namespace chatiere::manager
