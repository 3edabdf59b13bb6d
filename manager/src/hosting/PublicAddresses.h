#pragma once

#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "store/Associations.h"
#include "store/Certificates.h"
#include "store/Services.h"

#include <optional>
#include <string>

namespace chatiere::manager {

// The rules of the services' public names (docs/public-addresses.md, "Names"), over the caller's
// session: the default name each service gets, the association's own domain it may take instead.

// Gives the service its default name <service>.<slug>.<public.domain> unless it has one (and its
// association a slug, made from its name, unless it has one). Nothing when public.domain is empty.
// Returns the service's default name.
std::optional<std::string> giveDefaultName(Session& s, const Settings& settings, Service& service,
                                           const std::string& associationName, const std::string& at);

// Every live service of an approved association gets its default name (services made before
// public.domain was set, or before schema v17). Returns how many were given one.
int giveMissingNames(Session& s, const Settings& settings, const std::string& at);

// An association's own domain for `service`, canonical (IDN as punycode). nullopt when `input` is
// the service's default name (the same as having none). Throws `400 invalid_domain` (field
// `domain`) for a name that is not a host name (localhost, a wildcard, an IP address…), a name
// under public.domain other than the service's default one, Chatière's own host or any name
// same-site with it; `409 domain_taken` when another live service answers at it.
std::optional<std::string> checkOwnDomain(Session& s, const Settings& settings, const std::string& input,
                                          const Service& service);

// The address a visitor opens: https://NAME/ (with the proxy's public HTTPS port when not 443);
// nullopt when the proxy is off or the service has no name.
std::optional<std::string> publicUrlOf(const Settings& settings, const Service& service);

// What the API and the pages show of the certificate the service's name serves.
struct TlsView {
    TlsStatus status = TlsStatus::SelfSigned;
    std::optional<std::string> issuer;
    std::optional<std::string> notAfter;
    std::optional<std::string> lastError;
};
std::optional<TlsView> tlsOf(Session& s, const Service& service);

}  // namespace chatiere::manager
