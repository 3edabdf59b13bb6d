#pragma once

#include <string>

namespace chatiere::manager {

// A mail domain's DKIM key (docs/mail.md): RSA 2048 made with OpenSSL, kept as a service secret
// (PKCS#8 PEM) and handed to the guest, whose OpenDKIM signs what leaves through submission.
std::string newDkimKey();
// The TXT record that publishes the key's public half: "v=DKIM1; k=rsa; p=<base64 of the DER
// SubjectPublicKeyInfo>". Throws std::runtime_error on a PEM that is not a private RSA key.
std::string dkimRecordOf(const std::string& privateKeyPem);

}  // namespace chatiere::manager
