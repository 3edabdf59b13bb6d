#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace chatiere::manager {

using TimePoint = std::chrono::system_clock::time_point;

// RFC 3339 in UTC, to the second: "2026-11-24T14:51:15Z". Used on the wire and in the database.
std::string formatTime(TimePoint t);
// Accepts what formatTime writes (and fractional seconds or a numeric offset); nullopt otherwise.
std::optional<TimePoint> parseTime(const std::string& text);

}  // namespace chatiere::manager
