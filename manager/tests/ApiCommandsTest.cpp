#include "api/Commands.h"
#include "chatiere/manager/Error.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <map>

using namespace chatiere::manager;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

// The field errors (field → code) a parser throws for `json`; empty when it accepts it.
template <typename Parser>
std::map<std::string, std::string> fieldErrorsOf(Parser parser, const std::string& json) {
    try {
        parser(parse(json));
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Validation);
        std::map<std::string, std::string> out;
        for (const auto& f : e.fields()) {
            out[f.field] = f.code;
        }
        return out;
    }
    return {};
}

}  // namespace

TEST(ApiCommands, CreateServiceReadsTemplateAndNameTrimmed) {
    const auto c = api::parseCreateService(parse(R"({"template": " website ", "name": "site"})"));
    EXPECT_EQ(c.templateName, "website");
    EXPECT_EQ(c.name, "site");
}

TEST(ApiCommands, CreateServiceLeavesAbsentFieldsToTheService) {
    const auto c = api::parseCreateService(parse("{}"));
    EXPECT_EQ(c.templateName, "");
    EXPECT_EQ(c.name, "");
}

TEST(ApiCommands, CreateServiceRefusesWrongTypes) {
    const auto errors = fieldErrorsOf(api::parseCreateService, R"({"template": 3, "name": ["x"]})");
    EXPECT_EQ(errors,
              (std::map<std::string, std::string>{{"template", "wrong_type"}, {"name", "wrong_type"}}));
}

TEST(ApiCommands, ResizeServiceReadsTheGivenResources) {
    const auto c = api::parseResizeService(parse(R"({"vcpus": 2, "disk_gib": 10})"));
    EXPECT_EQ(c.vcpus, 2);
    EXPECT_FALSE(c.memoryMib);
    EXPECT_EQ(c.diskGib, 10);
}

TEST(ApiCommands, ResizeServiceRefusesWhatIsNotAWholeNumber) {
    const auto errors = fieldErrorsOf(api::parseResizeService, R"({"vcpus": "2", "memory_mib": true})");
    EXPECT_EQ(errors,
              (std::map<std::string, std::string>{{"vcpus", "wrong_type"}, {"memory_mib", "wrong_type"}}));
}

TEST(ApiCommands, GrantExceptionReadsUntilDaysAndReason) {
    const auto c = api::parseGrantException(parse(R"({"days": 3, "reason": " migration "})"));
    EXPECT_EQ(c.days, 3);
    EXPECT_FALSE(c.until);
    EXPECT_EQ(c.reason, "migration");
    EXPECT_EQ(api::parseGrantException(parse(R"({"until": "2026-12-31T00:00:00Z"})")).until,
              "2026-12-31T00:00:00Z");
}

TEST(ApiCommands, GrantExceptionRefusesWrongTypes) {
    const auto errors =
        fieldErrorsOf(api::parseGrantException, R"({"until": 5, "days": "3", "reason": false})");
    EXPECT_EQ(errors, (std::map<std::string, std::string>{
                          {"until", "wrong_type"}, {"days", "wrong_type"}, {"reason", "wrong_type"}}));
}

TEST(ApiCommands, AddMemberAndInviteReadEmailAndRole) {
    const auto member = api::parseAddMember(parse(R"({"email": "a@b.test", "role": "manager"})"));
    EXPECT_EQ(member.email, "a@b.test");
    EXPECT_EQ(member.role, "manager");
    const auto invite = api::parseInvite(parse(R"({"email": "c@d.test"})"));
    EXPECT_EQ(invite.email, "c@d.test");
    EXPECT_EQ(invite.role, "");
    EXPECT_EQ(fieldErrorsOf(api::parseAddMember, R"({"email": 1})"),
              (std::map<std::string, std::string>{{"email", "wrong_type"}}));
    EXPECT_EQ(fieldErrorsOf(api::parseInvite, R"({"email": "x@y.test", "role": 2})"),
              (std::map<std::string, std::string>{{"role", "wrong_type"}}));
}

