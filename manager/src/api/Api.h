#pragma once

#include "app/Services.h"
#include "http/Router.h"

#include <Poco/JSON/Array.h>

#include <functional>
#include <optional>
#include <string>

namespace chatiere::manager::api {

using app::kSessionCookie;
using http::languageOf;

// What the JSON API handlers reach: the services, never the database or libvirt directly.
struct ApiContext : app::Services {
    explicit ApiContext(const app::Services& services) : app::Services(services) {}

    // The caller from `Authorization: Bearer …` or the session cookie; nullopt when anonymous. A
    // request with the cookie that may change something has passed http::SameOriginGuard first.
    // 403 totp_enrolment_required for a staff account that must enrol a second factor first.
    std::optional<Actor> currentActor(http::Request& request) const;
    // Like currentActor, but 401 when anonymous.
    Actor requireActor(http::Request& request) const;
    // Like requireActor, but lets a staff account that must still enrol its second factor through
    // (auth.require_totp_for_staff): only GET /api/v1/me and the enrolment routes use it. Everywhere
    // else such an account (its session or its API tokens) gets 403 totp_enrolment_required.
    Actor requireActorEnrolling(http::Request& request) const;
};

// `limit` (1–200, default 50) and `cursor` query parameters of list endpoints.
struct Page {
    int limit = 50;
    std::string cursor;
};
Page pageOf(http::Request& request);

Poco::JSON::Object associationJson(const Association& a);
Poco::JSON::Object serviceJson(const Service& s);
// With the build its guest runs (`image`: {"build", "current"}, null without a guest).
Poco::JSON::Object serviceJson(const Service& s, const std::optional<ServiceImage>& image);
// With its image, `public_url` and `tls` ({"status", "issuer", "not_after", "last_error"}; null
// while the proxy is off): what GET /services/{id} answers.
Poco::JSON::Object serviceJson(ApiContext& ctx, const Service& s);
Poco::JSON::Object rolloutJson(const RolloutStatus& status);
Poco::JSON::Object memberJson(const Membership& m);
Poco::JSON::Array alertsJson(const std::vector<Alert>& alerts);
// An invoice with its lines, what was paid, the credit balance (and the payment's id after one).
Poco::JSON::Object invoiceDetailsJson(const InvoiceDetails& details);

void registerAuthRoutes(http::Router& router, ApiContext& ctx);
void registerAssociationRoutes(http::Router& router, ApiContext& ctx);
void registerPlanRoutes(http::Router& router, ApiContext& ctx);
void registerServiceRoutes(http::Router& router, ApiContext& ctx);
void registerSystemRoutes(http::Router& router, ApiContext& ctx);
void registerUsageRoutes(http::Router& router, ApiContext& ctx);
void registerBillingRoutes(http::Router& router, ApiContext& ctx);
void registerExportRoutes(http::Router& router, ApiContext& ctx);
void registerPadRoutes(http::Router& router, ApiContext& ctx);
void registerMailRoutes(http::Router& router, ApiContext& ctx);

}  // namespace chatiere::manager::api
