#include "chatiere/manager/Ids.h"

#include "chatiere/manager/Error.h"

#include <openssl/rand.h>

namespace chatiere::manager {

std::string secureRandomBytes(std::size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
        throw Error(ErrorKind::Internal, "random", "the system's random generator failed");
    }
    return bytes;
}

std::string base32(std::string_view bytes) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const unsigned char c : bytes) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 5) {
            out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31U]);
            bits -= 5;
        }
    }
    if (bits > 0) {
        out.push_back(kAlphabet[(buffer << (5 - bits)) & 31U]);
    }
    return out;
}

std::string newId(std::string_view prefix) {
    return std::string(prefix) + "_" + base32(secureRandomBytes(10));
}

}  // namespace chatiere::manager
