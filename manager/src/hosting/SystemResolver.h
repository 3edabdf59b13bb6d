#pragma once

#include "hosting/MailDns.h"

#include <string>

namespace chatiere::manager {

// A DnsLookup through the C library's resolver (res_nquery, /etc/resolv.conf), or through one
// server: `server` is "" (the system's), "off" (nothing asked: every state unknown, as in tests
// that must not reach the network) or "IP[:PORT]" (an IPv4 address). A timeout of a few seconds,
// two tries. MX, TXT and CNAME only.
DnsLookup systemDnsLookup(const std::string& server);

}  // namespace chatiere::manager