TEST(ApiCommands, SubscribeReadsEveryField) {
    const auto c = api::parseSubscribe(parse(
        R"({"plan": "asso", "interval": "year", "start_date": "2026-01-01", "paid_through": "2026-06-30",
            "price_cents": 1200})"));
    EXPECT_EQ(c.plan, "asso");
    EXPECT_EQ(c.interval, "year");
    EXPECT_EQ(c.startDate, "2026-01-01");
    EXPECT_EQ(c.paidThrough, "2026-06-30");
    EXPECT_EQ(c.priceCents, 1200);
    const auto bare = api::parseSubscribe(parse("{}"));
    EXPECT_EQ(bare.plan, "");
    EXPECT_FALSE(bare.priceCents);
}

TEST(ApiCommands, SubscribeAndChangeRefuseWrongTypes) {
    EXPECT_EQ(fieldErrorsOf(api::parseSubscribe, R"({"plan": 1, "price_cents": "12"})"),
              (std::map<std::string, std::string>{{"plan", "wrong_type"}, {"price_cents", "wrong_type"}}));
    EXPECT_EQ(
        fieldErrorsOf(api::parseChangeSubscription, R"({"plan": "x", "interval": [], "price_cents": 1.5})"),
        (std::map<std::string, std::string>{{"interval", "wrong_type"}, {"price_cents", "wrong_type"}}));
    const auto c = api::parseChangeSubscription(parse(R"({"plan": "grand"})"));
    EXPECT_EQ(c.plan, "grand");
    EXPECT_EQ(c.interval, "");
    EXPECT_FALSE(c.priceCents);
}

TEST(ApiCommands, RecordPaymentReadsItsFields) {
    const auto c = api::parseRecordPayment(
        parse(R"({"amount_cents": 500, "method": "cheque", "reference": "n°12", "date": "2026-03-01"})"));
    EXPECT_EQ(c.amountCents, 500);
    EXPECT_EQ(c.method, "cheque");
    EXPECT_EQ(c.reference, "n°12");
    EXPECT_EQ(c.date, "2026-03-01");
    EXPECT_EQ(fieldErrorsOf(api::parseRecordPayment, R"({"amount_cents": "500", "method": 3})"),
              (std::map<std::string, std::string>{{"amount_cents", "wrong_type"}, {"method", "wrong_type"}}));
}

TEST(ApiCommands, IssueCreditNoteReadsAmountAndReason) {
    const auto c = api::parseIssueCreditNote(parse(R"({"reason": "erreur"})"));
    EXPECT_FALSE(c.amountCents);
    EXPECT_EQ(c.reason, "erreur");
    EXPECT_EQ(fieldErrorsOf(api::parseIssueCreditNote, R"({"amount_cents": true, "reason": {}})"),
              (std::map<std::string, std::string>{{"amount_cents", "wrong_type"}, {"reason", "wrong_type"}}));
}

TEST(ApiCommands, NewAccountReadsNamePasswordAndTerms) {
    const auto c = api::parseNewAccount(
        parse(R"({"token": "t", "name": "Ana", "password": "pw", "accept_terms": true})"));
    EXPECT_EQ(c.name, "Ana");
    EXPECT_EQ(c.password, "pw");
    EXPECT_EQ(c.acceptTerms, true);
    EXPECT_FALSE(api::parseNewAccount(parse("{}")).acceptTerms);
    EXPECT_EQ(fieldErrorsOf(api::parseNewAccount, R"({"name": 1, "accept_terms": "yes"})"),
              (std::map<std::string, std::string>{{"name", "wrong_type"}, {"accept_terms", "wrong_type"}}));
}

