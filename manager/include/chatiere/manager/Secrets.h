#pragma once

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

}  // namespace chatiere::manager
