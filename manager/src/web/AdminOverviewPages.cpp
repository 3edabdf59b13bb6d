// The admin console's overview: the host (hypervisor reachable, CPUs and load, memory and the
// storage pool's disk, each against what the services were given), the guests by state, the job
// queue and the mail outbox, the sign-ups waiting, the invoices to look at, the open alerts, and
// the certificates to watch (failing or expiring within 14 days) with "renew now".

#include "billing/Money.h"
#include "domain/Access.h"
#include "web/Web.h"

#include <algorithm>
#include <cmath>

namespace chatiere::manager::web {

namespace {

// One decimal, per locale: 12.25 → "12,3" (fr) / "12.3" (en).
std::string decimal(double value, const std::string& lang) {
    return formatQuantity(std::llround(value * 10) * 100, lang);
}

mstch::map hostView(const Overview& overview, const std::string& lang) {
    const HostOverview& host = overview.host;
    mstch::map view;
    // Before the first check of the host, nothing is known of libvirtd nor of the memory.
    const bool checked = host.checkedAt.has_value();
    view.emplace("checked", checked);
    view.emplace("unreachable", checked && !host.libvirtReachable);
    view.emplace("cpus", std::to_string(host.cpus));
    view.emplace("vcpus", std::to_string(overview.allocatedVcpus));
    std::string load;
    if (host.load.size() == 3) {
        for (unsigned i = 0; i < 3; ++i) {
            load += (i ? " · " : "") + decimal(host.load[i], lang);
        }
    }
    view.emplace("load", load);
    const auto total = host.memoryTotalMib;
    const auto used = total - host.memoryAvailableMib;
    view.emplace("memory_total", std::to_string(total));
    view.emplace("memory_used", std::to_string(used));
    view.emplace("memory_max", std::to_string(std::max<int64_t>(total, 1)));
    view.emplace("memory_allocated", std::to_string(overview.allocatedMemoryMib));
    if (const auto& disk = host.disk) {
        mstch::map d;
        const double capacity = disk->capacityGib;
        d.emplace("capacity", decimal(capacity, lang));
        d.emplace("used", decimal(disk->usedGib, lang));
        d.emplace("used_raw", std::to_string(disk->usedGib));
        d.emplace("max", std::to_string(std::max(capacity, 0.001)));
        d.emplace("available", decimal(disk->availableGib, lang));
        d.emplace("allocated", std::to_string(overview.allocatedDiskGib));
        view.emplace("disk", std::move(d));
    }
    return view;
}

int64_t countOf(const Counts& counts, const std::string& name) {
    for (const auto& [key, count] : counts) {
        if (key == name) {
            return count;
        }
    }
    return 0;
}

// [{label, count}] of counts, labelled by `prefix` + name.
mstch::array countRows(const Counts& counts, const std::string& prefix, const Translations& words,
                       const std::string& lang) {
    mstch::array rows;
    for (const auto& [key, count] : counts) {
        mstch::map row;
        row.emplace("label", words.text(lang, prefix + key));
        row.emplace("count", std::to_string(count));
        rows.push_back(std::move(row));
    }
    return rows;
}

constexpr int kCertificateWatchDays = 14;

// The certificates failing or expiring within 14 days: name, service and association (or
// Chatière's own pages), status, expiry, last error.
mstch::array certificateRows(Pages& pages, const Actor& actor, const std::string& lang) {
    auto& api = pages.app();
    const auto& words = pages.words();
    mstch::array rows;
    for (const auto& c : api.certificates.needingAttention(actor, kCertificateWatchDays)) {
        mstch::map row;
        row.emplace("name", c.name);
        if (c.serviceId) {
            try {
                const Service service = api.services.get(actor, *c.serviceId);
                const Association association =
                    api.associations.authorize(actor, service.associationId, Permission::ViewAssociation);
                row.emplace("service", service.name);
                row.emplace("association", association.name);
                row.emplace("association_id", association.id);
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::NotFound) {
                    throw;
                }
            }
        } else {
            row.emplace("own_pages", true);
        }
        row.emplace("status", words.text(lang, "tls_" + wireName(c.status)));
        row.emplace("failed", c.status == TlsStatus::Failed);
        if (c.notAfter && c.notAfter->size() >= 10) {
            row.emplace("not_after", formatDate(c.notAfter->substr(0, 10), lang));
        }
        if (c.lastError) {
            row.emplace("last_error", *c.lastError);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

void registerAdminOverviewPages(http::Router& router, Pages& pages) {
    router.add("GET", "/admin", pages.page([&pages](http::Request& r) {
        const auto actor = pages.staff(r);
        if (!actor) {
            return;
        }
        auto& api = pages.app();
        // The admin's: the treasurer has the sign-ups and the invoices.
        api.associations.authorizeGlobal(*actor, Permission::ViewMonitoring);
        const std::string lang = pages.language(r);
        const auto& words = pages.words();
        const Overview o = api.overview.overview();
        mstch::map data;
        data.emplace("host", hostView(o, lang));
        data.emplace("services", countRows(o.services, "state_", words, lang));
        data.emplace("jobs_pending", std::to_string(o.jobsPending));
        data.emplace("jobs_failed", std::to_string(o.jobsFailed24h));
        if (o.oldestPendingJobAt) {
            data.emplace("jobs_oldest", o.oldestPendingJobAt->substr(11, 5) + " UTC");
        }
        data.emplace("outbox_pending", std::to_string(countOf(o.outbox, "pending")));
        data.emplace("outbox_failed", std::to_string(countOf(o.outbox, "failed")));
        data.emplace("outbox_trouble", countOf(o.outbox, "failed") > 0);
        data.emplace("associations", countRows(o.associations, "association_status_", words, lang));
        data.emplace("invoices_drafts", std::to_string(o.invoiceDrafts));
        data.emplace("invoices_overdue", std::to_string(o.invoicesOverdue));
        mstch::array alerts;
        for (const auto& a : api.usage.alerts(*actor, false, 50)) {
            mstch::map row;
            row.emplace("severity", words.text(lang, "alert_" + a.severity));
            row.emplace("critical", a.severity == "critical");
            row.emplace("kind", words.text(lang, "alert_kind_" + a.kind));
            row.emplace("message", a.message);
            const std::string& opened = a.openedAt;
            row.emplace("opened",
                        formatDate(opened.substr(0, 10), lang) + " " + opened.substr(11, 5) + " UTC");
            alerts.push_back(std::move(row));
        }
        data.emplace("has_alerts", !alerts.empty());
        data.emplace("alerts", std::move(alerts));
        if (api.settings.proxy.mode != ProxySettings::Mode::Off) {
            auto certificates = certificateRows(pages, *actor, lang);
            data.emplace("proxy_on", true);
            data.emplace("has_certificates", !certificates.empty());
            data.emplace("certificates", std::move(certificates));
        }
        if (r.query("done") == "renewed") {
            data.emplace("notice", words.text(lang, "admin_cert_renewed"));
        }
        pages.send(r, 200, "admin_overview", "admin_overview_title", std::move(data));
    }));
    // "Renew now": the same as POST /api/v1/certificates/{name}/renew (the admin's; 404 for
    // anyone but staff, 403 for the treasurer), then back to the overview.
    router.add("POST", "/admin/certificates/{name}/renew", pages.page([&pages](http::Request& r) {
        const auto post = pages.staffForm(r);
        if (!post) {
            return;
        }
        try {
            pages.app().certificates.renew(post->actor, r.param("name"));
        } catch (const Error& e) {
            if (e.code() != "proxy_off") {
                throw;
            }
            pages.sendMessage(r, httpStatusOf(e.kind()), "error_title", "error_proxy_off", true);
            return;
        }
        pages.redirect(r, "/admin?done=renewed");
    }));
}

}  // namespace chatiere::manager::web
