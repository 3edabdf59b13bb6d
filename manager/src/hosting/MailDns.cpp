#include "hosting/MailDns.h"

#include <algorithm>
#include <cctype>
#include <future>
#include <map>

namespace chatiere::manager {

namespace {

std::string withoutSpaces(const std::string& s) {
    std::string out;
    std::copy_if(s.begin(), s.end(), std::back_inserter(out),
                 [](unsigned char c) { return !std::isspace(c); });
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool startsWith(const std::string& s, const std::string& prefix) {
    return lower(s).rfind(lower(prefix), 0) == 0;
}

// The state of one record from what is published: `matches` says which published value is the
// one asked for, `ours` which ones are of its kind (another SPF record is "wrong", an unrelated TXT
// record does not count).
std::string stateOf(const std::optional<std::vector<std::string>>& published,
                    const std::function<bool(const std::string&)>& matches,
                    const std::function<bool(const std::string&)>& ours) {
    if (!published) {
        return "unknown";
    }
    bool any = false;
    for (const auto& value : *published) {
        if (matches(value)) {
            return "ok";
        }
        any = any || ours(value);
    }
    return any ? "wrong" : "missing";
}

}  // namespace

std::vector<MailDnsRecord> mailDnsRecords(const std::string& domain, const std::string& mailHost,
                                          const std::string& selector, const std::string& dkimRecord,
                                          const DnsLookup& lookup) {
    const std::string dkimName = selector + "._domainkey." + domain;
    // The six lookups at once: a page waits for the slowest, not for their sum.
    using Answer = std::optional<std::vector<std::string>>;
    std::map<std::pair<std::string, std::string>, std::future<Answer>> pending;
    for (const auto& [type, name] :
         std::vector<std::pair<std::string, std::string>>{{"MX", domain},
                                                          {"TXT", domain},
                                                          {"TXT", dkimName},
                                                          {"TXT", "_dmarc." + domain},
                                                          {"CNAME", "autoconfig." + domain},
                                                          {"CNAME", "autodiscover." + domain}}) {
        if (lookup) {
            pending[{type, name}] = std::async(std::launch::async, lookup, type, name);
        }
    }
    const auto ask = [&](const std::string& type, const std::string& name) -> Answer {
        const auto it = pending.find({type, name});
        return it == pending.end() ? std::nullopt : it->second.get();
    };
    const auto all = [](const std::string&) { return true; };
    const std::string host = lower(mailHost);
    std::vector<MailDnsRecord> out;

    const std::string spf = "v=spf1 mx -all";
    const std::string dmarc = "v=DMARC1; p=quarantine; adkim=r; aspf=r";

    out.push_back({"MX", domain, "10 " + host + ".", "mx",
                   stateOf(
                       ask("MX", domain),
                       [&](const std::string& v) { return lower(v.substr(v.find(' ') + 1)) == host; }, all)});
    const auto txt = ask("TXT", domain);
    out.push_back(
        {"TXT", domain, spf, "spf",
         stateOf(
             txt, [&](const std::string& v) { return withoutSpaces(lower(v)) == withoutSpaces(spf); },
             [](const std::string& v) { return startsWith(v, "v=spf1"); })});
    out.push_back({"TXT", dkimName, dkimRecord, "dkim",
                   stateOf(
                       ask("TXT", dkimName),
                       [&](const std::string& v) {
                           // The key is what matters: "p=" compared without spaces.
                           const auto key = [](const std::string& r) {
                               const std::string s = withoutSpaces(r);
                               const auto p = s.find("p=");
                               return p == std::string::npos ? s : s.substr(p);
                           };
                           return key(v) == key(dkimRecord);
                       },
                       [](const std::string& v) {
                           return startsWith(v, "v=DKIM1") || v.find("p=") != std::string::npos;
                       })});
    out.push_back({"TXT", "_dmarc." + domain, dmarc, "dmarc",
                   stateOf(
                       ask("TXT", "_dmarc." + domain),
                       [](const std::string& v) { return startsWith(v, "v=DMARC1"); }, all)});
    for (const char* purpose : {"autoconfig", "autodiscover"}) {
        const std::string name = std::string(purpose) + "." + domain;
        out.push_back({"CNAME", name, host + ".", purpose,
                       stateOf(
                           ask("CNAME", name), [&](const std::string& v) { return lower(v) == host; }, all)});
    }
    return out;
}

}  // namespace chatiere::manager
