#include "web/PadsSection.h"

#include "chatiere/manager/Error.h"

namespace chatiere::manager::web {

namespace {

// A pad's last edit as the page shows it: its day and time (UTC), e.g. "2026-12-06 19:55 UTC".
std::string shownTime(const std::string& iso) {
    return iso.size() >= 16 ? iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC" : iso;
}

}  // namespace

PadsPlace padsPlaceOf(const std::string& from) {
    return from == "dashboard" ? PadsPlace::Dashboard : PadsPlace::PadsPage;
}

std::string padsPageOf(const Service& service, PadsPlace place) {
    return place == PadsPlace::Dashboard ? "/associations/" + service.associationId + "#pads-" + service.id
                                         : "/services/" + service.id + "/pads";
}

mstch::map padsSection(Pages& pages, const Actor& actor, const Service& service,
                       const AssociationAccess& access, PadsPlace place, const PadsForm& form,
                       bool unavailable, std::optional<std::chrono::steady_clock::time_point> deadline) {
    const bool dashboard = place == PadsPlace::Dashboard;
    const bool canDelete = access.allows(Permission::ManageServices);
    bool notActive = false;
    mstch::array rows;
    if (!unavailable) {
        try {
            for (const auto& pad : pages.app().pads.list(actor, service.id, deadline)) {
                mstch::map row;
                row.emplace("pad", pad.name);
                row.emplace("url", pad.url);
                row.emplace("last_edited", shownTime(pad.lastEdited));
                row.emplace("last_edited_iso", pad.lastEdited);
                row.emplace("revisions", std::to_string(pad.revisions));
                row.emplace("can_delete", canDelete);
                rows.push_back(std::move(row));
            }
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Unavailable) {
                unavailable = true;
            } else if (e.kind() == ErrorKind::Conflict && e.code() == "invalid_state") {
                notActive = true;
            } else {
                throw;
            }
        }
    }
    mstch::map data;
    data.emplace("service_id", service.id);
    data.emplace("service_name", service.name);
    data.emplace("dom_suffix", dashboard ? "-" + service.id : std::string());
    data.emplace("from_dashboard", dashboard);
    data.emplace("retry", padsPageOf(service, place));
    data.emplace("can_create", access.allows(Permission::EditPads));
    data.emplace("unavailable", unavailable);
    data.emplace("not_active", notActive);
    data.emplace("listed", !unavailable && !notActive);
    data.emplace("has_pads", !rows.empty());
    data.emplace("pads", std::move(rows));
    data.emplace("new_name", form.name);
    data.emplace("new_text", form.text);
    data.emplace("name_error", form.nameError);
    return data;
}

}  // namespace chatiere::manager::web
