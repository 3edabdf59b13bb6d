// The association's space: its dashboard (services with their state and address, their public
// addresses, certificates and own domains (with the DNS records to create), each editor's pads,
// each mail service's domain and mailboxes (a link to its mail page),
// usage against the plan and the disk used over 30 days, subscription, invoices with their PDF),
// creating a service from the catalogue, setting its own domain, suspending, resuming, and deleting
// it after a confirmation that says what is lost.

#include "billing/Money.h"
#include "domain/Access.h"
#include "hosting/DnsRecords.h"
#include "web/MailPages.h"
#include "web/PadsSection.h"
#include "web/UsageChart.h"
#include "web/Web.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <vector>

namespace chatiere::manager::web {

namespace {

constexpr int kChartDays = 30;

std::string number(const std::optional<double>& v) {
    if (!v) {
        return "";
    }
    const double d = *v;
    std::ostringstream out;
    out << (std::floor(d) == d ? static_cast<long long>(d) : d);
    return out.str();
}

mstch::array serviceRows(Pages& pages, const AssociationAccess& access, const std::vector<Service>& services,
                         const std::string& lang, bool canManage) {
    const auto& words = pages.words();
    const Actor& actor = access.actor();
    mstch::array rows;
    for (const auto& s : services) {
        if (s.state == ServiceState::Deleted) {
            continue;
        }
        mstch::map row;
        row.emplace("id", s.id);
        row.emplace("name", s.name);
        const auto* manifest = pages.app().catalogue.find(s.templateName);
        row.emplace("template",
                    manifest ? (lang == "en" ? manifest->title.en : manifest->title.fr) : s.templateName);
        row.emplace("state", words.text(lang, "state_" + s.displayState()));
        std::string reasons;
        for (const auto& reason : s.suspendedFor) {
            reasons += (reasons.empty() ? "" : ", ") + words.text(lang, "reason_" + reason);
        }
        if (!reasons.empty()) {
            row.emplace("reasons", reasons);
        }
        row.emplace("health", words.text(lang, "health_" + wireName(s.health)));
        if (s.endpoint && s.state == ServiceState::Active && s.suspendedFor.empty()) {
            row.emplace("endpoint", *s.endpoint);
        }
        const bool live = s.state == ServiceState::Active || s.state == ServiceState::Provisioning;
        row.emplace("can_suspend",
                    canManage && live && !s.suspendedFor.count(actor.isAdmin() ? "admin" : "association"));
        row.emplace("can_resume",
                    canManage && live && s.suspendedFor.count(actor.isAdmin() ? "admin" : "association") > 0);
        row.emplace("can_delete", canManage && s.state != ServiceState::Deleting);
        row.emplace("can_upload",
                    canManage && s.state == ServiceState::Active && manifest && manifest->kind == "website");
        // An editor's pads: its section below, and its own page (the whole view, see PadPages.cpp).
        row.emplace("has_pads", manifest && manifest->kind == "editor" && s.state != ServiceState::Deleting);
        // A mail service: its section below, and its mail page (MailPages.cpp).
        row.emplace("has_mail", s.mailDomain.has_value() && pages.app().mail.isMail(s) &&
                                    s.state != ServiceState::Deleting);
        rows.push_back(std::move(row));
    }
    return rows;
}

// What was typed in one service's own-domain form that was refused: shown again by the field.
struct DomainEntry {
    std::string serviceId;
    std::string value;
    std::string error;
};

mstch::map dnsRow(const DnsRecord& record) {
    mstch::map row;
    row.emplace("type", record.type);
    row.emplace("name", record.name);
    row.emplace("value", record.value);
    return row;
}

// Each live service's public address (a link to public_url), default name, own domain,
// certificate and the proxy's refusal; the own-domain form for those who manage the services,
// with the DNS records to create. Only while the proxy is on (proxy.mode).
mstch::array addressRows(Pages& pages, const std::vector<Service>& services, const std::string& lang,
                         bool canManage, const std::optional<DomainEntry>& entry) {
    const auto& words = pages.words();
    auto& api = pages.app();
    HostAddresses host;
    if (!api.settings.publicIpv4.empty()) {
        host.ipv4 = api.settings.publicIpv4;
    }
    if (!api.settings.publicIpv6.empty()) {
        host.ipv6 = api.settings.publicIpv6;
    }
    mstch::array rows;
    for (const auto& s : services) {
        if (s.state == ServiceState::Deleted || s.state == ServiceState::Deleting) {
            continue;
        }
        mstch::map row;
        row.emplace("id", s.id);
        row.emplace("name", s.name);
        const auto address = api.services.addressOf(s);
        if (address.publicUrl) {
            row.emplace("public_url", *address.publicUrl);
        }
        if (s.defaultName) {
            row.emplace("default_name", *s.defaultName);
        }
        if (s.domain) {
            row.emplace("own_domain", *s.domain);
        }
        if (address.tls) {
            const TlsView& tls = *address.tls;
            mstch::map t;
            t.emplace("status", words.text(lang, "tls_" + wireName(tls.status)));
            t.emplace("failed", tls.status == TlsStatus::Failed);
            if (tls.issuer) {
                t.emplace("issuer", *tls.issuer);
            }
            if (tls.notAfter && tls.notAfter->size() >= 10) {
                t.emplace("not_after", formatDate(tls.notAfter->substr(0, 10), lang));
            }
            if (tls.status == TlsStatus::Failed && tls.lastError) {
                t.emplace("last_error", *tls.lastError);
            }
            row.emplace("tls", std::move(t));
        }
        if (s.proxyError) {
            row.emplace("proxy_error", *s.proxyError);
        }
        row.emplace("can_set_domain", canManage);
        if (canManage) {
            const bool refused = entry && entry->serviceId == s.id;
            const std::string typed = refused ? entry->value : s.domain.value_or("");
            row.emplace("domain_value", typed);
            if (refused) {
                row.emplace("domain_error", entry->error);
            }
            // The records for the own domain, else for a placeholder (never for a refused name).
            // A/AAAA to the host's addresses where settings name them (public.ipv4, public.ipv6).
            const std::string shown = refused ? std::string() : s.domain.value_or("");
            const DnsInstructions dns =
                dnsRecordsFor(s, shown.empty() ? words.text(lang, "dns_your_domain") : shown, host);
            mstch::array records;
            for (const auto& record : dns.address) {
                records.push_back(dnsRow(record));
            }
            row.emplace("dns_address", std::move(records));
            row.emplace("has_dns_address", !dns.address.empty());
            if (dns.cname) {
                row.emplace("dns_cname", dnsRow(*dns.cname));
            }
            row.emplace("has_dns", !dns.address.empty() || dns.cname.has_value());
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

// A pads section for each editor (pads_list.mustache), Etherpad waited for at most
// web.dashboard_editor_wait_ms in all: past it, an editor that has not answered is said to be
// unreachable for now, with a link to try again, and the page still answers. (The editor's own
// pads page waits as long as the API does.)
mstch::array editorSections(Pages& pages, const AssociationAccess& access,
                            const std::vector<Service>& services) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(pages.app().settings.dashboardEditorWaitMs);
    mstch::array sections;
    for (const auto& s : services) {
        if (s.state == ServiceState::Deleted || s.state == ServiceState::Deleting ||
            !pages.app().pads.isEditor(s)) {
            continue;
        }
        sections.push_back(
            padsSection(pages, access.actor(), s, access, PadsPlace::Dashboard, {}, false, deadline));
    }
    return sections;
}

std::optional<double> real(const std::optional<int64_t>& v) {
    return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
}

mstch::array usageRows(const AssociationUsage& usage, const Translations& words, const std::string& lang) {
    mstch::array rows;
    for (const auto& metric : quotaMetrics()) {
        const auto m = std::find_if(usage.metrics.begin(), usage.metrics.end(),
                                    [&](const MetricUsage& x) { return x.metric == metric; });
        if (m == usage.metrics.end()) {
            continue;
        }
        mstch::map row;
        row.emplace("metric", std::string(metric));
        row.emplace("label", words.text(lang, std::string("metric_") + metric));
        const std::string used = number(m->used);
        const std::string included = number(real(m->included));
        const std::string limit = number(real(m->limit));
        row.emplace("used", used);
        if (!included.empty()) {
            row.emplace("included", included);
        }
        if (!limit.empty()) {
            row.emplace("limit", limit);
        }
        row.emplace("max", !limit.empty() && limit != "0" ? limit : (used == "0" ? std::string("1") : used));
        rows.push_back(std::move(row));
    }
    return rows;
}

mstch::array invoiceRows(Pages& pages, const AssociationAccess& access, const std::string& lang) {
    const auto& words = pages.words();
    const std::string& associationId = access.id();
    mstch::array rows;
    for (const auto& i : pages.app().billing.invoices(access, 50)) {
        if (!i.number) {
            continue;  // drafts are the treasurer's
        }
        mstch::map row;
        row.emplace("id", i.id);
        row.emplace("association_id", associationId);
        row.emplace("number", *i.number);
        row.emplace("credit_note", i.kind == "credit_note");
        row.emplace("date", i.issueDate ? formatDate(*i.issueDate, lang) : std::string());
        row.emplace("amount", formatMoney(i.totalInclCents, lang));
        row.emplace("status", words.text(lang, "invoice_status_" + wireName(i.status)));
        rows.push_back(std::move(row));
    }
    return rows;
}

void renderDashboard(Pages& pages, http::Request& r, const Actor& actor, const std::string& associationId,
                     int status, mstch::map extra,
                     const std::optional<DomainEntry>& domainEntry = std::nullopt) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    auto& api = pages.app();
    // One authorization for the page: each read below checks its permission against it.
    const AssociationAccess access =
        api.associations.access(actor, associationId, Permission::ViewAssociation);
    const Association& a = access.association();
    const bool canManage = access.allows(Permission::ManageServices);
    // Billing is the managers' and the staff's; a member sees the services and the usage.
    const bool seesBilling = access.allows(Permission::ViewBilling);
    const auto subscriptions = seesBilling ? api.billing.subscriptions(access) : std::vector<Subscription>{};
    mstch::map data = std::move(extra);
    data.emplace("id", a.id);
    data.emplace("name", a.name);
    data.emplace("lang", lang);
    data.emplace("pending", a.status == AssociationStatus::Pending);
    const std::vector<Service> all = api.services.list(access);
    auto services = serviceRows(pages, access, all, lang, canManage);
    data.emplace("has_services", !services.empty());
    data.emplace("services", std::move(services));
    const bool proxyOn = api.settings.proxy.mode != ProxySettings::Mode::Off;
    data.emplace("proxy_on", proxyOn);
    if (proxyOn) {
        auto addresses = addressRows(pages, all, lang, canManage, domainEntry);
        data.emplace("has_addresses", !addresses.empty());
        data.emplace("addresses", std::move(addresses));
    }
    data.emplace("editors", editorSections(pages, access, all));
    data.emplace("mail_services", mailSections(pages, access, all));
    data.emplace("can_export", access.allows(Permission::ManageMembers));
    data.emplace("can_bill", access.allows(Permission::ManageSubscription));
    bool canCreate = canManage && a.status == AssociationStatus::Active;
    if (canCreate && seesBilling) {
        // Services need a subscription, unless the association's plan is free: the page says so
        // and leads to the subscription page instead of offering a form that would be refused.
        bool covered = false;
        for (const auto& sub : subscriptions) {
            covered |= sub.status == SubscriptionStatus::Active;
        }
        if (!covered && a.planSlug) {
            try {
                covered = api.plans.get(*a.planSlug).free;
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::NotFound) {
                    throw;
                }
            }
        }
        data.emplace("needs_subscription", !covered);
        canCreate = covered;
    }
    data.emplace("can_create", canCreate);
    if (canCreate) {
        mstch::array templates;
        const std::string chosen = r.raw().getMethod() == "POST" ? "" : "website";
        for (const auto& m : api.catalogue.all()) {
            mstch::map option;
            option.emplace("value", m.name);
            option.emplace("label", lang == "en" ? m.title.en : m.title.fr);
            option.emplace("selected", m.name == chosen);
            templates.push_back(std::move(option));
        }
        data.emplace("templates", std::move(templates));
    }
    const AssociationUsage usage = api.usage.associationUsage(access);
    data.emplace("usage", usageRows(usage, words, lang));
    data.emplace("chart", usageChart(api.usage.diskHistory(access, kChartDays), lang, words));
    data.emplace("period", formatDate(usage.periodStart, lang) + " – " +
                               formatDate(Calendar::addDays(usage.periodEnd, -1), lang));
    data.emplace("sees_billing", seesBilling);
    if (seesBilling) {
        for (const auto& sub : subscriptions) {
            if (sub.status != SubscriptionStatus::Active) {
                continue;
            }
            mstch::map s;
            const auto plan = api.plans.get(sub.planSlug);
            s.emplace("plan", lang == "en" ? plan.name.en : plan.name.fr);
            s.emplace("price", formatMoney(sub.priceCents + sub.membershipCents, lang));
            s.emplace("interval", words.text(lang, "plan_price_" + sub.interval));
            data.emplace("subscription", std::move(s));
            break;
        }
        const int64_t credit = api.billing.creditBalance(access);
        if (credit > 0) {
            data.emplace("credit", formatMoney(credit, lang));
        }
        auto invoices = invoiceRows(pages, access, lang);
        data.emplace("has_invoices", !invoices.empty());
        data.emplace("invoices", std::move(invoices));
    }
    pages.sendTitled(r, status, "dashboard", a.name, std::move(data), actor);
}

void renderUpload(Pages& pages, http::Request& r, const Service& s, int status, const std::string& error) {
    mstch::map data;
    data.emplace("id", s.id);
    data.emplace("name", s.name);
    data.emplace("association_id", s.associationId);
    if (!error.empty()) {
        data.emplace("error", error);
    }
    pages.send(r, status, "upload", "upload_title", std::move(data));
}

// Runs a change on one service, then back to its association's dashboard.
void serviceAction(Pages& pages, http::Request& r,
                   const std::function<Service(const Actor&, const std::string&)>& act) {
    const auto post = pages.signedForm(r);
    if (!post) {
        return;
    }
    const Actor& actor = post->actor;
    const Service s = act(actor, r.param("id"));
    pages.redirect(r, "/associations/" + s.associationId + "?done=changed");
}

}  // namespace

void registerSpacePages(http::Router& router, Pages& pages) {
    router.add("GET", "/space", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        const auto memberships = actor->userId ? pages.app().associations.membershipsOf(*actor->userId)
                                               : std::vector<Membership>{};
        if (memberships.size() == 1) {
            pages.redirect(r, "/associations/" + memberships.front().associationId);
            return;
        }
        mstch::array list;
        for (const auto& m : memberships) {
            mstch::map item;
            item.emplace("id", m.associationId);
            item.emplace("name", m.associationName);
            list.push_back(std::move(item));
        }
        mstch::map data;
        data.emplace("has_associations", !list.empty());
        data.emplace("associations", std::move(list));
        pages.send(r, 200, "space", "space_title", std::move(data));
    }));
    router.add("GET", "/associations/{id}", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        mstch::map extra;
        const std::string lang = pages.language(r);
        if (const auto done = r.query("done"); done == "created" || done == "changed") {
            extra.emplace("notice", pages.words().text(lang, "dash_" + *done));
        } else if (done == "pad_created" || done == "pad_deleted") {
            extra.emplace("notice", pages.words().text(lang, "pads_" + done->substr(4)));
        } else if (done == "uploaded") {
            extra.emplace("notice", pages.words().text(lang, "upload_done"));
        } else if (done == "domain") {
            extra.emplace("notice", pages.words().text(lang, "dash_domain_done"));
        }
        renderDashboard(pages, r, *actor, r.param("id"), 200, std::move(extra));
    }));
    // One invoice in the association's space, where its mails link: the managers and the staff.
    router.add("GET", "/associations/{id}/invoices/{invoice}", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        const Association a =
            pages.app().associations.authorize(*actor, r.param("id"), Permission::ViewBilling);
        const InvoiceDetails invoice = pages.app().billing.invoice(*actor, r.param("invoice"));
        if (invoice.invoice.associationId != a.id) {
            throw Error::notFound("Invoice");
        }
        mstch::map data = invoiceView(pages, invoice, pages.language(r));
        data.emplace("name", a.name);
        pages.send(r, 200, "invoice", "admin_invoice_title", std::move(data));
    }));
    router.add("POST", "/associations/{id}/services", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const Actor& actor = post->actor;
        const auto& form = post->form;
        CreateService command;
        command.templateName = form.get("template", "");
        command.name = form.get("name", "");
        // A mail service's domain: the field is there for every template, given only for mail.
        if (const std::string mailDomain = form.get("mail_domain", ""); !mailDomain.empty()) {
            command.mailDomain = mailDomain;
        }
        const std::string id = r.param("id");
        try {
            pages.app().services.create(actor, id, command);
            pages.redirect(r, "/associations/" + id + "?done=created");
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Conflict) {
                throw;
            }
            const std::string lang = pages.language(r);
            mstch::map extra;
            extra.emplace("new_name", form.get("name", ""));
            extra.emplace("new_mail_domain", form.get("mail_domain", ""));
            bool placed = false;
            for (const auto& f : e.fields()) {
                if (f.field == "template" || f.field == "name" || f.field == "mail_domain") {
                    extra.emplace(f.field + "_error", pages.words().error(lang, f.code));
                    placed = true;
                }
            }
            if (!placed) {
                extra.emplace("name_error", pages.words().error(lang, e.code()));
            }
            renderDashboard(pages, r, actor, id, httpStatusOf(e.kind()), std::move(extra));
        }
    }));
    router.add("POST", "/services/{id}/suspend", pages.page([&pages](http::Request& r) {
        serviceAction(pages, r, [&pages](const Actor& a, const std::string& id) {
            return pages.app().services.suspend(a, id);
        });
    }));
    router.add("POST", "/services/{id}/resume", pages.page([&pages](http::Request& r) {
        serviceAction(pages, r, [&pages](const Actor& a, const std::string& id) {
            return pages.app().services.resume(a, id);
        });
    }));
    // The association's own domain for a service ("" : back to its default name), by the same
    // function as PUT /api/v1/services/{id}/domain; a refusal is shown by the field, what was
    // typed kept. 404 for a stranger (services.get), 403 for a member (setDomain).
    router.add("POST", "/services/{id}/domain", pages.page([&pages](http::Request& r) {
        const auto post = pages.signedForm(r);
        if (!post) {
            return;
        }
        const Actor& actor = post->actor;
        const Service service = pages.app().services.get(actor, r.param("id"));
        const std::string typed = post->form.get("domain", "");
        try {
            pages.app().services.setDomain(actor, service.id, typed);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Conflict) {
                throw;
            }
            const std::string lang = pages.language(r);
            renderDashboard(pages, r, actor, service.associationId, httpStatusOf(e.kind()), {},
                            DomainEntry{service.id, typed, pages.words().error(lang, e.code())});
            return;
        }
        pages.redirect(r, "/associations/" + service.associationId + "?done=domain");
    }));
    router.add("GET", "/services/{id}/content", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (actor) {
            // The form is for those who may publish: 404 for a stranger, 403 for a member.
            const Service s = pages.app().services.get(*actor, r.param("id"));
            pages.app().associations.authorize(*actor, s.associationId, Permission::ManageServices);
            renderUpload(pages, r, s, 200, "");
        }
    }));
    router.add("POST", "/services/{id}/content", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        // 404 before reading another association's upload.
        const Service service = pages.app().services.get(*actor, r.param("id"));
        std::string file;
        const auto form = pages.multipartForm(r, pages.app().settings.uploadMaxBytes(), "file", file);
        if (!form) {
            return;
        }
        const std::string lang = pages.language(r);
        if (file.empty()) {
            renderUpload(pages, r, service, 400, pages.words().error(lang, "no_file"));
            return;
        }
        try {
            pages.app().services.replaceContent(*actor, service.id, file);
        } catch (const Error& e) {
            if (httpStatusOf(e.kind()) >= 500 || e.kind() == ErrorKind::NotFound ||
                e.kind() == ErrorKind::Forbidden) {
                throw;
            }
            renderUpload(pages, r, service, httpStatusOf(e.kind()), pages.words().error(lang, e.code()));
            return;
        }
        pages.redirect(r, "/associations/" + service.associationId + "?done=uploaded");
    }));
    router.add("GET", "/services/{id}/delete", pages.page([&pages](http::Request& r) {
        const auto actor = pages.signedIn(r);
        if (!actor) {
            return;
        }
        const Service s = pages.app().services.get(*actor, r.param("id"));
        pages.app().associations.authorize(*actor, s.associationId, Permission::ManageServices);
        mstch::map data;
        data.emplace("id", s.id);
        data.emplace("name", s.name);
        data.emplace("association_id", s.associationId);
        pages.send(r, 200, "confirm_delete", "delete_title", std::move(data));
    }));
    router.add("POST", "/services/{id}/delete", pages.page([&pages](http::Request& r) {
        serviceAction(pages, r, [&pages](const Actor& a, const std::string& id) {
            return pages.app().services.remove(a, id);
        });
    }));
}

}  // namespace chatiere::manager::web
