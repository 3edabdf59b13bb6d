#pragma once

#include "chatiere/manager/Database.h"
#include "store/Mail.h"
#include "store/Services.h"

#include <string>
#include <vector>

namespace chatiere::manager {

// What a mail guest is handed through its agent (the `mail.*` sources of templates/mail's
// template.json; docs/appliances.md#the-mail-appliance has the guest's side).

// "ADDRESS:HASH:QUOTA_MIB\n" per mailbox: the guest makes Dovecot's passwd-file from it.
std::string mailboxLines(const std::vector<Mailbox>& mailboxes, const std::string& domain);
// "ADDRESS DEST1,DEST2\n" per alias: Postfix's virtual map.
std::string aliasLines(const std::vector<MailAlias>& aliases, const std::string& domain);

// The DKIM selector of a service's key (one key per mail service for now).
inline constexpr const char* kDkimSelector = "chatiere";
// The service secret that holds the DKIM key (store/ServiceSecrets).
inline constexpr const char* kDkimSecret = "dkim_key";

// The value of a `mail.*` source for a mail service (its domain, mailboxes, aliases, DKIM selector
// and key — made once, kept as a service secret —, the name its banners give, the relay): what
// ProvisioningStore hands to the guest. `hostname`: mailhost.hostname, or public.url's host.
// Throws Internal on a source it does not know (the catalogue checks them).
std::string mailConfigValue(Session& s, const Service& service, const std::string& source,
                            const std::string& hostname);

}  // namespace chatiere::manager
