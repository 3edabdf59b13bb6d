#include "hosting/MailAddresses.h"

#include "chatiere/manager/Error.h"
#include "core/PublicName.h"

#include <algorithm>
#include <cctype>

namespace chatiere::manager {

namespace {

constexpr std::size_t kMaxLocalPart = 64;  // RFC 5321, 4.5.3.1.1

Error invalid(const std::string& field, const std::string& code, const std::string& message) {
    return Error(ErrorKind::Validation, code, message, {{field, code, message}});
}

bool dotsWellPlaced(std::string_view s) {
    return !s.empty() && s.front() != '.' && s.back() != '.' && s.find("..") == std::string_view::npos;
}

// The characters of another domain's local part Chatière forwards to: RFC 5322's atext narrowed to
// what addresses use in practice (and what the guest's Postfix maps take): letters, digits, . _ + = -.
bool isForwardable(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("._+=-").find(c) != std::string_view::npos;
}

}  // namespace

std::string checkLocalPart(std::string_view input, const std::string& field) {
    std::string out(input);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool charsOk = std::all_of(out.begin(), out.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    });
    if (out.empty() || out.size() > kMaxLocalPart || !charsOk || !dotsWellPlaced(out)) {
        throw invalid(field, "invalid_local_part",
                      "1 to 64 characters: letters, digits, '.', '-' and '_', without '.' first, last or "
                      "twice in a row (no '@', no space, no '+').");
    }
    return out;
}

std::string checkDestination(std::string_view input, const std::string& ownDomain, const std::string& field) {
    const auto at = input.rfind('@');
    if (at == std::string_view::npos) {
        return checkLocalPart(input, field) + "@" + ownDomain;
    }
    const std::string_view local = input.substr(0, at);
    std::string domain;
    try {
        domain = validateDomainName(input.substr(at + 1), field);
    } catch (const Error&) {
        throw invalid(field, "invalid_address", "Not a mail address: " + std::string(input) + ".");
    }
    if (domain == ownDomain) {
        return checkLocalPart(local, field) + "@" + domain;
    }
    if (local.size() > kMaxLocalPart || !dotsWellPlaced(local) ||
        !std::all_of(local.begin(), local.end(), isForwardable)) {
        throw invalid(field, "invalid_address", "Not a mail address: " + std::string(input) + ".");
    }
    return std::string(local) + "@" + domain;
}

std::string domainOf(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? "" : address.substr(at + 1);
}

std::string localPartOf(const std::string& address) {
    return address.substr(0, address.rfind('@'));
}

}  // namespace chatiere::manager
