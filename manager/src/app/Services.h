#pragma once

#include "app/ExportService.h"
#include "billing/BillingService.h"
#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/templates/Catalogue.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "domain/AuditLog.h"
#include "domain/AuthService.h"
#include "domain/Invitations.h"
#include "domain/PasswordResets.h"
#include "domain/PlanService.h"
#include "domain/TotpService.h"
#include "hosting/CertificateBook.h"
#include "hosting/ImageRollout.h"
#include "hosting/MailService.h"
#include "hosting/PadService.h"
#include "hosting/ServiceManager.h"
#include "http/Request.h"
#include "monitoring/ServerOverview.h"
#include "monitoring/StatusReport.h"
#include "monitoring/UsageService.h"

#include <functional>
#include <optional>
#include <string>

namespace chatiere::manager::app {

// The session cookie's name; `__Host-chatiere_session` when the public URL is HTTPS.
inline constexpr const char* kSessionCookie = "chatiere_session";

// The services of the daemon that the JSON API and the web pages both call (built by the Daemon,
// the composition root): neither reaches the database or libvirt but through them.
struct Services {
    const Settings& settings;
    AuthService& auth;
    AssociationService& associations;
    PlanService& plans;
    ServiceManager& services;
    const templates::Catalogue& catalogue;
    AuditQuery& audit;
    UsageService& usage;
    BillingService& billing;
    std::function<std::string()> metrics;   // the Prometheus text
    std::function<bool()> databaseAnswers;  // the health check (GET /healthz): a trivial query answered
    ExportService& exports;
    base::Clock& clock;
    const Calendar& calendar;  // the installation's days (billing periods, usage days)
    PasswordResets& passwordResets;
    Invitations& invitations;
    ServerOverview& overview;
    const StatusReport& status;     // the public status page's figures
    TotpService& totp;              // the second factor of one's own account
    PadService& pads;               // the pads of the editors (Etherpad's HTTP API)
    ImageRollout& rollout;          // which build each guest runs; rebuilt images rolled out
    CertificateBook& certificates;  // the public names' certificates (the admin's)
    MailService& mail;              // the mail services' mailboxes and aliases

    // The session cookie's name for this request (__Host- prefixed when its cookies are Secure, see
    // http::Request::secureCookies).
    static std::string sessionCookie(const http::Request& request) {
        return http::cookieName(kSessionCookie, request.secureCookies());
    }
};

// The caller from `Authorization: Bearer …` or the session cookie; nullopt when anonymous, 401 for
// a token or session that is unknown or expired.
std::optional<Actor> currentActor(const Services& app, http::Request& request);

// Whether the database answers a trivial query (what Services::databaseAnswers does).
bool databaseAnswers(Database& db);

}  // namespace chatiere::manager::app
