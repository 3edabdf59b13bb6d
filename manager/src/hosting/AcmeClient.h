#pragma once

#include <string>

#include "chatiere/manager/Settings.h"
#include "hosting/SelfSignedCertificate.h"

namespace chatiere::manager {

// One order's outcome: the certificate, or the CA's or the client's words.
struct AcmeOutcome {
    bool issued = false;
    CertificatePair certificate;  // fullchain + key, when issued
    std::string error;            // when not
};

// An ACME (RFC 8555) client that answers HTTP-01 challenges through the proxy's webroot. One
// order runs at a time (an implementation serialises them); the caller decides when a name needs
// one (30 days before expiry, backoff after a failure).
class AcmeClient {
public:
    virtual ~AcmeClient() = default;
    virtual AcmeOutcome issue(const std::string& name) = 0;
};

}  // namespace chatiere::manager
