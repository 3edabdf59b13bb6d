#include "hosting/MailConfig.h"

#include "chatiere/manager/Error.h"
#include "core/PublicName.h"
#include "hosting/DkimKey.h"
#include "store/ServiceSecrets.h"

namespace chatiere::manager {

std::string mailboxLines(const std::vector<Mailbox>& mailboxes, const std::string& domain) {
    std::string out;
    for (const auto& m : mailboxes) {
        out += m.localPart + "@" + domain + ":" + m.passwordHash + ":" + std::to_string(m.quotaMib) + "\n";
    }
    return out;
}

std::string aliasLines(const std::vector<MailAlias>& aliases, const std::string& domain) {
    std::string out;
    for (const auto& a : aliases) {
        std::string to;
        for (const auto& d : a.destinations) {
            to += (to.empty() ? "" : ",") + d;
        }
        out += a.localPart + "@" + domain + " " + to + "\n";
    }
    return out;
}

std::string mailConfigValue(Session& s, const Service& service, const std::string& source,
                            const std::string& hostname) {
    const std::string domain = service.mailDomain.value_or("");
    if (source == "mail.domain") {
        return domain;
    }
    if (source == "mail.hostname") {
        return isCanonicalDomainName(hostname) ? hostname : "mail." + domain;
    }
    if (source == "mail.mailboxes") {
        return mailboxLines(MailRepository(s).mailboxes(service.id), domain);
    }
    if (source == "mail.aliases") {
        return aliasLines(MailRepository(s).aliases(service.id), domain);
    }
    if (source == "mail.dkim_selector") {
        return kDkimSelector;
    }
    if (source == "mail.dkim_key") {
        return ServiceSecretRepository(s).ensure(service.id, kDkimSecret, newDkimKey, service.updatedAt);
    }
    if (source == "mail.relay_host") {
        return "";  // the host's front relays outgoing mail once it exists
    }
    throw Error(ErrorKind::Internal, "config_source", "no such configuration source: " + source);
}

}  // namespace chatiere::manager
