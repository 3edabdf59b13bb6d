// A mail service's page (/services/{id}/mail, docs/web.md): its mailboxes (address, name, quota,
// what Dovecot last counted) and aliases for every member; for managers and the admin, the forms
// to create a mailbox, change its name and quota, reset its password (the new one shown once, in
// the answer to that POST only) and delete it after a confirmation page, and to create and delete
// aliases. The forms are parsed into MailService's commands, as the API's bodies are, and a
// refusal is shown by its field with what was typed (never a password) and nothing changed. The
// rules are MailService's: 404 for another association's service, 409 not_a_mail_service for a
// website, 403 for a member's change.

#include "web/MailPages.h"

#include "domain/Access.h"

#include <cstdio>
#include <functional>
#include <map>

namespace chatiere::manager::web {

namespace {

// A refused form as it was posted: which one (`mailbox`: the create form, `change` of the mailbox
// `localPart`, `alias`), its values by field, and each field's error; `alert` for a refusal that
// is no field's (a mailbox an alias still delivers to).
struct Typed {
    std::string form;
    std::string localPart;
    std::map<std::string, std::string> values;
    std::map<std::string, std::string> errors;
    std::string alert;

    std::string value(const std::string& field) const {
        const auto it = values.find(field);
        return it == values.end() ? std::string() : it->second;
    }
    std::string error(const std::string& field) const {
        const auto it = errors.find(field);
        return it == errors.end() ? std::string() : it->second;
    }
};

// A password made by Chatière, shown once in the page that answers the POST that made it.
struct ShownPassword {
    std::string address;
    std::string password;
};

// The message for a refusal's code: the mail pages' own words where the service's differ
// (mail_error_<code>: the quota in MiB, the plan's mail limits), else the pages' error_<code>.
std::string mailError(Pages& pages, const std::string& lang, const std::string& code) {
    const auto& words = pages.words().of(lang);
    const auto it = words.find("mail_error_" + code);
    return it != words.end() ? it->second : pages.words().error(lang, code);
}

// The refusal `e` of a mail form, put by its fields into `typed`: "destinations.N" is the
// destinations box; a plan's limit goes to the quota (a mailbox) or the destinations (an alias).
// False when `e` is not a refusal of what was typed (the caller rethrows it).
bool placeRefusal(Pages& pages, const std::string& lang, const Error& e, Typed& typed) {
    if ((e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Conflict) ||
        e.code() == "not_a_mail_service") {
        return false;
    }
    const auto add = [&](std::string field, const std::string& code) {
        if (field.rfind("destinations", 0) == 0) {
            field = "destinations";
        }
        std::string& text = field.empty() ? typed.alert : typed.errors[field];
        const std::string message = mailError(pages, lang, code);
        if (text.find(message) == std::string::npos) {
            text += (text.empty() ? "" : " ") + message;
        }
    };
    for (const auto& f : e.fields()) {
        add(f.field, f.code);
    }
    if (e.fields().empty()) {
        const bool alias = typed.form == "alias";
        if (e.code() == "quota_exceeded" && !alias) {
            add("quota_mib", e.code());
        } else if (e.code() == "external_forwards_not_allowed" && alias) {
            add("destinations", e.code());
        } else {
            add("", e.code());
        }
    }
    return true;
}

// A quota field: empty is none; anything but a whole number is 0, which MailService refuses as
// it refuses any quota out of range (invalid_quota).
std::optional<int64_t> quotaOf(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
        return 0;
    }
    return std::stoll(text);
}

// The destinations of an alias form: one a line or separated by commas, blanks dropped.
std::vector<std::string> destinationsOf(const std::string& text) {
    std::vector<std::string> out;
    std::string item;
    const auto flush = [&] {
        const auto first = item.find_first_not_of(" \t\r");
        if (first != std::string::npos) {
            out.push_back(item.substr(first, item.find_last_not_of(" \t\r") - first + 1));
        }
        item.clear();
    };
    for (const char c : text) {
        if (c == '\n' || c == ',') {
            flush();
        } else {
            item += c;
        }
    }
    flush();
    return out;
}

std::string mebibytes(int64_t bytes, const std::string& lang) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
    std::string out(text);
    if (lang == "fr") {
        out.replace(out.find('.'), 1, ",");
    }
    return out;
}

