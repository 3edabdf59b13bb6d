#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatiere::manager {

// OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
struct Argon2Params {
    uint32_t memoryKib = 19456;
    uint32_t iterations = 2;
    uint32_t parallelism = 1;
};

// argon2id (libargon2) in the PHC string format, with a 16-byte random salt and a 32-byte hash.
class PasswordHasher {
public:
    explicit PasswordHasher(Argon2Params params = {});
    std::string hash(std::string_view password) const;
    // False on a mismatch or a malformed encoded string; never throws for those.
    bool verify(std::string_view password, const std::string& encoded) const;
    // True when `encoded` was made with other parameters than this hasher's.
    bool needsRehash(const std::string& encoded) const;

private:
    Argon2Params params_;
};

}  // namespace chatiere::manager
