#include "core/PublicName.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <libpsl.h>

#include <cstdlib>
#include <memory>

#include "chatiere/manager/Error.h"

namespace chatiere::manager {
namespace {

constexpr std::size_t kMaxName = 253;
constexpr std::size_t kMaxLabel = 63;

bool isAsciiAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Checks the labels of an ASCII, lower-case name; returns why not, or "" when it is valid.
std::string problemOf(std::string_view name) {
    if (name.empty()) {
        return "the name is empty";
    }
    if (name.size() > kMaxName) {
        return "the name is longer than 253 characters";
    }
    std::size_t labels = 0;
    bool allDigits = true;
    std::string_view last;
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t dot = name.find('.', start);
        const std::string_view label =
            name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty()) {
            return "the name has an empty label";
        }
        if (label.size() > kMaxLabel) {
            return "a label is longer than 63 characters";
        }
        if (label.front() == '-' || label.back() == '-') {
            return "a label starts or ends with '-'";
        }
        for (char c : label) {
            if (c == '*') {
                return "wildcard names are not accepted";
            }
            if (!isAsciiAlnum(c) && c != '-') {
                return "the name may hold only letters, digits, '-' and dots";
            }
        }
        ++labels;
        last = label;
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    for (char c : last) {
        allDigits = allDigits && c >= '0' && c <= '9';
    }
    if (allDigits) {
        return "an IP address is not a domain name";
    }
    if (labels < 2) {
        return "the name needs at least two labels";
    }
    if (name == "localhost" || name.ends_with(".localhost")) {
        return "localhost is not a public name";
    }
    return "";
}

[[noreturn]] void refuse(const std::string& field, std::string_view input, const std::string& why) {
    throw Error(ErrorKind::Validation, "invalid_domain", "Invalid domain name: " + why + ".",
                {{field, "invalid_domain", why + " ('" + std::string(input.substr(0, 80)) + "')"}});
}

}  // namespace

std::string validateDomainName(std::string_view input, const std::string& field) {
    std::string name(input);
    if (!name.empty() && name.back() == '.') {
        name.pop_back();  // the root's dot
    }
    if (name.size() > 4 * kMaxName) {
        refuse(field, input, "the name is longer than 253 characters");
    }
    bool ascii = true;
    for (char c : name) {
        if (c == '*') {
            refuse(field, input, "wildcard names are not accepted");
        }
        if (c == '\0' || (static_cast<unsigned char>(c) < 0x20) || c == 0x7f) {
            refuse(field, input, "the name holds a control character");
        }
        ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    }
    std::string out;
    if (ascii) {
        for (char c : name) {
            out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
        }
    } else {
        char* converted = nullptr;
        const int rc =
            idn2_lookup_u8(reinterpret_cast<const uint8_t*>(name.c_str()),
                           reinterpret_cast<uint8_t**>(&converted), IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
        const std::unique_ptr<char, decltype(&idn2_free)> owned(converted, &idn2_free);
        if (rc != IDN2_OK) {
            refuse(field, input,
                   std::string("not a valid internationalised name (") + idn2_strerror(rc) + ")");
        }
        out = owned.get();
    }
    if (const std::string why = problemOf(out); !why.empty()) {
        refuse(field, input, why);
    }
    return out;
}

bool isCanonicalDomainName(std::string_view name) {
    return problemOf(name).empty();
}

std::string slugify(std::string_view name) {
    // Two-byte UTF-8 sequences of Latin-1 letters folded to ASCII (U+00C0..U+00FF).
    static const char* const kLatin1[64] = {
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};
    std::string out;
    bool dash = false;
    auto put = [&](std::string_view s) {
        if (s.empty()) {
            dash = true;
            return;
        }
        if (dash && !out.empty()) {
            out.push_back('-');
        }
        dash = false;
        out += s;
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c >= 'A' && c <= 'Z') {
            put(std::string(1, static_cast<char>(c - 'A' + 'a')));
        } else if (isAsciiAlnum(static_cast<char>(c))) {
            put(std::string(1, static_cast<char>(c)));
        } else if (c == 0xC3 && i + 1 < name.size()) {
            const auto next = static_cast<unsigned char>(name[i + 1]);
            if (next >= 0x80 && next <= 0xBF) {
                put(kLatin1[next - 0x80]);
                ++i;
                continue;
            }
            dash = true;
        } else if (c == 0xC5 && i + 1 < name.size() &&
                   (name[i + 1] == '\x92' || name[i + 1] == '\x93')) {  // Œ, œ
            put("oe");
            ++i;
        } else {
            dash = true;
        }
    }
    if (out.size() > kMaxLabel) {
        out.resize(kMaxLabel);
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return out.empty() ? "association" : out;
}

std::optional<std::string> registrableDomain(std::string_view host) {
    // psl_latest(NULL) reads the newest of the built-in list and the system's files; built once.
    static const std::unique_ptr<psl_ctx_t, decltype(&psl_free)> psl(psl_latest(nullptr), psl_free);
    if (!psl) {
        return std::nullopt;
    }
    const std::string name(host);
    in6_addr address{};
    if (::inet_pton(AF_INET, name.c_str(), &address) == 1 ||
        ::inet_pton(AF_INET6, name.c_str(), &address) == 1) {
        return std::nullopt;
    }
    const char* domain = psl_registrable_domain(psl.get(), name.c_str());
    if (domain == nullptr) {
        return std::nullopt;
    }
    return std::string(domain);
}

std::string defaultPublicName(const std::string& serviceName, const std::string& slug,
                              const std::string& publicDomain) {
    return validateDomainName(serviceName + "." + slug + "." + publicDomain, "name");
}

}  // namespace chatiere::manager