void renderMail(Pages& pages, http::Request& r, const Actor& actor, const std::string& serviceId, int status,
                const Typed& typed = {}, const std::string& notice = "",
                const std::optional<ShownPassword>& shown = std::nullopt) {
    const std::string lang = pages.language(r);
    auto& api = pages.app();
    const Service service = api.services.get(actor, serviceId);
    const auto boxes = api.mail.mailboxes(actor, serviceId);  // 409 not_a_mail_service
    const auto aliases = api.mail.aliases(actor, serviceId);
    const AssociationAccess access =
        api.associations.access(actor, service.associationId, Permission::ViewServices);
    const bool canManage =
        access.allows(Permission::ManageServices) && service.state != ServiceState::Deleting;
    const std::string domain = service.mailDomain.value_or("");

    mstch::array mailboxes;
    for (const auto& m : boxes) {
        const bool refused = typed.form == "change" && typed.localPart == m.mailbox.localPart;
        mstch::map row;
        row.emplace("address", m.address);
        row.emplace("local_part", m.mailbox.localPart);
        row.emplace("name", m.mailbox.name);
        row.emplace("quota_mib", std::to_string(m.mailbox.quotaMib));
        row.emplace("used_mib", m.mailbox.usedBytes ? mebibytes(*m.mailbox.usedBytes, lang) : "—");
        row.emplace("messages", m.mailbox.messages ? std::to_string(*m.mailbox.messages) : "—");
        row.emplace("edit_name", refused ? typed.value("name") : m.mailbox.name);
        row.emplace("edit_quota", refused ? typed.value("quota_mib") : std::to_string(m.mailbox.quotaMib));
        row.emplace("name_error", refused ? typed.error("name") : std::string());
        row.emplace("quota_error", refused ? typed.error("quota_mib") : std::string());
        mailboxes.push_back(std::move(row));
    }
    mstch::array aliasRows;
    for (const auto& a : aliases) {
        std::string to;
        for (const auto& d : a.destinations) {
            to += (to.empty() ? "" : ", ") + d;
        }
        mstch::map row;
        row.emplace("address", a.localPart + "@" + domain);
        row.emplace("local_part", a.localPart);
        row.emplace("destinations", to);
        aliasRows.push_back(std::move(row));
    }

    // The records the domain needs, each with its state as the resolver sees it.
    mstch::array dnsRows;
    for (const auto& record : pages.app().mail.dnsRecords(actor, service.id)) {
        mstch::map row;
        row.emplace("type", record.type);
        row.emplace("name", record.name);
        row.emplace("value", record.value);
        row.emplace("purpose", pages.words().text(lang, "mail_dns_purpose_" + record.purpose));
        row.emplace("status", record.status);
        row.emplace("status_text", pages.words().text(lang, "mail_dns_status_" + record.status));
        dnsRows.push_back(std::move(row));
    }

    mstch::map data;
    data.emplace("dns_records", std::move(dnsRows));
    data.emplace("service_id", service.id);
    data.emplace("service_name", service.name);
    data.emplace("domain", domain);
    data.emplace("association_id", service.associationId);
    data.emplace("association_name", access.association().name);
    data.emplace("can_manage", canManage);
    data.emplace("has_mailboxes", !mailboxes.empty());
    data.emplace("mailboxes", std::move(mailboxes));
    data.emplace("has_aliases", !aliasRows.empty());
    data.emplace("aliases", std::move(aliasRows));
    if (!notice.empty()) {
        data.emplace("notice", notice);
    }
    if (!typed.alert.empty()) {
        data.emplace("alert", typed.alert);
    }
    if (shown) {
        mstch::map s;
        s.emplace("address", shown->address);
        s.emplace("password", shown->password);
        data.emplace("shown", std::move(s));
    }
    const bool newBox = typed.form == "mailbox";
    data.emplace("new_local_part", newBox ? typed.value("local_part") : std::string());
    data.emplace("new_name", newBox ? typed.value("name") : std::string());
    data.emplace("new_quota", newBox ? typed.value("quota_mib") : std::string());
    data.emplace("local_part_error", newBox ? typed.error("local_part") : std::string());
    data.emplace("name_error", newBox ? typed.error("name") : std::string());
    data.emplace("quota_error", newBox ? typed.error("quota_mib") : std::string());
    data.emplace("password_error", newBox ? typed.error("password") : std::string());
    const bool newAlias = typed.form == "alias";
    data.emplace("alias_local_part", newAlias ? typed.value("local_part") : std::string());
    data.emplace("alias_destinations", newAlias ? typed.value("destinations") : std::string());
    data.emplace("alias_local_part_error", newAlias ? typed.error("local_part") : std::string());
    data.emplace("destinations_error", newAlias ? typed.error("destinations") : std::string());
    pages.sendTitled(r, status, "mail", pages.words().text(lang, "mail_title") + " — " + service.name,
                     std::move(data), actor);
}