TEST(ApiCommands, SignupReadsAssociationManagerPlanAndTerms) {
    const auto c = api::parseSignup(parse(R"({
        "association": {"kind": "association", "name": " Jardin ", "email": "a@j.test", "rna": "W351234567",
                        "siren": "552100554", "legal_name": "Jardin partagé", "billing_email": "b@j.test",
                        "address": {"line1": "2 rue Haute", "postal_code": "35000", "city": "Rennes"}},
        "manager": {"name": "Camille", "email": "c@j.test", "password": " secret "},
        "plan": "asso", "accept_terms": true, "language": "en"})"));
    ASSERT_TRUE(c.association);
    EXPECT_EQ(c.association->kind, "association");
    EXPECT_EQ(c.association->name, "Jardin");
    EXPECT_EQ(c.association->email, "a@j.test");
    EXPECT_EQ(c.association->identity.rna, "W351234567");
    EXPECT_EQ(c.association->identity.siren, "552100554");
    EXPECT_FALSE(c.association->identity.siret);
    EXPECT_EQ(c.association->identity.legalName, "Jardin partagé");
    EXPECT_EQ(c.association->identity.billingEmail, "b@j.test");
    const AddressInput& address = c.association->identity.address;
    EXPECT_EQ(address.form, AddressInput::Form::Whole);
    EXPECT_EQ(address.line1, "2 rue Haute");
    EXPECT_EQ(address.postalCode, "35000");
    EXPECT_EQ(address.city, "Rennes");
    EXPECT_EQ(address.country, "");
    ASSERT_TRUE(c.manager);
    EXPECT_EQ(c.manager->name, "Camille");
    EXPECT_EQ(c.manager->password, " secret ");  // as typed
    EXPECT_EQ(c.plan, "asso");
    EXPECT_EQ(c.acceptTerms, true);
}

TEST(ApiCommands, SignupLeavesAbsentPartsToTheService) {
    const auto c = api::parseSignup(parse(R"({"association": null, "manager": {}})"));
    EXPECT_FALSE(c.association);
    ASSERT_TRUE(c.manager);
    EXPECT_FALSE(c.manager->password);
    EXPECT_EQ(c.plan, "");
    EXPECT_FALSE(c.acceptTerms);
    const auto line = api::parseSignup(parse(R"({"association": {"address": "2 rue Haute, Rennes"}})"));
    EXPECT_EQ(line.association->identity.address.form, AddressInput::Form::Line);
    EXPECT_EQ(line.association->identity.address.line1, "2 rue Haute, Rennes");
    EXPECT_EQ(api::parseSignup(parse(R"({"association": {}})")).association->identity.address.form,
              AddressInput::Form::Absent);
}

TEST(ApiCommands, SignupRefusesWrongTypesByTheirPath) {
    EXPECT_EQ(fieldErrorsOf(api::parseSignup, R"({"association": "Jardin", "manager": [], "plan": 1,
                                                  "accept_terms": "yes"})"),
              (std::map<std::string, std::string>{{"association", "wrong_type"},
                                                  {"manager", "wrong_type"},
                                                  {"plan", "wrong_type"},
                                                  {"accept_terms", "wrong_type"}}));
    EXPECT_EQ(fieldErrorsOf(api::parseSignup, R"({"association": {"name": 1, "siren": 552100554,
                                                  "address": {"city": 35}},
                                                  "manager": {"email": true, "password": 12345678}})"),
              (std::map<std::string, std::string>{{"association.name", "wrong_type"},
                                                  {"association.siren", "wrong_type"},
                                                  {"association.address.city", "wrong_type"},
                                                  {"manager.email", "wrong_type"},
                                                  {"manager.password", "wrong_type"}}));
    EXPECT_EQ(fieldErrorsOf(api::parseSignup, R"({"association": {"address": 3}})"),
              (std::map<std::string, std::string>{{"association.address", "wrong_type"}}));
}

TEST(ApiCommands, UpdateIdentityGivesOnlyThePresentFields) {
    const auto c = api::parseUpdateIdentity(parse(R"({"legal_name": " Jardin ", "siren": null, "rna": ""})"));
    EXPECT_EQ(c.identity.legalName, "Jardin");
    EXPECT_EQ(c.identity.siren, "");  // null clears
    EXPECT_EQ(c.identity.rna, "");
    EXPECT_FALSE(c.identity.siret);
    EXPECT_FALSE(c.identity.billingEmail);
    EXPECT_EQ(c.identity.address.form, AddressInput::Form::Absent);
    EXPECT_TRUE(c.unknownFields.empty());
    EXPECT_EQ(api::parseUpdateIdentity(parse(R"({"address": null})")).identity.address.form,
              AddressInput::Form::Null);
    const auto whole = api::parseUpdateIdentity(parse(
        R"({"address": {"line1": "2 rue Haute", "postal_code": "35000", "city": "Rennes", "country": "BE"}})"));
    EXPECT_EQ(whole.identity.address.form, AddressInput::Form::Whole);
    EXPECT_EQ(whole.identity.address.country, "BE");
}

