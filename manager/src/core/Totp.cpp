#include "chatiere/manager/Totp.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdio>

namespace chatiere::manager {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// RFC 3986 unreserved characters stay, everything else (UTF-8 bytes included) is %XX.
std::string percentEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
            u == '.' || u == '_' || u == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 15]);
        }
    }
    return out;
}

}  // namespace

std::string base32Encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : bytes) {
        buffer = (buffer << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 5) {
            out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0) {
        out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
    }
    return out;
}

std::optional<std::string> base32Decode(std::string_view text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    bool padding = false;
    for (const char c : text) {
        if (c == ' ' || c == '-') {
            continue;
        }
        if (c == '=') {
            padding = true;
            continue;
        }
        if (padding) {
            return std::nullopt;  // data after padding
        }
        unsigned value = 0;
        if (c >= 'A' && c <= 'Z') {
            value = static_cast<unsigned>(c - 'A');
        } else if (c >= 'a' && c <= 'z') {
            value = static_cast<unsigned>(c - 'a');
        } else if (c >= '2' && c <= '7') {
            value = static_cast<unsigned>(c - '2') + 26;
        } else {
            return std::nullopt;
        }
        buffer = ((buffer << 5) | value) & 0xFFFF;
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xFF));
            bits -= 8;
        }
    }
    if (bits >= 5) {
        return std::nullopt;  // a whole character that carries no byte
    }
    return out;
}

std::string newTotpSecret() {
    return base32Encode(secureRandomBytes(20));
}

std::int64_t totpStep(std::int64_t unixSeconds) {
    const std::int64_t q = unixSeconds / kTotpStepSeconds;
    return (unixSeconds % kTotpStepSeconds < 0) ? q - 1 : q;
}

std::string hotp(std::string_view key, std::uint64_t counter, int digits) {
    std::array<unsigned char, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xFF);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), mac,
             &length) == nullptr ||
        length < 20) {
        throw Error(ErrorKind::Internal, "crypto", "HMAC-SHA1 failed in OpenSSL");
    }
    const unsigned offset = mac[length - 1] & 0x0F;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    std::uint32_t modulo = 1;
    for (int i = 0; i < digits; ++i) {
        modulo *= 10;
    }
    std::string code = std::to_string(binary % modulo);
    return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::optional<std::string> totpCodeAtStep(const std::string& base32Secret, std::int64_t step) {
    const auto key = base32Decode(base32Secret);
    if (!key || key->empty() || step < 0) {
        return std::nullopt;
    }
    return hotp(*key, static_cast<std::uint64_t>(step), kTotpDigits);
}

std::optional<std::string> totpCode(const std::string& base32Secret, std::int64_t unixSeconds) {
    return totpCodeAtStep(base32Secret, totpStep(unixSeconds));
}

std::string otpauthUri(const std::string& issuer, const std::string& accountEmail,
                       const std::string& secret) {
    return "otpauth://totp/" + percentEncode(issuer) + ":" + percentEncode(accountEmail) +
           "?secret=" + secret + "&issuer=" + percentEncode(issuer) +
           "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
           "&period=" + std::to_string(kTotpStepSeconds);
}

}  // namespace chatiere::manager
