#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace chatiere::manager {

// A certificate and its private key, both PEM.
struct CertificatePair {
    std::string certificatePem;
    std::string keyPem;
};

// What Chatière reads from a certificate it serves: the names, who issued it, until when.
struct CertificateInfo {
    std::string commonName;
    std::vector<std::string> dnsNames;  // the subjectAltName's DNS names (IP addresses as text)
    std::string issuer;                 // the issuer's name, one line (RFC 2253)
    std::chrono::system_clock::time_point notBefore;
    std::chrono::system_clock::time_point notAfter;
    bool selfSigned = false;
};

// A self-signed certificate for `name` (a host name, "localhost" or an IP address), what a name
// serves from its creation until ACME issues one (tls.status = self_signed): an EC P-256 key, valid
// from `now` for `validity`, the name as CN and subjectAltName, serverAuth. OpenSSL; throws
// std::invalid_argument for a name of other characters, std::runtime_error when OpenSSL fails.
CertificatePair makeSelfSignedCertificate(const std::string& name, std::chrono::system_clock::time_point now,
                                          std::chrono::hours validity = std::chrono::hours(24 * 90));

// The first certificate of a PEM chain. Throws std::invalid_argument when it is not one.
CertificateInfo readCertificate(const std::string& pem);

}  // namespace chatiere::manager
