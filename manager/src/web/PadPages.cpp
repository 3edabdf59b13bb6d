// An editor's pads page (/services/{id}/pads): its pads with their links, last edit and revisions,
// a form to create one, and for managers a delete link to a confirmation page (a form, no script).
// The dashboard shows the same section for each editor (web/PadsSection.h), with its forms coming
// back there (`from=dashboard`); this page is the whole view that waits for a slow editor as long
// as the API does, and where a refused form is shown again with its error. When Etherpad does not
// answer, the page says so (with a 503 status) instead of an error page; every other refusal is
// PadService's.

#include "domain/Access.h"
#include "web/PadsSection.h"
#include "web/Web.h"

namespace chatiere::manager::web {

namespace {

// The service, checked as PadService checks it: 404 for another association's, then 409
// not_an_editor.
Service editor(Pages& pages, const Actor& actor, const std::string& serviceId) {
    Service service = pages.app().services.get(actor, serviceId);
    if (!pages.app().pads.isEditor(service)) {
        throw Error(ErrorKind::Conflict, "not_an_editor", "Only an editor has pads.");
    }
    return service;
}

void renderPads(Pages& pages, http::Request& r, const Actor& actor, const std::string& serviceId, int status,
                const PadsForm& form, bool unavailable, const std::string& notice) {
    const std::string lang = pages.language(r);
    const Service service = editor(pages, actor, serviceId);
    const AssociationAccess access =
        pages.app().associations.access(actor, service.associationId, Permission::ViewServices);
    mstch::map data = padsSection(pages, actor, service, access, PadsPlace::PadsPage, form, unavailable);
    data.emplace("association_id", service.associationId);
    data.emplace("association_name", access.association().name);
    if (!notice.empty()) {
        data.emplace("notice", notice);
    }
    pages.sendTitled(r, status, "pads", pages.words().text(lang, "pads_title") + " — " + service.name,
                     std::move(data), actor);
}

// After a pad is created or deleted: back where the form was, saying so.
void redirectDone(Pages& pages, http::Request& r, const Actor& actor, const std::string& serviceId,
                  PadsPlace place, const std::string& done) {
    if (place == PadsPlace::Dashboard) {
        const Service service = pages.app().services.get(actor, serviceId);
        pages.redirect(
            r, "/associations/" + service.associationId + "?done=pad_" + done + "#pads-" + service.id);
    } else {
        pages.redirect(r, "/services/" + serviceId + "/pads?done=" + done);
    }
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
        renderPads(pages, r, *actor, r.param("id"), 200, {}, false, notice);
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
            redirectDone(pages, r, post->actor, id, padsPlaceOf(post->form.get("from", "")), "created");
        } catch (const Error& e) {
            // The form again on the pads page, with what was typed and why it was refused.
            const std::string lang = pages.language(r);
            PadsForm form{command.name, text, ""};
            bool unavailable = false;
            if (e.code() == "invalid_name") {
                form.nameError = pages.words().text(lang, "pads_name_hint");
            } else if (e.kind() == ErrorKind::Unavailable) {
                unavailable = true;
            } else if (e.kind() == ErrorKind::Validation || e.kind() == ErrorKind::Conflict) {
                form.nameError = pages.words().error(lang, e.code());
            } else {
                throw;
            }
            renderPads(pages, r, post->actor, id, httpStatusOf(e.kind()), form, unavailable, "");
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
        const PadsPlace place = padsPlaceOf(r.query("from").value_or(""));
        mstch::map data;
        data.emplace("id", s.id);
        data.emplace("name", s.name);
        data.emplace("pad", r.param("name"));
        data.emplace("from_dashboard", place == PadsPlace::Dashboard);
        data.emplace("cancel", padsPageOf(s, place));
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
            renderPads(pages, r, post->actor, id, 503, {}, true, "");
            return;
        }
        redirectDone(pages, r, post->actor, id, padsPlaceOf(post->form.get("from", "")), "deleted");
    }));
}

}  // namespace chatiere::manager::web
