#include "hosting/DnsRecords.h"

namespace chatiere::manager {

DnsInstructions dnsRecordsFor(const Service& service, const std::string& domain, const HostAddresses& host) {
    DnsInstructions out;
    if (host.ipv4) {
        out.address.push_back({"A", domain, *host.ipv4});
    }
    if (host.ipv6) {
        out.address.push_back({"AAAA", domain, *host.ipv6});
    }
    if (service.defaultName && *service.defaultName != domain) {
        out.cname = DnsRecord{"CNAME", domain, *service.defaultName};
    }
    return out;
}

}  // namespace chatiere::manager
