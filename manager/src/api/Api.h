#pragma once

#include "billing/BillingService.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/base/Clock.h"
#include "chatiere/templates/Catalogue.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "domain/AuthService.h"
#include "domain/Invitations.h"
#include "domain/PasswordResets.h"
#include "domain/PlanService.h"
#include "http/Router.h"
#include "monitoring/ServerOverview.h"
#include "monitoring/StatusReport.h"
#include "monitoring/UsageService.h"
#include "hosting/ServiceManager.h"

#include <functional>
#include <optional>
#include <string>

namespace chatiere::manager::api {

// The session cookie's name; `__Host-chatiere_session` when the public URL is HTTPS.
inline constexpr const char* kSessionCookie = "chatiere_session";

// What the JSON API handlers reach: the services, never the database or libvirt directly.
struct ApiContext {
    const Settings& settings;
    AuthService& auth;
    AssociationService& associations;
    PlanService& plans;
    ServiceManager& services;
    const templates::Catalogue& catalogue;
    Database& db;  // read-only views (audit log, health)
    UsageService& usage;
    BillingService& billing;
    std::function<std::string()> metrics;  // the Prometheus text
    // A website service's content as a tar (read from its data volume); empty when it has none.
    std::function<std::string(const Service&)> siteArchive;
    base::Clock& clock;
    const Calendar& calendar;  // the installation's days (billing periods, usage days)
    PasswordResets& passwordResets;
    Invitations& invitations;
    ServerOverview& overview;
    const StatusReport& status;  // the public status page's figures

    // The session cookie's name here (see http::cookieName).
    std::string sessionCookie() const { return http::cookieName(kSessionCookie, settings.secureCookies()); }
    // The caller from `Authorization: Bearer …` or the session cookie; nullopt when anonymous. A
    // request with the cookie that may change something has passed http::SameOriginGuard first.
    std::optional<Actor> currentActor(http::Request& request) const;
    // Like currentActor, but 401 when anonymous.
    Actor requireActor(http::Request& request) const;
};

// `limit` (1–200, default 50) and `cursor` query parameters of list endpoints.
struct Page {
    int limit = 50;
    std::string cursor;
};
Page pageOf(http::Request& request);
// "fr" unless the request prefers English (Accept-Language) or names a language.
std::string languageOf(http::Request& request);

Poco::JSON::Object associationJson(const Association& a);
Poco::JSON::Object serviceJson(const Service& s);
Poco::JSON::Object memberJson(const Membership& m);

// The terms of service in `language` (terms.file, or web.dir/terms.<language>.md); 503 when unreadable.
std::string readTerms(const Settings& settings, const std::string& language);

void registerAuthRoutes(http::Router& router, ApiContext& ctx);
void registerAssociationRoutes(http::Router& router, ApiContext& ctx);
void registerPlanRoutes(http::Router& router, ApiContext& ctx);
void registerServiceRoutes(http::Router& router, ApiContext& ctx);
void registerSystemRoutes(http::Router& router, ApiContext& ctx);
void registerUsageRoutes(http::Router& router, ApiContext& ctx);
void registerBillingRoutes(http::Router& router, ApiContext& ctx);
void registerExportRoutes(http::Router& router, ApiContext& ctx);

}  // namespace chatiere::manager::api
