#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chatiere::manager {

// SIREN: 9 ASCII digits with a valid Luhn check digit.
bool isValidSiren(std::string_view siren);
// SIRET: 14 ASCII digits, a valid SIREN then the establishment, with a valid Luhn check digit
// (La Poste's, SIREN 356000000: digits adding up to a multiple of 5).
bool isValidSiret(std::string_view siret);
// Removes spaces, and no-break spaces (U+00A0, U+202F), as in "732 829 320".
std::string normalizeSiren(std::string_view input);

// RNA (Répertoire national des associations): W then 9 digits, or W then 2A/2B and 7 digits (Corsica).
bool isValidRna(std::string_view rna);
// Trims, removes spaces and upper-cases ASCII letters.
std::string normalizeRna(std::string_view input);

// A pragmatic e-mail check: one @, a local part of RFC 5322 atext and dots, a dotted domain.
bool isValidEmail(std::string_view email);
// The uniqueness key of an address: trimmed and ASCII-lower-cased.
std::string emailKey(std::string_view email);

// nullopt when the password is acceptable, otherwise why not (English, for the API).
std::optional<std::string> passwordProblem(std::string_view password);

}  // namespace chatiere::manager
