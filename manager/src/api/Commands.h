#pragma once

#include "billing/BillingService.h"
#include "domain/AssociationService.h"
#include "domain/Invitations.h"
#include "domain/PlanService.h"
#include "hosting/MailService.h"
#include "hosting/PadService.h"
#include "hosting/ServiceManager.h"
#include "monitoring/UsageService.h"

#include <Poco/JSON/Object.h>

namespace chatiere::manager::api {

// One parser per command: the JSON body of a request into the service's typed command. A parser
// checks the JSON types only (a field of the wrong type → 400 `wrong_type`, every one listed); the
// service checks presence, length and meaning, alike for the API and the pages. A null body reads
// as an empty object.

CreateService parseCreateService(const Poco::JSON::Object::Ptr& body);
// {"name", "text"?}: both as given, untrimmed (a space in a name is refused, not dropped).
CreatePad parseCreatePad(const Poco::JSON::Object::Ptr& body);
// {"local_part", "name"?, "quota_mib", "password"?} (local part and password untrimmed).
NewMailbox parseNewMailbox(const Poco::JSON::Object::Ptr& body);
// {"name"?, "quota_mib"?, "password"?, "new_password"?: true}.
MailboxChange parseMailboxChange(const Poco::JSON::Object::Ptr& body);
// {"local_part", "destinations": ["…", …]}.
NewAlias parseNewAlias(const Poco::JSON::Object::Ptr& body);
ResizeService parseResizeService(const Poco::JSON::Object::Ptr& body);
GrantException parseGrantException(const Poco::JSON::Object::Ptr& body);
AddMember parseAddMember(const Poco::JSON::Object::Ptr& body);
Invite parseInvite(const Poco::JSON::Object::Ptr& body);
NewAccount parseNewAccount(const Poco::JSON::Object::Ptr& body);
Subscribe parseSubscribe(const Poco::JSON::Object::Ptr& body);
ChangeSubscription parseChangeSubscription(const Poco::JSON::Object::Ptr& body);
RecordPayment parseRecordPayment(const Poco::JSON::Object::Ptr& body);
IssueCreditNote parseIssueCreditNote(const Poco::JSON::Object::Ptr& body);
// POST /api/v1/signup: "association" and "manager" objects (each nullopt when absent or null), the
// identity fields and the address as given; the password as typed.
Signup parseSignup(const Poco::JSON::Object::Ptr& body);
// PATCH /api/v1/associations/{id}: only the fields present are given, null or "" to clear one;
// any other member is listed in unknownFields. A null body is "invalid_body".
UpdateIdentity parseUpdateIdentity(const Poco::JSON::Object::Ptr& body);
// POST /api/v1/plans and PUT /api/v1/plans/{slug}: a name or description as one text or as
// {"fr", "en"}; a template that is not text is "invalid_template", a price or a quota of a known
// metric that is not an object "wrong_type"; a member of an unknown metric is passed on, for the
// domain to refuse by name.
PlanDefinition parsePlanDefinition(const Poco::JSON::Object::Ptr& body);

}  // namespace chatiere::manager::api