TEST(ApiCommands, UpdateIdentityListsUnknownFieldsAndRefusesWrongTypes) {
    const auto c =
        api::parseUpdateIdentity(parse(R"({"name": "Autre", "siren": "552100554", "status": "x"})"));
    EXPECT_EQ(c.unknownFields, (std::vector<std::string>{"name", "status"}));
    EXPECT_EQ(c.identity.siren, "552100554");
    EXPECT_EQ(fieldErrorsOf(api::parseUpdateIdentity, R"({"billing_email": 1, "address": {"line1": []}})"),
              (std::map<std::string, std::string>{{"billing_email", "wrong_type"},
                                                  {"address.line1", "wrong_type"}}));
    try {
        api::parseUpdateIdentity(nullptr);
        ADD_FAILURE() << "a null body was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "invalid_body");
    }
}

TEST(ApiCommands, PlanDefinitionReadsEveryField) {
    const auto c = api::parsePlanDefinition(parse(R"({
      "slug": " asso-web ", "name": {"fr": "Site", "en": "Website"}, "description": "Un site",
      "templates": ["website", "Not Checked Here"], "free": false, "trial_days": 14,
      "prices": [{"interval": "month", "kind": "association", "amount_cents": 500, "membership_cents": 200,
                  "floor_cents": 100}],
      "quotas": {"disk_gib": {"included": 5, "limit": 10}, "vcpus": {"limit": 2}},
      "overage": {"disk_gib": {"unit_cents": 50}}})"));
    EXPECT_EQ(c.slug, "asso-web");
    EXPECT_EQ(c.name.form, LocalizedInput::Form::PerLanguage);
    EXPECT_EQ(c.name.fr, "Site");
    EXPECT_EQ(c.name.en, "Website");
    EXPECT_EQ(c.description.form, LocalizedInput::Form::OneText);
    EXPECT_EQ(c.description.text, "Un site");
    EXPECT_EQ(c.templates, (std::vector<std::string>{"website", "Not Checked Here"}));
    EXPECT_EQ(c.free, false);
    EXPECT_EQ(c.trialDays, 14);
    ASSERT_TRUE(c.prices);
    ASSERT_EQ(c.prices->size(), 1u);
    EXPECT_EQ(c.prices->at(0).interval, "month");
    EXPECT_EQ(c.prices->at(0).kind, "association");
    EXPECT_EQ(c.prices->at(0).amountCents, 500);
    EXPECT_EQ(c.prices->at(0).membershipCents, 200);
    EXPECT_EQ(c.prices->at(0).floorCents, 100);
    ASSERT_EQ(c.quotas.size(), 2u);
    EXPECT_EQ(c.quotas.at("disk_gib").included, 5);
    EXPECT_EQ(c.quotas.at("disk_gib").limit, 10);
    EXPECT_FALSE(c.quotas.at("vcpus").included);  // "missing" is the domain's to say
    EXPECT_EQ(c.overageUnitCents.at("disk_gib"), 50);
}

TEST(ApiCommands, PlanDefinitionLeavesAbsentAndNullFieldsUngiven) {
    for (const char* body : {"{}", R"({"slug": null, "name": null, "description": null, "templates": null,
                                      "free": null, "prices": null, "quotas": null, "overage": null,
                                      "trial_days": null})"}) {
        const auto c = api::parsePlanDefinition(parse(body));
        EXPECT_EQ(c.slug, "") << body;
        EXPECT_EQ(c.name.form, LocalizedInput::Form::Absent) << body;
        EXPECT_EQ(c.description.form, LocalizedInput::Form::Absent) << body;
        EXPECT_TRUE(c.templates.empty()) << body;
        EXPECT_FALSE(c.free) << body;
        EXPECT_FALSE(c.prices) << body;
        EXPECT_TRUE(c.quotas.empty()) << body;
        EXPECT_TRUE(c.overageUnitCents.empty()) << body;
        EXPECT_FALSE(c.trialDays) << body;
    }
    // Given empty is given: an empty list of prices, an absent price amount.
    const auto c = api::parsePlanDefinition(parse(R"({"prices": [{"interval": "month"}]})"));
    ASSERT_TRUE(c.prices);
    ASSERT_EQ(c.prices->size(), 1u);
    EXPECT_FALSE(c.prices->at(0).amountCents);
    EXPECT_FALSE(c.prices->at(0).membershipCents);
    EXPECT_FALSE(c.prices->at(0).floorCents);
    EXPECT_TRUE(api::parsePlanDefinition(parse(R"({"prices": []})")).prices->empty());
}

