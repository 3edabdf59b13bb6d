// An editor's pads page (/services/{id}/pads, linked from the association's dashboard): its pads
// with their links, last edit and revisions, a form to create one, and for managers a delete link
// to a confirmation page (a form, no script). When Etherpad does not answer, the page says so
// (with a 503 status) instead of an error page; every other refusal is PadService's.

#include "chatiere/manager/Time.h"
#include "domain/Access.h"
#include "web/Web.h"

namespace chatiere::manager::web {

namespace {

// A pad's last edit as the page shows it: its day and time (UTC), e.g. "2026-12-06 19:55 UTC".
std::string shownTime(const std::string& iso) {
    return iso.size() >= 16 ? iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC" : iso;
}

struct PadsForm {
    std::string name;
    std::string text;
    std::string nameError;
    bool unavailable = false;
};

void renderPads(Pages& pages, http::Request& r, const Actor& actor, const std::string& serviceId, int status,
                const PadsForm& form, const std::string& notice) {
    auto& app = pages.app();
    const std::string lang = pages.language(r);
    // 404 for another association's service, then 403 / 409 not_an_editor as the API says.
    const Service service = app.services.get(actor, serviceId);
    if (!app.pads.isEditor(service)) {
        throw Error(ErrorKind::Conflict, "not_an_editor", "Only an editor has pads.");
    }
    const AssociationAccess access =
        app.associations.access(actor, service.associationId, Permission::ViewServices);
    mstch::map data;
    data.emplace("id", service.id);
    data.emplace("name", service.name);
    data.emplace("association_id", service.associationId);
    data.emplace("association_name", access.association().name);
    const bool canDelete = access.allows(Permission::ManageServices);
    data.emplace("can_create", access.allows(Permission::EditPads));
    bool unavailable = form.unavailable;
    bool notActive = false;
    mstch::array rows;
    if (!unavailable) {
        try {
            for (const auto& pad : app.pads.list(actor, serviceId)) {
                mstch::map row;
                row.emplace("service_id", service.id);
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
    data.emplace("unavailable", unavailable);
    data.emplace("not_active", notActive);
    data.emplace("listed", !unavailable && !notActive);
    data.emplace("has_pads", !rows.empty());
    data.emplace("pads", std::move(rows));
    data.emplace("new_name", form.name);
    data.emplace("new_text", form.text);
    if (!form.nameError.empty()) {
        data.emplace("name_error", form.nameError);
    }
    if (!notice.empty()) {
        data.emplace("notice", notice);
    }
    pages.sendTitled(r, status, "pads", pages.words().text(lang, "pads_title") + " — " + service.name,
                     std::move(data), actor);
}

}  // namespace

void registerPadPages(http::Router& router, Pages& pages) {
    router.add("GET", "/services/{id}/pads", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        const std::string lang = pages.language(r);
        std::string notice;
        if (const auto done = r.query("done"); done == "created" || done == "deleted") {
            notice = pages.words().text(lang, "pads_" + *done);
        }
        renderPads(pages, r, *actor, r.param("id"), 200, {}, notice);
    }));
    router.add("POST", "/services/{id}/pads", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        CreatePad command;
        command.name = post->form.get("name", "");
        const std::string text = post->form.get("text", "");
        if (!text.empty()) {
            command.text = text;
        }
        try {
            pages.app().pads.create(post->actor, id, command);
            pages.redirect(r, "/services/" + id + "/pads?done=created");
        } catch (const Error& e) {
            const std::string lang = pages.language(r);
            PadsForm form{command.name, text, "", false};
            if (e.code() == "invalid_name") {
                form.nameError = pages.words().text(lang, "pads_name_hint");
            } else if (e.kind() == ErrorKind::Unavailable) {
                form.unavailable = true;
            } else if (e.kind() == ErrorKind::Validation || e.kind() == ErrorKind::Conflict) {
                form.nameError = pages.words().error(lang, e.code());
            } else {
                throw;
            }
            renderPads(pages, r, post->actor, id, httpStatusOf(e.kind()), form, "");
        }
    }));
    router.add("GET", "/services/{id}/pads/{name}/delete", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        const Service s = pages.app().services.get(*actor, r.param("id"));
        pages.app().associations.authorize(*actor, s.associationId, Permission::ManageServices);
        if (!pages.app().pads.isEditor(s)) {
            throw Error(ErrorKind::Conflict, "not_an_editor", "Only an editor has pads.");
        }
        if (!isPadName(r.param("name"))) {
            throw Error(ErrorKind::Validation, "invalid_name", "No pad has this name.");
        }
        mstch::map data;
        data.emplace("id", s.id);
        data.emplace("name", s.name);
        data.emplace("pad", r.param("name"));
        pages.send(r, 200, "confirm_pad_delete", "pads_delete_title", std::move(data));
    }));
    router.add("POST", "/services/{id}/pads/{name}/delete", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        try {
            pages.app().pads.remove(post->actor, id, r.param("name"));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Unavailable) {
                throw;
            }
            renderPads(pages, r, post->actor, id, 503, {"", "", "", true}, "");
            return;
        }
        pages.redirect(r, "/services/" + id + "/pads?done=deleted");
    }));
}

}  // namespace chatiere::manager::web
