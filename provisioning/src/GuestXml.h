#pragma once

#include <optional>
#include <string>

namespace chatiere::provisioning {

// The text of the first element whose local name is `localName` (with or without a namespace
// prefix), e.g. "instance" in <chatiere:instance>0a1b</chatiere:instance>. Enough for the
// documents Chatière writes itself; not a general XML parser.
std::optional<std::string> elementText(const std::string& xml, const std::string& localName);

// Throws HypervisorError(InvalidInput) unless `name` is a plain volume name: letters, digits, - _ .
// and not starting with a dot (no path can be smuggled in).
void checkVolumeName(const std::string& name);

}  // namespace chatiere::provisioning
