#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// The DNS records a mail domain needs (docs/mail.md#dns), and whether they are published.

// What a resolver answered for (type, name): the records' values (MX: "PREFERENCE HOST", host
// without its final dot, lower case; TXT: the strings of one record joined; CNAME: the target, lower
// case, no final dot), empty when the name or the type has none (NXDOMAIN, NODATA); nullopt when
// there is no answer to be had (no resolver, a timeout, SERVFAIL): the record's state is unknown.
using DnsLookup =
    std::function<std::optional<std::vector<std::string>>(const std::string& type, const std::string& name)>;

struct MailDnsRecord {
    std::string type;     // MX | TXT | CNAME
    std::string name;     // absolute, without the final dot
    std::string value;    // what to publish
    std::string purpose;  // mx | spf | dkim | dmarc | autoconfig | autodiscover
    std::string status;   // ok | missing | wrong | unknown
};

// The records of `domain`, its mail handled by `mailHost`, signed with `dkimRecord` (the TXT value,
// "v=DKIM1; k=rsa; p=…") under `selector`; each with its state from `lookup` (none: unknown).
std::vector<MailDnsRecord> mailDnsRecords(const std::string& domain, const std::string& mailHost,
                                          const std::string& selector, const std::string& dkimRecord,
                                          const DnsLookup& lookup);

}  // namespace chatiere::manager
