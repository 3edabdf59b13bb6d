#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace chatiere::manager {

// 256 random bits, base64url without padding (43 characters): session and API tokens.
std::string newSecretToken();
// Lower-case hex SHA-256: tokens are stored only as this.
std::string hashToken(std::string_view token);
bool constantTimeEquals(std::string_view a, std::string_view b);
// RFC 4648 §5 without padding.
std::string base64Url(std::string_view bytes);
// HMAC-SHA-256 of `data` under `key` (OpenSSL): the 32 raw bytes.
std::string hmacSha256(std::string_view key, std::string_view data);
// SHA-256 of `bytes` in standard base64 with padding (RFC 4648 §4), as a CSP hash source wants it.
std::string sha256Base64(std::string_view bytes);
// The server's secret key: 32 random bytes kept in `file`, made once (mode 0600, written beside it
// and linked into place, so that a crash never leaves half a key). Throws when the file exists but
// is not a key, or cannot be read or made.
std::string loadOrCreateSecretKey(const std::filesystem::path& file);

}  // namespace chatiere::manager
