#include "chatiere/manager/Validation.h"

#include <algorithm>
#include <cstring>

namespace chatiere::manager {

namespace {

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
bool isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view trimView(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

// Drops ASCII spaces and the UTF-8 no-break spaces U+00A0 (C2 A0) and U+202F (E2 80 AF).
std::string withoutSpaces(std::string_view input) {
    std::string out;
    for (std::size_t i = 0; i < input.size(); ++i) {
        const auto c = static_cast<unsigned char>(input[i]);
        if (c == ' ' || c == '\t') {
            continue;
        }
        if (c == 0xC2 && i + 1 < input.size() && static_cast<unsigned char>(input[i + 1]) == 0xA0) {
            ++i;
            continue;
        }
        if (c == 0xE2 && i + 2 < input.size() && static_cast<unsigned char>(input[i + 1]) == 0x80 &&
            static_cast<unsigned char>(input[i + 2]) == 0xAF) {
            i += 2;
            continue;
        }
        out.push_back(static_cast<char>(c));
    }
    return out;
}

bool isAtext(unsigned char c) {
    if (c >= 0x80) {
        return true;  // UTF-8 (RFC 6531)
    }
    return isAlpha(static_cast<char>(c)) || isDigit(static_cast<char>(c)) ||
           std::strchr("!#$%&'*+/=?^_`{|}~-", c) != nullptr;
}

bool isValidDomain(std::string_view domain) {
    if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) {
        return false;
    }
    std::size_t start = 0;
    while (start <= domain.size()) {
        const std::size_t dot = domain.find('.', start);
        const std::string_view label =
            domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (const char ch : label) {
            const auto c = static_cast<unsigned char>(ch);
            if (!(c >= 0x80 || isAlpha(ch) || isDigit(ch) || ch == '-')) {
                return false;
            }
        }
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    return true;
}

}  // namespace

namespace {

// Luhn: from the right, double every second digit; the sum is a multiple of 10.
bool luhn(std::string_view digits) {
    int sum = 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        int d = digits[digits.size() - 1 - i] - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
    }
    return sum % 10 == 0;
}

}  // namespace

bool isValidSiren(std::string_view siren) {
    return siren.size() == 9 && std::all_of(siren.begin(), siren.end(), isDigit) && luhn(siren);
}

bool isValidSiret(std::string_view siret) {
    if (siret.size() != 14 || !std::all_of(siret.begin(), siret.end(), isDigit) ||
        !isValidSiren(siret.substr(0, 9))) {
        return false;
    }
    // La Poste's establishments (SIREN 356 000 000) are too many for a Luhn key: INSEE checks that
    // their digits add up to a multiple of 5.
    if (siret.substr(0, 9) == "356000000") {
        int sum = 0;
        for (char c : siret) {
            sum += c - '0';
        }
        return sum % 5 == 0;
    }
    return luhn(siret);
}

std::string normalizeSiren(std::string_view input) {
    return withoutSpaces(trimView(input));
}

bool isValidRna(std::string_view rna) {
    if (rna.size() != 10 || rna[0] != 'W') {
        return false;
    }
    const std::string_view rest = rna.substr(1);
    if (std::all_of(rest.begin(), rest.end(), isDigit)) {
        return true;
    }
    return rest[0] == '2' && (rest[1] == 'A' || rest[1] == 'B') &&
           std::all_of(rest.begin() + 2, rest.end(), isDigit);
}

std::string normalizeRna(std::string_view input) {
    std::string out = withoutSpaces(trimView(input));
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

bool isValidEmail(std::string_view email) {
    if (email.empty() || email.size() > 254) {
        return false;
    }
    const std::size_t at = email.find('@');
    if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    const std::string_view local = email.substr(0, at);
    const std::string_view domain = email.substr(at + 1);
    if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos) {
        return false;
    }
    for (const char ch : local) {
        if (ch != '.' && !isAtext(static_cast<unsigned char>(ch))) {
            return false;
        }
    }
    return isValidDomain(domain);
}

std::string emailKey(std::string_view email) {
    std::string key(trimView(email));
    for (char& c : key) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return key;
}

std::optional<std::string> passwordProblem(std::string_view password) {
    if (password.size() > 1024) {
        return "At most 1024 bytes.";
    }
    std::size_t codePoints = 0;
    for (const char c : password) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            ++codePoints;
        }
    }
    if (codePoints < 10) {
        return "At least 10 characters.";
    }
    if (std::all_of(password.begin(), password.end(), [&](char c) { return c == password.front(); })) {
        return "Not the same character repeated.";
    }
    return std::nullopt;
}

}  // namespace chatiere::manager
