#pragma once

#include "chatiere/manager/Settings.h"

#include <string>

namespace chatiere::manager::app {

// The terms of service in `language` (terms.file, or web.dir/terms.<language>.md); 503 when unreadable.
std::string readTerms(const Settings& settings, const std::string& language);

}  // namespace chatiere::manager::app
