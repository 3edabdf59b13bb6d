#pragma once

#include <string>
#include <string_view>

namespace chatiere::manager {

// Bytes from the operating system's CSPRNG (OpenSSL RAND_bytes); throws if it fails.
std::string secureRandomBytes(std::size_t count);

// Lower-case base32 (RFC 4648 alphabet, no padding) of arbitrary bytes.
std::string base32(std::string_view bytes);

// An opaque id: a short prefix naming the kind ("asso", "user", …) and 80 random bits,
// e.g. "asso_k5v3q2m7x4a9c6b1". Ids are opaque strings on the wire.
std::string newId(std::string_view prefix);

}  // namespace chatiere::manager
