// The admin console, as it grows: the sign-ups waiting for a decision (the admins' notification
// mail links here), approved or rejected with a reason. Staff only: others get 404.

#include "billing/Money.h"
#include "web/Web.h"

namespace chatiere::manager::web {

namespace {

// A signed-in staff member; anyone else gets the login page (anonymous) or 404.
std::optional<Actor> staff(Pages& pages, http::Request& r) {
    auto actor = pages.signedIn(r);
    if (!actor) {
        return std::nullopt;
    }
    if (!actor->isStaff()) {
        throw Error::notFound("Page");
    }
    return actor;
}

void renderSignups(Pages& pages, http::Request& r, const Actor& actor, int status,
                   const std::string& noticeKey, const std::string& errorKey) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    mstch::array rows;
    for (const auto& a : pages.api().associations.list(actor, "", 200, std::string("pending"))) {
        mstch::map row;
        row.emplace("id", a.id);
        row.emplace("name", a.name);
        row.emplace("kind", words.text(lang, "signup_kind_" + a.kind));
        row.emplace("email", a.email);
        if (a.rna) {
            row.emplace("rna", *a.rna);
        }
        if (a.planSlug) {
            const auto plan = pages.api().plans.get(*a.planSlug);
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

}  // namespace

void registerAdminPages(http::Router& router, Pages& pages) {
    router.add("GET", "/admin/signups", pages.page([&pages](http::Request& r) {
        if (const auto actor = staff(pages, r)) {
            const auto done = r.query("done");
            renderSignups(pages, r, *actor, 200,
                          done == "approved"   ? "admin_approved"
                          : done == "rejected" ? "admin_rejected"
                                               : "",
                          "");
        }
    }));
    router.add("POST", "/admin/signups/{id}/approve", pages.page([&pages](http::Request& r) {
        const auto actor = staff(pages, r);
        if (!actor || !pages.form(r)) {
            return;
        }
        pages.api().associations.approve(*actor, r.param("id"));
        pages.redirect(r, "/admin/signups?done=approved");
    }));
    router.add("POST", "/admin/signups/{id}/reject", pages.page([&pages](http::Request& r) {
        const auto actor = staff(pages, r);
        if (!actor) {
            return;
        }
        const auto form = pages.form(r);
        if (!form) {
            return;
        }
        try {
            pages.api().associations.reject(*actor, r.param("id"), form->get("reason", ""));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation) {
                throw;
            }
            renderSignups(pages, r, *actor, 400, "", "error_reason_missing");
            return;
        }
        pages.redirect(r, "/admin/signups?done=rejected");
    }));
}

}  // namespace chatiere::manager::web