void redirectDone(Pages& pages, http::Request& r, const std::string& serviceId, const std::string& done) {
    pages.redirect(r, "/services/" + serviceId + "/mail?done=" + done);
}

// A delete confirmed (POST …/mailboxes/{address}/delete, …/aliases/{local_part}/delete): `remove`
// runs MailService's delete, then back to the mail page; refused because an alias still delivers
// to it (`inUse`), the mail page says so (409), nothing changed.
void deleteAction(Pages& pages, http::Request& r, const std::string& inUse, const std::string& done,
                  const std::function<void(const Actor&, const std::string&)>& remove) {
    const auto post = pages.signedForm(r);
    if (!post) {
        return;
    }
    const std::string id = r.param("id");
    try {
        remove(post->actor, id);
    } catch (const Error& e) {
        Typed typed;
        if (e.code() != inUse || !placeRefusal(pages, pages.language(r), e, typed)) {
            throw;
        }
        renderMail(pages, r, post->actor, id, httpStatusOf(e.kind()), typed);
        return;
    }
    redirectDone(pages, r, id, done);
}

// A delete confirmation (GET …/mailboxes/{address}/delete, …/aliases/{local_part}/delete): for
// those who may delete (404 a stranger, 403 a member, 409 a website), of a mailbox or alias that
// exists (404 otherwise). `kind` is "mailbox" or "alias".
void confirmDelete(Pages& pages, http::Request& r, const std::string& kind) {
    const auto actor = pages.signedIn(r);
    if (!actor) {
        return;
    }
    auto& api = pages.app();
    const Service s = api.services.get(*actor, r.param("id"));
    api.associations.authorize(*actor, s.associationId, Permission::ManageServices);
    const std::string wanted = r.param(kind == "mailbox" ? "address" : "local_part");
    std::optional<std::string> found;
    if (kind == "mailbox") {
        for (const auto& m : api.mail.mailboxes(*actor, s.id)) {
            if (m.address == wanted || m.mailbox.localPart == wanted) {
                found = m.mailbox.localPart;
            }
        }
    } else {
        for (const auto& a : api.mail.aliases(*actor, s.id)) {
            if (a.localPart + "@" + s.mailDomain.value_or("") == wanted || a.localPart == wanted) {
                found = a.localPart;
            }
        }
    }
    if (!found) {
        throw Error::notFound(kind == "mailbox" ? "Mailbox" : "Alias");
    }
    const std::string lang = pages.language(r);
    const std::string plural = kind == "mailbox" ? "mailboxes" : "aliases";
    mstch::map data;
    data.emplace("id", s.id);
    data.emplace("name", s.name);
    data.emplace("address", *found + "@" + s.mailDomain.value_or(""));
    data.emplace("collection", plural);
    data.emplace("local_part", *found);
    const std::string title = pages.words().text(lang, "mail_delete_" + kind + "_title");
    data.emplace("title", title);
    data.emplace("question", pages.words().text(lang, "mail_delete_" + kind + "_question"));
    data.emplace("loss", pages.words().text(lang, "mail_delete_" + kind + "_loss"));
    data.emplace("confirm", pages.words().text(lang, "mail_delete_" + kind + "_confirm"));
    pages.sendTitled(r, 200, "confirm_mail_delete", title, std::move(data), actor);
}

}  // namespace

mstch::array mailSections(Pages& pages, const AssociationAccess& access,
                          const std::vector<Service>& services) {
    mstch::array sections;
    for (const auto& s : services) {
        if (s.state == ServiceState::Deleted || s.state == ServiceState::Deleting || !s.mailDomain ||
            !pages.app().mail.isMail(s)) {
            continue;
        }
        mstch::map section;
        section.emplace("service_id", s.id);
        section.emplace("service_name", s.name);
        section.emplace("domain", *s.mailDomain);
        section.emplace("mailbox_count",
                        std::to_string(pages.app().mail.mailboxes(access.actor(), s.id).size()));
        sections.push_back(std::move(section));
    }
    return sections;
}

