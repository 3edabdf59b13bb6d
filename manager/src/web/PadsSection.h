#pragma once

#include "domain/AssociationAccess.h"
#include "web/Web.h"

#include <mstch/mstch.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace chatiere::manager::web {

// The create form of a pads section as it was posted back: its values, and the name's error.
struct PadsForm {
    std::string name;
    std::string text;
    std::string nameError;
};

// Where a pads section is shown, which decides its element ids, where its forms come back to and
// what its "try again" link reloads: the editor's pads page, or the association's dashboard (one
// section per editor, its ids suffixed with the service's id).
enum class PadsPlace { PadsPage, Dashboard };

// One editor's pads as pads_list.mustache shows them (the pads page's and the dashboard's): each
// pad's link, last edit and revisions (a delete link for those who may: managers and the admin),
// the create form (those who may create: members too), and instead of the list that the editor
// does not answer (`unavailable`: Etherpad down, too slow for `deadline`, or `unavailable` already
// known) or is not running. Every key the template reads is set, so that none is taken from the
// page around it. `service` is the caller's to have checked (services.get) and an editor; `access`
// is the caller's access to its association.
mstch::map padsSection(Pages& pages, const Actor& actor, const Service& service,
                       const AssociationAccess& access, PadsPlace place, const PadsForm& form = {},
                       bool unavailable = false,
                       std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

// The page a pads form posted with `from` (a hidden field or a query parameter) goes back to: the
// dashboard's section for "dashboard", the pads page otherwise (never an address from the request).
PadsPlace padsPlaceOf(const std::string& from);
std::string padsPageOf(const Service& service, PadsPlace place);

}  // namespace chatiere::manager::web