TEST(ApiCommands, PlanDefinitionRefusesWrongTypesByTheirPath) {
    using Errors = std::map<std::string, std::string>;
    const std::vector<std::pair<std::string, Errors>> cases = {
        {R"({"slug": 3})", {{"slug", "wrong_type"}}},
        {R"({"name": 5})", {{"name", "wrong_type"}}},
        {R"({"name": {"fr": 1, "en": ["x"]}})", {{"name.fr", "wrong_type"}, {"name.en", "wrong_type"}}},
        {R"({"description": true})", {{"description", "wrong_type"}}},
        {R"({"templates": "website"})", {{"templates", "wrong_type"}}},
        {R"({"templates": ["website", 3, null]})",
         {{"templates.1", "invalid_template"}, {"templates.2", "invalid_template"}}},
        {R"({"free": "oui"})", {{"free", "wrong_type"}}},
        {R"({"prices": {}})", {{"prices", "wrong_type"}}},
        {R"({"prices": ["month", null]})", {{"prices.0", "wrong_type"}, {"prices.1", "wrong_type"}}},
        {R"({"prices": [{"interval": 1, "kind": [], "amount_cents": "5", "membership_cents": 1.5,
                         "floor_cents": true}]})",
         {{"prices.0.interval", "wrong_type"},
          {"prices.0.kind", "wrong_type"},
          {"prices.0.amount_cents", "wrong_type"},
          {"prices.0.membership_cents", "wrong_type"},
          {"prices.0.floor_cents", "wrong_type"}}},
        {R"({"quotas": []})", {{"quotas", "wrong_type"}}},
        {R"({"quotas": {"vcpus": 2, "services": null}})",
         {{"quotas.vcpus", "wrong_type"}, {"quotas.services", "wrong_type"}}},
        {R"({"quotas": {"disk_gib": {"included": "1", "limit": 1.5}}})",
         {{"quotas.disk_gib.included", "wrong_type"}, {"quotas.disk_gib.limit", "wrong_type"}}},
        {R"({"overage": 3})", {{"overage", "wrong_type"}}},
        {R"({"overage": {"disk_gib": 50}})", {{"overage.disk_gib", "wrong_type"}}},
        {R"({"overage": {"disk_gib": {"unit_cents": "50"}}})",
         {{"overage.disk_gib.unit_cents", "wrong_type"}}},
        {R"({"trial_days": "14"})", {{"trial_days", "wrong_type"}}},
    };
    for (const auto& [body, expected] : cases) {
        EXPECT_EQ(fieldErrorsOf(api::parsePlanDefinition, body), expected) << body;
    }
}

TEST(ApiCommands, PlanDefinitionPassesAnUnknownMetricOnToBeRefusedByItsName) {
    // Whatever its value: the domain says "unknown_metric", as before the commands were typed.
    const auto c = api::parsePlanDefinition(
        parse(R"({"quotas": {"bananas": 3, "cpus": {"included": "x"}}, "overage": {"vcpus": 1}})"));
    EXPECT_EQ(c.quotas.size(), 2u);
    EXPECT_FALSE(c.quotas.at("bananas").included);
    EXPECT_FALSE(c.quotas.at("cpus").included);
    ASSERT_EQ(c.overageUnitCents.count("vcpus"), 1u);
    EXPECT_FALSE(c.overageUnitCents.at("vcpus"));
}
