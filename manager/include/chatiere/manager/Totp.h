#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatiere::manager {

// Time-based one-time passwords (RFC 6238): HMAC-SHA1 (RFC 4226), 30-second steps, 6 digits, the
// secret shared as base32 (RFC 4648, upper case, no padding) — what authenticator apps expect.

inline constexpr int kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;

// A new secret: 160 random bits, 32 base32 characters.
std::string newTotpSecret();

// RFC 4648 base32 without padding (upper case) and back. decode accepts lower case, spaces and
// padding; nullopt on any other character or a dangling bit group.
std::string base32Encode(std::string_view bytes);
std::optional<std::string> base32Decode(std::string_view text);

// The time step of a moment: floor(unixSeconds / 30).
std::int64_t totpStep(std::int64_t unixSeconds);
// The code of a step (6 digits, zero-padded); nullopt when the secret is not base32.
std::optional<std::string> totpCodeAtStep(const std::string& base32Secret, std::int64_t step);
// The code at a moment.
std::optional<std::string> totpCode(const std::string& base32Secret, std::int64_t unixSeconds);
// HOTP (RFC 4226) with a raw key and `digits` digits (6–8): what both of the above compute.
std::string hotp(std::string_view key, std::uint64_t counter, int digits = kTotpDigits);

// The provisioning URI of an authenticator app, percent-encoded:
// otpauth://totp/<issuer>:<email>?secret=…&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
std::string otpauthUri(const std::string& issuer, const std::string& accountEmail, const std::string& secret);

}  // namespace chatiere::manager
