#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/manager/Settings.h"
#include "chatiere/templates/Catalogue.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "hosting/PublicAddresses.h"
#include "store/Services.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace chatiere::manager {

// A new service of an association: a template of the catalogue and a name (checked by create).
struct CreateService {
    std::string templateName;
    std::string name;
    std::optional<std::string> domain;  // the association's own domain instead of the default name
    std::optional<std::string> mailDomain = {};  // a mail service's domain (required for kind mail, only there)
};

// New resources for a service; each absent one stays as it is (at least one is given).
struct ResizeService {
    std::optional<int64_t> vcpus;
    std::optional<int64_t> memoryMib;
    std::optional<int64_t> diskGib;
};

// An association's services: creation within its plan's limits, suspension by reasons, deletion.
// Each change is one transaction with its audit entry and the provisioning job that carries it
// out; the answer comes before the guest exists (202).
class ServiceManager {
public:
    ServiceManager(Database& db, base::Clock& clock, const Settings& settings,
                   const templates::Catalogue& catalogue, AssociationService& associations,
                   std::function<void()> jobQueued);

    Service create(const Actor& actor, const std::string& associationId, const CreateService& command);
    std::vector<Service> list(const Actor& actor, const std::string& associationId);
    std::vector<Service> list(const AssociationAccess& access);
    Service get(const Actor& actor, const std::string& serviceId);
    // The admin suspends for `admin`, a manager for `association`; each resumes only its own reason.
    Service suspend(const Actor& actor, const std::string& serviceId);
    Service resume(const Actor& actor, const std::string& serviceId);
    Service remove(const Actor& actor, const std::string& serviceId);
    // New vCPUs, memory or disk size (which only grows), within the plan's limits: the guest is
    // stopped, its volume grown, and it starts again with the new resources.
    Service resize(const Actor& actor, const std::string& serviceId, const ResizeService& command);
    // The association's own domain for the service (managers, admin), or back to its default name
    // (nullopt or ""): see checkOwnDomain for what is refused. The proxy serves the new name at its
    // next pass, which this wakes (jobQueued).
    Service setDomain(const Actor& actor, const std::string& serviceId,
                      const std::optional<std::string>& domain);
    // Where a visitor opens the service and the certificate its name serves.
    struct Address {
        std::optional<std::string> publicUrl;
        std::optional<TlsView> tls;
    };
    Address addressOf(const Service& service);
    // Replaces a website's content with an uploaded .tar.gz, .zip or .tar (checked: safe paths,
    // files and folders only, unpacked size within the service's disk). Allowed while suspended,
    // so that an association over its quota can clean up.
    Service replaceContent(const Actor& actor, const std::string& serviceId, const std::string& upload);

    // Adds or removes one suspension reason, in the caller's transaction: the reasons stored, an
    // `apply` job queued, the audit entry written. False when nothing changed. The caller wakes
    // the provisioner (jobQueued) once the transaction commits.
    static bool changeReason(Session& s, const Actor& actor, Service& service, const std::string& reason,
                             bool add, const std::string& at);
    void jobQueued() { jobQueued_(); }

    // The live service, if the caller may act on it with `permission`: 404 for another
    // association's service (or none), 403 for a role that may not.
    Service authorized(const Actor& actor, const std::string& serviceId, Permission permission);

private:
    Service changeReasons(const Actor& actor, const std::string& serviceId, bool add);
    // A free port of the settings' range, not in `taken` (which it joins).
    int allocatePort(std::set<int>& taken);
    std::string nowText() const;

    Database& db_;
    base::Clock& clock_;
    const Settings& settings_;
    const templates::Catalogue& catalogue_;
    AssociationService& associations_;
    std::function<void()> jobQueued_;
};

}  // namespace chatiere::manager
