#include "core/MailPassword.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"

#include <crypt.h>

#include <cstring>
#include <memory>

namespace chatiere::manager {

namespace {

constexpr std::string_view kScheme = "{SHA512-CRYPT}";

std::string cryptWith(std::string_view password, const char* setting) {
    if (password.find('\0') != std::string_view::npos) {
        throw Error(ErrorKind::Validation, "invalid_password", "A password cannot hold a NUL character.");
    }
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const std::string text(password);
    const char* out = crypt_r(text.c_str(), setting, data.get());
    if (!out || out[0] == '*') {
        throw Error(ErrorKind::Internal, "crypt", "SHA512-CRYPT failed");
    }
    return out;
}

}  // namespace

std::string mailPasswordHash(std::string_view password) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    const std::string entropy = secureRandomBytes(16);
    if (!crypt_gensalt_rn("$6$", 0, entropy.data(), static_cast<int>(entropy.size()), setting,
                          sizeof(setting))) {
        throw Error(ErrorKind::Internal, "crypt", "crypt_gensalt for SHA512-CRYPT failed");
    }
    return std::string(kScheme) + cryptWith(password, setting);
}

bool mailPasswordMatches(std::string_view password, const std::string& hash) {
    if (hash.rfind(kScheme, 0) != 0) {
        return false;
    }
    const std::string stored = hash.substr(kScheme.size());
    return cryptWith(password, stored.c_str()) == stored;
}

std::string newMailPassword() {
    static constexpr std::string_view kAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // Bytes at or above the largest multiple of the alphabet's size are drawn again: no bias.
    constexpr unsigned kBound = 256 - 256 % kAlphabet.size();
    std::string out;
    while (out.size() < 16) {
        for (unsigned char b : secureRandomBytes(32)) {
            if (b < kBound && out.size() < 16) {
                out += kAlphabet[b % kAlphabet.size()];
            }
        }
    }
    return out;
}

}  // namespace chatiere::manager
