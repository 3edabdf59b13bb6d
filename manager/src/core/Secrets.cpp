#include "chatiere/manager/Secrets.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Ids.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

namespace chatiere::manager {

namespace {
using MdContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
}

std::string base64Url(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
        out.push_back(kAlphabet[v & 63]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
    } else if (rest == 2) {
        const unsigned v =
            (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
    }
    return out;
}

std::string newSecretToken() {
    return base64Url(secureRandomBytes(32));
}

std::string hashToken(std::string_view token) {
    MdContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), token.data(), token.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
        throw Error(ErrorKind::Internal, "crypto", "SHA-256 failed in OpenSSL");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 15]);
    }
    return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length) == nullptr) {
        throw Error(ErrorKind::Internal, "crypto", "HMAC-SHA-256 failed in OpenSSL");
    }
    return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string sha256Base64(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw Error(ErrorKind::Internal, "crypto", "SHA-256 failed in OpenSSL");
    }
    unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
    return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

namespace {

constexpr std::size_t kSecretKeyBytes = 32;

std::string readSecretKey(const std::filesystem::path& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
        throw Error(ErrorKind::Unavailable, "secret_key",
                    file.string() + " may be read by others than its owner: chmod 600 it");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::Unavailable, "secret_key", "cannot read " + file.string());
    }
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() != kSecretKeyBytes) {
        throw Error(ErrorKind::Unavailable, "secret_key",
                    file.string() + " is not a key of 32 bytes; remove it and a new one is made (page " +
                        "forms open at the time must then be sent again)");
    }
    return key;
}

}  // namespace

std::string loadOrCreateSecretKey(const std::filesystem::path& file) {
    std::error_code ignored;
    if (std::filesystem::exists(file, ignored)) {
        return readSecretKey(file);
    }
    if (!file.parent_path().empty()) {
        std::filesystem::create_directories(file.parent_path());
    }
    const std::string key = secureRandomBytes(kSecretKeyBytes);
    const std::filesystem::path temp = file.string() + ".new-" + base32(secureRandomBytes(5));
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw Error(ErrorKind::Unavailable, "secret_key",
                    "cannot create " + temp.string() + ": " + std::strerror(errno));
    }
    const bool written =
        ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) {
        ::unlink(temp.c_str());
        throw Error(ErrorKind::Unavailable, "secret_key", "cannot write " + temp.string());
    }
    // link() refuses an existing name: whoever made the key first wins, and both read it.
    const int linked = ::link(temp.c_str(), file.c_str());
    const int linkError = errno;
    ::unlink(temp.c_str());
    if (linked != 0 && linkError != EEXIST) {
        throw Error(ErrorKind::Unavailable, "secret_key",
                    "cannot create " + file.string() + ": " + std::strerror(linkError));
    }
    return linked == 0 ? key : readSecretKey(file);
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace chatiere::manager
