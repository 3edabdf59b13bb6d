#pragma once

#include <string>

namespace chatiere::manager {

// `chatiere serve --config FILE`: the daemon under a Poco ServerApplication, until SIGTERM/SIGINT.
int runServe(const std::string& configPath);

}  // namespace chatiere::manager
