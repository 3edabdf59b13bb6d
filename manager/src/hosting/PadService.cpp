#include "hosting/PadService.h"

#include "chatiere/manager/Error.h"
#include "chatiere/manager/Time.h"
#include "domain/AuditLog.h"

#include <algorithm>

namespace chatiere::manager {

namespace {

constexpr std::size_t kMaxPadName = 50;
// A pad's first text: at most 1 MB, which Etherpad takes in one call.
constexpr std::size_t kMaxPadText = 1 << 20;

Error invalidName() {
    return Error(ErrorKind::Validation, "invalid_name",
                 "A pad's name: 1 to 50 ASCII letters, digits, '-' and '_'.",
                 {{"name", "invalid_name", "1 to 50 ASCII letters, digits, '-' and '_'."}});
}

}  // namespace

bool isPadName(const std::string& name) {
    if (name.empty() || name.size() > kMaxPadName) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
    });
}

PadService::PadService(Database& db, base::Clock& clock, const templates::Catalogue& catalogue,
                       AssociationService& associations, ServiceManager& services, EditorEndpoints& endpoints,
                       EtherpadApi& etherpad)
    : db_(db),
      clock_(clock),
      catalogue_(catalogue),
      associations_(associations),
      services_(services),
      endpoints_(endpoints),
      etherpad_(etherpad) {}

bool PadService::isEditor(const Service& service) const {
    const auto* manifest = catalogue_.find(service.templateName);
    return manifest && manifest->kind == "editor";
}

EditorEndpoint PadService::endpointOf(const Service& service) {
    const auto at = endpoints_.find(service.id);
    if (!at) {
        throw Error(ErrorKind::Unavailable, "service_unavailable",
                    "The editor " + service.name + " has no address yet: try again once it is running.");
    }
    return *at;
}

std::pair<Service, EditorEndpoint> PadService::reach(const Actor& actor, const std::string& serviceId,
                                                     Permission permission, const std::string* name) {
    // 404 for another association's service (or none), then 403 for a role that may not.
    Service service = services_.get(actor, serviceId);
    associations_.authorize(actor, service.associationId, permission);
    if (!isEditor(service)) {
        throw Error(ErrorKind::Conflict, "not_an_editor", "Only an editor has pads.");
    }
    if (name && !isPadName(*name)) {
        throw invalidName();
    }
    if (service.state != ServiceState::Active || !service.suspendedFor.empty()) {
        throw Error(
            ErrorKind::Conflict, "invalid_state",
            "The editor is " + service.displayState() + ": its pads are reachable once it is active.");
    }
    const EditorEndpoint at = endpointOf(service);
    return {std::move(service), at};
}

std::string PadService::urlOf(const Service& service, const EditorEndpoint& at,
                              const std::string& name) const {
    const std::string base =
        service.endpoint ? *service.endpoint : "http://127.0.0.1:" + std::to_string(at.hostPort);
    return (base.empty() || base.back() != '/' ? base : base.substr(0, base.size() - 1)) + "/p/" + name;
}

std::vector<Pad> PadService::list(const Actor& actor, const std::string& serviceId,
                                  std::optional<std::chrono::steady_clock::time_point> deadline) {
    auto [service, at] = reach(actor, serviceId, Permission::ViewServices, nullptr);
    at.deadline = deadline;
    std::vector<std::string> names = etherpad_.listAllPads(at);
    std::sort(names.begin(), names.end());
    std::vector<Pad> pads;
    for (const auto& name : names) {
        if (!isPadName(name)) {
            continue;  // not one of ours (a group pad "g.…$name"): it has no address here
        }
        Pad pad;
        pad.name = name;
        pad.url = urlOf(service, at, name);
        const int64_t ms = etherpad_.getLastEdited(at, name);
        pad.lastEdited = formatTime(TimePoint(std::chrono::milliseconds(ms)));
        pad.revisions = etherpad_.getRevisionsCount(at, name);
        pads.push_back(std::move(pad));
    }
    return pads;
}

Pad PadService::create(const Actor& actor, const std::string& serviceId, const CreatePad& command) {
    const auto [service, at] = reach(actor, serviceId, Permission::EditPads, &command.name);
    if (command.text && command.text->size() > kMaxPadText) {
        throw Error(ErrorKind::Validation, "text_too_long", "A pad's first text: at most 1 MB.",
                    {{"text", "too_long", "At most 1 MB."}});
    }
    etherpad_.createPad(at, command.name, command.text);
    Pad pad;
    pad.name = command.name;
    pad.url = urlOf(service, at, command.name);
    auto s = db_.session();
    Poco::JSON::Object details;
    details.set("name", command.name);
    AuditLog::record(s, actor, formatTime(clock_.now()), "pad.create", "service", service.id,
                     service.associationId, details);
    return pad;
}

void PadService::remove(const Actor& actor, const std::string& serviceId, const std::string& name) {
    const auto [service, at] = reach(actor, serviceId, Permission::ManageServices, &name);
    etherpad_.deletePad(at, name);
    auto s = db_.session();
    Poco::JSON::Object details;
    details.set("name", name);
    AuditLog::record(s, actor, formatTime(clock_.now()), "pad.delete", "service", service.id,
                     service.associationId, details);
}

std::vector<PadContent> PadService::contents(const Service& service) {
    const EditorEndpoint at = endpointOf(service);
    std::vector<std::string> names = etherpad_.listAllPads(at);
    std::sort(names.begin(), names.end());
    std::vector<PadContent> out;
    for (const auto& name : names) {
        if (!isPadName(name)) {
            continue;
        }
        try {
            out.push_back({name, etherpad_.getText(at, name), etherpad_.getHTML(at, name)});
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::NotFound) {
                throw;
            }
            // Deleted since it was listed: it is not the association's any more.
        }
    }
    return out;
}

}  // namespace chatiere::manager
