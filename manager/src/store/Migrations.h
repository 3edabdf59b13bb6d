#pragma once

#include <string_view>
#include <vector>

namespace chatiere::manager {

// Numbered schema migrations: migration N brings the schema from version N-1 to N.
// Never edit a migration that has shipped; add a new one.
const std::vector<std::string_view>& migrations();

}  // namespace chatiere::manager
