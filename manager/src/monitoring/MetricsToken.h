#pragma once

#include "chatiere/manager/Settings.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace chatiere::manager {

// The bearer token Prometheus presents on GET /metrics, kept in a file that both read (Prometheus's
// `bearer_token_file`). A guest's traffic through QEMU user networking arrives from 127.0.0.1, so the
// client's address alone never opens /metrics.

// data.dir/metrics.token.
inline std::filesystem::path metricsTokenPath(const Settings& settings) {
    return std::filesystem::path(settings.dataDir) / "metrics.token";
}

// Makes the file (owner read/write only, a new random token) when it is missing; throws
// std::runtime_error naming the file when it cannot be read or written, or holds no token.
void ensureMetricsToken(const std::filesystem::path& file);

// Whether `presented` is the file's token, compared in constant time. The file is read at each call,
// so a new token takes effect without a restart; false when the file cannot be read.
bool isMetricsToken(const std::filesystem::path& file, std::string_view presented);

}  // namespace chatiere::manager
