#include "chatiere/manager/PasswordHasher.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"

#include <argon2.h>

#include <vector>

namespace chatiere::manager {

namespace {
constexpr uint32_t kSaltBytes = 16;
constexpr uint32_t kHashBytes = 32;

std::string paramsPrefix(const Argon2Params& p) {
    return "$argon2id$v=19$m=" + std::to_string(p.memoryKib) + ",t=" + std::to_string(p.iterations) +
           ",p=" + std::to_string(p.parallelism) + "$";
}
}  // namespace

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {}

std::string PasswordHasher::hash(std::string_view password) const {
    const std::string salt = secureRandomBytes(kSaltBytes);
    const std::size_t length = argon2_encodedlen(params_.iterations, params_.memoryKib, params_.parallelism,
                                                 kSaltBytes, kHashBytes, Argon2_id);
    std::vector<char> encoded(length);
    const int rc = argon2id_hash_encoded(params_.iterations, params_.memoryKib, params_.parallelism,
                                         password.data(), password.size(), salt.data(), salt.size(),
                                         kHashBytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) {
        throw Error(ErrorKind::Internal, "argon2",
                    std::string("argon2id failed: ") + argon2_error_message(rc));
    }
    return std::string(encoded.data());
}

bool PasswordHasher::verify(std::string_view password, const std::string& encoded) const {
    if (encoded.rfind("$argon2id$", 0) != 0) {
        return false;
    }
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool PasswordHasher::needsRehash(const std::string& encoded) const {
    return encoded.rfind(paramsPrefix(params_), 0) != 0;
}

}  // namespace chatiere::manager
