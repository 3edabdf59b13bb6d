#include "hosting/SystemResolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <vector>

namespace chatiere::manager {

namespace {

std::string lowerName(const char* name) {
    std::string s(name);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    return s;
}

std::optional<std::vector<std::string>> query(const std::string& server, const std::string& type,
                                              const std::string& name) {
    const int wanted = type == "MX" ? ns_t_mx : type == "TXT" ? ns_t_txt : type == "CNAME" ? ns_t_cname : -1;
    if (wanted < 0) {
        return std::nullopt;
    }
    auto state = std::make_unique<struct __res_state>();
    std::memset(state.get(), 0, sizeof(struct __res_state));
    if (res_ninit(state.get()) != 0) {
        return std::nullopt;
    }
    const std::unique_ptr<struct __res_state, void (*)(struct __res_state*)> closer(
        state.release(), [](struct __res_state* s) {
            res_nclose(s);
            delete s;
        });
    res_state res = closer.get();
    res->retrans = 2;
    res->retry = 2;
    if (!server.empty()) {
        const auto colon = server.find(':');
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(
            colon == std::string::npos ? 53 : static_cast<uint16_t>(std::stoi(server.substr(colon + 1))));
        if (inet_pton(AF_INET, server.substr(0, colon).c_str(), &address.sin_addr) != 1) {
            return std::nullopt;
        }
        res->nsaddr_list[0] = address;
        res->nscount = 1;
    }
    // res_nsend, not res_nquery: the answer comes back whatever its code, so that NXDOMAIN (nothing
    // published) is told apart from SERVFAIL or a timeout (no answer).
    std::vector<unsigned char> request(NS_PACKETSZ);
    const int requestLength = res_nmkquery(res, ns_o_query, name.c_str(), ns_c_in, wanted, nullptr, 0,
                                           nullptr, request.data(), static_cast<int>(request.size()));
    if (requestLength < 0) {
        return std::nullopt;
    }
    std::vector<unsigned char> answer(65536);
    const int length =
        res_nsend(res, request.data(), requestLength, answer.data(), static_cast<int>(answer.size()));
    ns_msg message;
    if (length < 0 || ns_initparse(answer.data(), length, &message) != 0) {
        return std::nullopt;
    }
    const int rcode = ns_msg_getflag(message, ns_f_rcode);
    if (rcode == ns_r_nxdomain) {
        return std::vector<std::string>{};
    }
    if (rcode != ns_r_noerror) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    const int count = ns_msg_count(message, ns_s_an);
    for (int i = 0; i < count; ++i) {
        ns_rr rr;
        if (ns_parserr(&message, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != wanted) {
            continue;
        }
        const unsigned char* data = ns_rr_rdata(rr);
        const int size = ns_rr_rdlen(rr);
        char host[NS_MAXDNAME];
        if (wanted == ns_t_mx && size > 2) {
            const unsigned preference = ns_get16(data);
            if (dn_expand(ns_msg_base(message), ns_msg_end(message), data + 2, host, sizeof(host)) >= 0) {
                out.push_back(std::to_string(preference) + " " + lowerName(host));
            }
        } else if (wanted == ns_t_cname) {
            if (dn_expand(ns_msg_base(message), ns_msg_end(message), data, host, sizeof(host)) >= 0) {
                out.push_back(lowerName(host));
            }
        } else if (wanted == ns_t_txt) {
            std::string text;
            for (int at = 0; at < size;) {
                const int part = data[at];
                if (at + 1 + part > size) {
                    break;
                }
                text.append(reinterpret_cast<const char*>(data + at + 1), static_cast<std::size_t>(part));
                at += 1 + part;
            }
            out.push_back(text);
        }
    }
    return out;
}

}  // namespace

DnsLookup systemDnsLookup(const std::string& server) {
    if (server == "off") {
        return [](const std::string&, const std::string&) -> std::optional<std::vector<std::string>> {
            return std::nullopt;
        };
    }
    return [server](const std::string& type, const std::string& name) { return query(server, type, name); };
}

}  // namespace chatiere::manager