void registerMailPages(http::Router& router, Pages& pages) {
    router.add("GET", "/services/{id}/mail", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        std::string notice;
        const auto done = r.query("done");
        for (const char* known :
             {"mailbox_created", "mailbox_changed", "mailbox_deleted", "alias_created", "alias_deleted"}) {
            if (done == known) {
                notice = pages.words().text(pages.language(r), std::string("mail_done_") + known);
            }
        }
        renderMail(pages, r, *actor, r.param("id"), 200, {}, notice);
    }));
    router.add("POST", "/services/{id}/mailboxes", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        Typed typed{"mailbox", "", {}, {}, ""};
        for (const char* field : {"local_part", "name", "quota_mib"}) {
            typed.values[field] = post->form.get(field, "");
        }
        NewMailbox command;
        command.localPart = typed.value("local_part");
        if (!typed.value("name").empty()) {
            command.name = typed.value("name");
        }
        command.quotaMib = quotaOf(typed.value("quota_mib"));
        if (const std::string password = post->form.get("password", ""); !password.empty()) {
            command.password = password;
        }
        const std::string lang = pages.language(r);
        try {
            const MailboxResult made = pages.app().mail.addMailbox(post->actor, id, command);
            if (!made.password) {
                redirectDone(pages, r, id, "mailbox_created");
                return;
            }
            // The password Chatière made: in this answer only, never in a URL.
            renderMail(pages, r, post->actor, id, 200, {},
                       pages.words().text(lang, "mail_done_mailbox_created"),
                       ShownPassword{made.address, *made.password});
        } catch (const Error& e) {
            if (!placeRefusal(pages, lang, e, typed)) {
                throw;
            }
            renderMail(pages, r, post->actor, id, httpStatusOf(e.kind()), typed);
        }
    }));
    router.add("POST", "/services/{id}/mailboxes/{address}", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        // The row the form was posted from, by its local part (the address's, or the parameter).
        const std::string address = r.param("address");
        Typed typed{"change", address.substr(0, address.rfind('@')), {}, {}, ""};
        typed.values["name"] = post->form.get("name", "");
        typed.values["quota_mib"] = post->form.get("quota_mib", "");
        MailboxChange command;
        command.name = typed.value("name");
        command.quotaMib = quotaOf(typed.value("quota_mib"));
        try {
            pages.app().mail.changeMailbox(post->actor, id, typed.localPart, command);
            redirectDone(pages, r, id, "mailbox_changed");
        } catch (const Error& e) {
            if (!placeRefusal(pages, pages.language(r), e, typed)) {
                throw;
            }
            renderMail(pages, r, post->actor, id, httpStatusOf(e.kind()), typed);
        }
    }));
    router.add("POST", "/services/{id}/mailboxes/{address}/password", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        MailboxChange command;
        command.newPassword = true;
        const MailboxResult changed =
            pages.app().mail.changeMailbox(post->actor, id, r.param("address"), command);
        // The new password in this answer only: a reload of the mail page does not show it.
        renderMail(pages, r, post->actor, id, 200, {},
                   pages.words().text(pages.language(r), "mail_done_password"),
                   ShownPassword{changed.address, changed.password.value_or("")});
    }));
    router.add("GET", "/services/{id}/mailboxes/{address}/delete",
               pages.page([&pages](http::Request& r) { confirmDelete(pages, r, "mailbox"); }));
    router.add("POST", "/services/{id}/mailboxes/{address}/delete", pages.page([&pages](http::Request& r) {
        deleteAction(pages, r, "mailbox_in_use", "mailbox_deleted",
                     [&pages, &r](const Actor& actor, const std::string& id) {
                         pages.app().mail.deleteMailbox(actor, id, r.param("address"));
                     });
    }));
    router.add("POST", "/services/{id}/aliases", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const std::string id = r.param("id");
        Typed typed{"alias", "", {}, {}, ""};
        typed.values["local_part"] = post->form.get("local_part", "");
        typed.values["destinations"] = post->form.get("destinations", "");
        NewAlias command;
        command.localPart = typed.value("local_part");
        command.destinations = destinationsOf(typed.value("destinations"));
        try {
            pages.app().mail.addAlias(post->actor, id, command);
        } catch (const Error& e) {
            if (!placeRefusal(pages, pages.language(r), e, typed)) {
                throw;
            }
            renderMail(pages, r, post->actor, id, httpStatusOf(e.kind()), typed);
            return;
        }
        redirectDone(pages, r, id, "alias_created");
    }));
    router.add("GET", "/services/{id}/aliases/{local_part}/delete",
               pages.page([&pages](http::Request& r) { confirmDelete(pages, r, "alias"); }));
    router.add("POST", "/services/{id}/aliases/{local_part}/delete", pages.page([&pages](http::Request& r) {
        deleteAction(pages, r, "alias_in_use", "alias_deleted",
                     [&pages, &r](const Actor& actor, const std::string& id) {
                         pages.app().mail.deleteAlias(actor, id, r.param("local_part"));
                     });
    }));
}

}  // namespace chatiere::manager::web
