#pragma once

#include <string>
#include <utility>
#include <vector>

namespace chatiere::provisioning {

// A plain POSIX ustar archive of regular files (path, content): the format a website's data
// volume holds and its appliance unpacks at boot. Paths must be relative, without "..".
std::string makeTar(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace chatiere::provisioning
