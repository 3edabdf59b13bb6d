#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "domain/Actor.h"
#include "store/Certificates.h"

#include <functional>
#include <string>
#include <vector>

namespace chatiere::manager {

// The certificates of the public names as the admin sees them (the API, the overview page):
// every name with its state, those failing or expiring soon, and "renew now".
class CertificateBook {
public:
    // `ordersWake`: wakes the certificate orders (nothing while the proxy is off).
    CertificateBook(Database& db, base::Clock& clock, bool proxyOn, std::function<void()> ordersWake);

    std::vector<CertificateRecord> list(const Actor& actor);
    // Failing, or expiring within `days` (the admin overview: 14).
    std::vector<CertificateRecord> needingAttention(const Actor& actor, int days = 14);
    // Orders a new certificate for `name` at the next pass: 404 for a name without one, 409
    // `proxy_off` while the proxy is off.
    CertificateRecord renew(const Actor& actor, const std::string& name);

private:
    void requireAdmin(const Actor& actor) const;

    Database& db_;
    base::Clock& clock_;
    bool proxyOn_;
    std::function<void()> ordersWake_;
};

}  // namespace chatiere::manager
