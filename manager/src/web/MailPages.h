#pragma once

#include "domain/AssociationAccess.h"
#include "web/Web.h"

#include <mstch/mstch.hpp>

#include <vector>

namespace chatiere::manager::web {

// The dashboard's "Messagerie" / "Mail" sections: for each live mail service of `services`, its
// name, domain, number of mailboxes and a link to its mail page (MailPages.cpp). `access` is the
// caller's access to the association the services are of.
mstch::array mailSections(Pages& pages, const AssociationAccess& access,
                          const std::vector<Service>& services);

}  // namespace chatiere::manager::web
