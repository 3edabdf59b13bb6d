#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chatiere::manager {

// The addresses of a mail service (docs/mail.md); pure rules, no store.

// A local part Chatière creates (a mailbox or an alias), canonical: lower case; 1 to 64 of a-z,
// 0-9, '.', '-', '_'; no '.' first or last, no "..". No '+': Postfix keeps it for sub-addresses
// (contact+list@). Throws a Validation Error `invalid_local_part` (field `field`) for anything else,
// '@' and spaces included.
std::string checkLocalPart(std::string_view input, const std::string& field = "local_part");

// A destination of an alias: an address (local@domain; the local part 1 to 64 of letters, digits,
// '.', '_', '+', '=', '-', dots well placed; the domain checked like any public name, to punycode), or a bare local part of
// `ownDomain`. Canonical: the domain lower case, a local part of `ownDomain` checked by
// checkLocalPart. Throws a Validation Error `invalid_address` (field `field`).
std::string checkDestination(std::string_view input, const std::string& ownDomain, const std::string& field);

// The domain of an address ("" when none).
std::string domainOf(const std::string& address);
std::string localPartOf(const std::string& address);

}  // namespace chatiere::manager
