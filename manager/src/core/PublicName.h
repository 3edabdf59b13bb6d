#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chatiere::manager {

// Public names of hosted services (docs/public-addresses.md).

// A host name a service may answer at, in its canonical form: lower case, IDN labels converted to
// punycode (libidn2, IDNA2008 with UTS #46 non-transitional mapping), no trailing dot. Throws a
// Validation Error `invalid_domain` (field `field`) for anything else: `localhost`, a wildcard,
// an empty label (`a..b`), an IP address, a single label, a label longer than 63 or a name longer
// than 253 octets, a label starting or ending with `-`, a character that is not a letter, a digit
// or `-` once converted. What it returns is safe to write into an nginx file.
std::string validateDomainName(std::string_view input, const std::string& field = "domain");

// True when `name` is already canonical and valid (the check the nginx renderer repeats).
bool isCanonicalDomainName(std::string_view name);

// A DNS label made from an association's name: ASCII-folded (Latin-1 accents and ligatures),
// lower case, runs of anything else as one `-`, trimmed of `-`, at most 63 octets; "association"
// when nothing is left. Uniqueness (`-2`, `-3`) is the caller's, against the stored slugs.
std::string slugify(std::string_view name);

// The registrable domain (eTLD+1) of a host name by the Public Suffix List (Debian's libpsl and its
// `publicsuffix` data, the newest list on the machine): "a.b.example.co.uk" → "example.co.uk".
// nullopt for an IP address, a public suffix itself or a name libpsl cannot read.
std::optional<std::string> registrableDomain(std::string_view host);

// The default public name of a service: <service>.<slug>.<publicDomain>, canonical. Throws a
// Validation Error `invalid_domain` when it would not be a valid name (a service name that is not
// a DNS label, a name too long).
std::string defaultPublicName(const std::string& serviceName, const std::string& slug,
                              const std::string& publicDomain);

}  // namespace chatiere::manager
