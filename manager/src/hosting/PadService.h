#pragma once

#include "chatiere/base/Clock.h"
#include "chatiere/manager/Database.h"
#include "chatiere/templates/Catalogue.h"
#include "domain/Actor.h"
#include "domain/AssociationService.h"
#include "hosting/EtherpadApi.h"
#include "hosting/ServiceManager.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager {

// A pad of an editor, as Chatière lists it: `url` is the service's endpoint + "/p/" + name.
struct Pad {
    std::string name;
    std::string url;
    std::string lastEdited;  // ISO 8601 UTC, from Etherpad's milliseconds
    int64_t revisions = 0;
};

// A new pad: its name (checked by create) and, optionally, its first text.
struct CreatePad {
    std::string name;
    std::optional<std::string> text;
};

// A pad's content, as the export keeps it.
struct PadContent {
    std::string name;
    std::string text;
    std::string html;
};

// 1 to 50 ASCII letters, digits, '-' and '_': what a pad may be called here (no '/', no "..", no
// space, nothing outside ASCII), so that a name is safe in a URL and in a zip path.
bool isPadName(const std::string& name);

// The pads of an association's editor services, through Etherpad's HTTP API (Etherpad itself has
// no index of pads: Chatière is where an association finds its pads' links again).
// Rules, in this order: the service must be the caller's association's (404 otherwise, as for
// every service), of kind `editor` (409 `not_an_editor`), the caller allowed (members list and
// create: Permission::ViewServices / EditPads; managers and the admin delete: ManageServices), a
// valid name (400 `invalid_name`), the service active and not suspended (409 `invalid_state`: a
// suspended editor's guest is paused, there is nobody to ask), its endpoint known (503
// `service_unavailable` otherwise). Etherpad down or refusing: 503 `service_unavailable`, nothing
// created. Creation and deletion are audited (`pad.create`, `pad.delete`), listing is not.
class PadService {
public:
    PadService(Database& db, base::Clock& clock, const templates::Catalogue& catalogue,
               AssociationService& associations, ServiceManager& services, EditorEndpoints& endpoints,
               EtherpadApi& etherpad);

    // Sorted by name. With a `deadline`, Etherpad is not waited for past it (503
    // `service_unavailable`, as when it does not answer): for a page that must stay fast.
    std::vector<Pad> list(const Actor& actor, const std::string& serviceId,
                          std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
    Pad create(const Actor& actor, const std::string& serviceId, const CreatePad& command);
    void remove(const Actor& actor, const std::string& serviceId, const std::string& name);

    // Every pad's text and HTML of an active editor, for its association's export (the caller has
    // checked who may export). Throws Error `service_unavailable` when Etherpad does not answer.
    std::vector<PadContent> contents(const Service& service);

    // Whether the service is an editor (of the catalogue's kind `editor`).
    bool isEditor(const Service& service) const;

private:
    // The service, checked in the order above (up to its state), and its endpoint.
    std::pair<Service, EditorEndpoint> reach(const Actor& actor, const std::string& serviceId,
                                             Permission permission, const std::string* name);
    EditorEndpoint endpointOf(const Service& service);
    std::string urlOf(const Service& service, const EditorEndpoint& at, const std::string& name) const;

    Database& db_;
    base::Clock& clock_;
    const templates::Catalogue& catalogue_;
    AssociationService& associations_;
    ServiceManager& services_;
    EditorEndpoints& endpoints_;
    EtherpadApi& etherpad_;
};

}  // namespace chatiere::manager
