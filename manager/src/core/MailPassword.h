#pragma once

#include <string>
#include <string_view>

namespace chatiere::manager {

// A mailbox's password as Dovecot checks it (docs/mail.md): SHA512-CRYPT (glibc's `$6$`, made by
// libxcrypt with a random salt and its default rounds), with Dovecot's scheme prefix:
// "{SHA512-CRYPT}$6$salt$hash". A cheap hash on purpose next to the accounts' argon2id: Dovecot checks
// it at every login inside a small guest. Never contains ':' (the passwd-file separator).
std::string mailPasswordHash(std::string_view password);
// Whether `password` matches a hash made by mailPasswordHash.
bool mailPasswordMatches(std::string_view password, const std::string& hash);
// A password for a mailbox whose creator gave none: 16 characters from an alphabet without
// look-alikes (shown once).
std::string newMailPassword();

}  // namespace chatiere::manager
