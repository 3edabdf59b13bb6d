// The admin console's associations: the sign-ups waiting for a decision (the admins' notification
// mail links here), approved or rejected with a reason; and every association with its status,
// plan and services, each leading to its space; every service with its association, state,
// health and address. Staff only: others get 404.

#include "billing/Money.h"
#include "web/Web.h"

#include <map>
#include <set>

namespace chatiere::manager::web {

namespace {

void renderSignups(Pages& pages, http::Request& r, const Actor& actor, int status,
                   const std::string& noticeKey, const std::string& errorKey) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    mstch::array rows;
    for (const auto& a : pages.app().associations.list(actor, "", 200, AssociationStatus::Pending)) {
        mstch::map row;
        row.emplace("id", a.id);
        row.emplace("name", a.name);
        row.emplace("kind", words.text(lang, "signup_kind_" + a.kind));
        row.emplace("email", a.email);
        if (a.rna) {
            row.emplace("rna", *a.rna);
        }
        if (a.planSlug) {
            const auto plan = pages.app().plans.get(*a.planSlug);
            row.emplace("plan", lang == "en" ? plan.name.en : plan.name.fr);
        }
        row.emplace("received", formatDate(a.createdAt.substr(0, 10), lang));
        row.emplace("can_decide", actor.isAdmin());
        rows.push_back(std::move(row));
    }
    mstch::map data;
    data.emplace("has_signups", !rows.empty());
    data.emplace("signups", std::move(rows));
    if (!noticeKey.empty()) {
        data.emplace("notice", words.text(lang, noticeKey));
    }
    if (!errorKey.empty()) {
        data.emplace("error", words.text(lang, errorKey));
    }
    pages.send(r, status, "admin_signups", "admin_signups_title", std::move(data));
}

void renderAssociations(Pages& pages, http::Request& r, const Actor& actor) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    auto& api = pages.app();
    const auto filter = r.query("status");
    const bool filtered = filter && !filter->empty();
    const std::optional<AssociationStatus> wanted =
        filtered ? std::optional(requestedState<AssociationStatus>(*filter, "status")) : std::nullopt;
    mstch::array rows;
    for (const auto& a : api.associations.list(actor, "", 1000, wanted)) {
        mstch::map row;
        row.emplace("id", a.id);
        row.emplace("name", a.name);
        row.emplace("kind", words.text(lang, "signup_kind_" + a.kind));
        row.emplace("status", words.text(lang, "association_status_" + wireName(a.status)));
        row.emplace("email", a.email);
        if (a.planSlug) {
            const auto plan = api.plans.get(*a.planSlug);
            row.emplace("plan", lang == "en" ? plan.name.en : plan.name.fr);
        }
        int live = 0;
        for (const auto& s : api.services.list(actor, a.id)) {
            live += s.state != ServiceState::Deleted;
        }
        row.emplace("services", std::to_string(live));
        row.emplace("since", formatDate(a.createdAt.substr(0, 10), lang));
        rows.push_back(std::move(row));
    }
    mstch::array statuses;
    for (const AssociationStatus s : allStates<AssociationStatus>()) {
        mstch::map o;
        o.emplace("value", wireName(s));
        o.emplace("label", words.text(lang, "association_status_" + wireName(s)));
        o.emplace("selected", wanted == s);
        statuses.push_back(std::move(o));
    }
    mstch::map data;
    data.emplace("has_associations", !rows.empty());
    data.emplace("associations", std::move(rows));
    data.emplace("statuses", std::move(statuses));
    pages.send(r, 200, "admin_associations", "admin_associations_title", std::move(data));
}

