#pragma once

#include "store/Services.h"

#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// One DNS record as the dashboard shows it: what an association creates at its DNS provider.
struct DnsRecord {
    std::string type;  // A, AAAA, CNAME
    std::string name;
    std::string value;
};

// The host's public addresses, what an own domain's A and AAAA records point to; unknown while
// no setting names them (docs/public-addresses.md).
struct HostAddresses {
    std::optional<std::string> ipv4;
    std::optional<std::string> ipv6;
};

// The records that make the association's own domain `domain` reach `service`: `A`/`AAAA` to the
// host's addresses where they are known, or a `CNAME` to the service's default name where it has
// one (never to `domain` itself; a CNAME only fits a subdomain, not a zone's apex).
struct DnsInstructions {
    std::vector<DnsRecord> address;  // A, then AAAA
    std::optional<DnsRecord> cname;
};
DnsInstructions dnsRecordsFor(const Service& service, const std::string& domain, const HostAddresses& host);

}  // namespace chatiere::manager
