#pragma once

#include "billing/BillingService.h"
#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "hosting/MailService.h"
#include "hosting/PadService.h"
#include "hosting/ServiceManager.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// An association's usage on one local day, as exported. A figure never measured (the volume
// could not be read that day) is nullopt, neither 0 nor an error.
struct ExportedUsageDay {
    std::string day;
    int64_t samples = 0;
    double cpuSeconds = 0;
    std::optional<int64_t> storedBytesAvg;
    std::optional<int64_t> storedBytesMax;
    int64_t transferBytes = 0;  // sent through the proxy
};

// A numbered invoice or credit note with its PDF.
struct ExportedInvoice {
    Invoice invoice;
    std::string pdf;
};

// A website's content as the tar archive it serves.
struct ExportedSite {
    std::string serviceName;
    std::string tar;
};

// An editor's pads (text and HTML). When Etherpad did not answer, `unavailable` says why and the
// export goes on without them: the README and association.json's `pads` say which are missing.
struct ExportedPads {
    std::string serviceName;
    std::vector<PadContent> pads;
    std::optional<std::string> unavailable;
};

// Everything Chatière holds of an association (GET …/export puts it in a zip).
struct AssociationExport {
    std::string exportedAt;
    Association association;
    std::vector<Membership> members;
    std::vector<Service> services;  // deleted ones too
    std::vector<Subscription> subscriptions;
    std::vector<ExportedInvoice> invoices;  // numbered only: a draft is not the association's yet
    std::vector<ExportedSite> sites;
    std::vector<ExportedPads> pads;  // each editor not deleted
    std::vector<ExportedMail> mail;  // each mail service not deleted
    std::vector<ExportedUsageDay> usageDaily;
};

// An association's data for it to leave whenever it wants (a CHATONS promise): its managers and
// the admin gather it; each export is audited.
class ExportService {
public:
    ExportService(Database& db, base::Clock& clock, AssociationService& associations,
                  ServiceManager& services, BillingService& billing,
                  std::function<std::string(const Service&)> siteArchive, PadService* pads = nullptr,
                  MailService* mail = nullptr);

    // 404 for an association the caller cannot see, 403 for one it may not export.
    AssociationExport gather(const Actor& actor, const std::string& associationId,
                             const std::string& language);
    // The audit entry of an export of `bytes` bytes, once it is built.
    void recordExport(const Actor& actor, const AssociationExport& exported, int64_t bytes);

private:
    std::vector<ExportedUsageDay> usageDays(const std::string& associationId);
    ExportedPads editorPads(const Service& service);

    Database& db_;
    base::Clock& clock_;
    AssociationService& associations_;
    ServiceManager& services_;
    BillingService& billing_;
    std::function<std::string(const Service&)> siteArchive_;
    PadService* pads_;
    MailService* mail_;
};

}  // namespace chatiere::manager