void renderServices(Pages& pages, http::Request& r, const Actor& actor) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    auto& api = pages.app();
    // A state as the API shows it (`suspended` too); an unknown word is a 400.
    const std::string filter = r.query("state").value_or("");
    if (!filter.empty() && filter != "suspended") {
        requestedState<ServiceState>(filter, "state");
    }
    // The rollout of rebuilt images (the admin's): the services restarting, those that failed.
    std::map<std::string, std::string> rolling;  // service → its step
    std::set<std::string> failed;
    std::optional<RolloutStatus> rollout;
    if (actor.isAdmin()) {
        rollout = api.rollout.status(actor, std::nullopt);
        for (const auto& job : rollout->inProgress) {
            rolling[job.serviceId] = job.step;
        }
        for (const auto& o : rollout->outdated) {
            if (o.failed) {
                failed.insert(o.serviceId);
            }
        }
    }
    const auto replace = [](std::string text, const std::string& name, const std::string& value) {
        const auto at = text.find("{" + name + "}");
        return at == std::string::npos ? text : text.replace(at, name.size() + 2, value);
    };
    mstch::array rows;
    for (const auto& a : api.associations.list(actor, "", 1000, std::nullopt)) {
        for (const auto& s : api.services.list(actor, a.id)) {
            if (s.state == ServiceState::Deleted || (!filter.empty() && s.displayState() != filter)) {
                continue;
            }
            mstch::map row;
            row.emplace("name", s.name);
            row.emplace("association", a.name);
            row.emplace("association_id", a.id);
            const auto* manifest = api.catalogue.find(s.templateName);
            row.emplace("template",
                        manifest ? (lang == "en" ? manifest->title.en : manifest->title.fr) : s.templateName);
            std::string state = words.text(lang, "state_" + s.displayState());
            for (const auto& reason : s.suspendedFor) {
                state += " · " + words.text(lang, "reason_" + reason);
            }
            row.emplace("state", state);
            row.emplace("health", words.text(lang, "health_" + wireName(s.health)));
            row.emplace("degraded", s.health == ServiceHealth::Degraded || s.state == ServiceState::Failed);
            if (s.endpoint) {
                row.emplace("endpoint", *s.endpoint);
            }
            row.emplace("resources", std::to_string(s.vcpus) + " vCPU · " + std::to_string(s.memoryMib) +
                                         " " + words.text(lang, "unit_mib") + " · " +
                                         std::to_string(s.diskGib) + " " + words.text(lang, "unit_gib"));
            // Which build of its template's image the guest runs: up to date, or outdated (and why).
            std::string image = words.text(lang, "image_unknown");
            bool outdated = false;
            if (const auto it = rolling.find(s.id); it != rolling.end()) {
                image = replace(words.text(lang, "image_rolling_out"), "step", it->second);
                outdated = true;
            } else if (const auto built = api.rollout.imageOf(s)) {
                outdated = !built->current;
                image = built->current ? words.text(lang, "image_current")
                                       : replace(words.text(lang, "image_outdated"), "build",
                                                 built->build.empty() ? "?" : built->build.substr(0, 8));
                if (failed.count(s.id) > 0) {
                    image += " · " + words.text(lang, "image_rollout_failed");
                }
            }
            row.emplace("image", image);
            row.emplace("image_outdated", outdated);
            rows.push_back(std::move(row));
        }
    }
    mstch::array inProgress;
    if (rollout) {
        for (const auto& job : rollout->inProgress) {
            mstch::map o;
            o.emplace("name", job.serviceName);
            o.emplace("template", job.templateName);
            o.emplace("step", job.step);
            inProgress.push_back(std::move(o));
        }
    }
    mstch::array states;
    for (const char* st : {"requested", "provisioning", "active", "suspended", "failed", "deleting"}) {
        mstch::map o;
        o.emplace("value", std::string(st));
        o.emplace("label", words.text(lang, std::string("state_") + st));
        o.emplace("selected", filter == st);
        states.push_back(std::move(o));
    }
    mstch::map data;
    data.emplace("has_rollout", !inProgress.empty());
    data.emplace("rollout", std::move(inProgress));
    data.emplace("rollout_manual", rollout && !rollout->automatic && !rollout->outdated.empty());
    data.emplace("has_services", !rows.empty());
    data.emplace("services", std::move(rows));
    data.emplace("states", std::move(states));
    pages.send(r, 200, "admin_services", "admin_services_title", std::move(data));
}

}  // namespace

void registerAdminPages(http::Router& router, Pages& pages) {
    router.add("GET", "/admin/services", pages.page([&pages](http::Request& r) {
        if (const auto actor = pages.staff(r)) {
            renderServices(pages, r, *actor);
        }
    }));
    router.add("GET", "/admin/associations", pages.page([&pages](http::Request& r) {
        if (const auto actor = pages.staff(r)) {
            renderAssociations(pages, r, *actor);
        }
    }));
    router.add("GET", "/admin/signups", pages.page([&pages](http::Request& r) {
        if (const auto actor = pages.staff(r)) {
            const auto done = r.query("done");
            renderSignups(pages, r, *actor, 200,
                          done == "approved"   ? "admin_approved"
                          : done == "rejected" ? "admin_rejected"
                                               : "",
                          "");
        }
    }));
    router.add("POST", "/admin/signups/{id}/approve", pages.page([&pages](http::Request& r) {
        const auto actor = pages.staff(r);
        if (!actor || !pages.form(r)) {
            return;
        }
        pages.app().associations.approve(*actor, r.param("id"));
        pages.redirect(r, "/admin/signups?done=approved");
    }));
    router.add("POST", "/admin/signups/{id}/reject", pages.page([&pages](http::Request& r) {
        const auto post = pages.staffForm(r);
        if (!post) {
            return;
        }
        const Actor& actor = post->actor;
        const auto& form = post->form;
        try {
            pages.app().associations.reject(actor, r.param("id"), form.get("reason", ""));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation) {
                throw;
            }
            renderSignups(pages, r, actor, 400, "", "error_reason_missing");
            return;
        }
        pages.redirect(r, "/admin/signups?done=rejected");
    }));
}

}  // namespace chatiere::manager::web
