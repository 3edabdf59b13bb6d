// The admin console's overview: the host (hypervisor reachable, CPUs and load, memory and the
// storage pool's disk, each against what the services were given), the guests by state, the job
// queue and the mail outbox, the sign-ups waiting, the invoices to look at, and the open alerts.

#include "billing/Money.h"
#include "web/Web.h"

#include <Poco/JSON/Array.h>

#include <cmath>

namespace chatiere::manager::web {

namespace {

// One decimal, per locale: 12.25 → "12,3" (fr) / "12.3" (en).
std::string decimal(double value, const std::string& lang) {
    return formatQuantity(std::llround(value * 10) * 100, lang);
}

std::string integer(const Poco::JSON::Object& o, const std::string& key) {
    return std::to_string(o.getValue<Poco::Int64>(key));
}

mstch::map hostView(const Poco::JSON::Object& overview, const std::string& lang) {
    const auto host = jsonMember(overview, "host");
    const auto allocated = jsonMember(overview, "allocated");
    mstch::map view;
    // Before the first check of the host, nothing is known of libvirtd nor of the memory.
    const bool checked = host->has("checked_at") && !host->get("checked_at").isEmpty();
    view.emplace("checked", checked);
    view.emplace("unreachable", checked && !host->getValue<bool>("libvirt_reachable"));
    view.emplace("cpus", integer(*host, "cpus"));
    view.emplace("vcpus", integer(*allocated, "vcpus"));
    std::string load;
    if (const auto loads = jsonArrayMember(*host, "load"); loads && loads->size() == 3) {
        for (unsigned i = 0; i < 3; ++i) {
            load += (i ? " · " : "") + decimal(loads->getElement<double>(i), lang);
        }
    }
    view.emplace("load", load);
    const auto memory = jsonMember(*host, "memory");
    const auto total = memory->getValue<Poco::Int64>("total_mib");
    const auto used = total - memory->getValue<Poco::Int64>("available_mib");
    view.emplace("memory_total", std::to_string(total));
    view.emplace("memory_used", std::to_string(used));
    view.emplace("memory_max", std::to_string(std::max<Poco::Int64>(total, 1)));
    view.emplace("memory_allocated", integer(*allocated, "memory_mib"));
    if (const auto disk = jsonMember(*host, "disk")) {
        mstch::map d;
        const double capacity = disk->getValue<double>("capacity_gib");
        d.emplace("capacity", decimal(capacity, lang));
        d.emplace("used", decimal(disk->getValue<double>("used_gib"), lang));
        d.emplace("used_raw", std::to_string(disk->getValue<double>("used_gib")));
        d.emplace("max", std::to_string(std::max(capacity, 0.001)));
        d.emplace("available", decimal(disk->getValue<double>("available_gib"), lang));
        d.emplace("allocated", integer(*allocated, "disk_gib"));
        view.emplace("disk", std::move(d));
    }
    return view;
}

// [{label, count}] of an object of counts, labelled by `prefix` + key.
mstch::array countRows(const Poco::JSON::Object& counts, const std::string& prefix, const Translations& words,
                       const std::string& lang) {
    mstch::array rows;
    for (const auto& key : counts.getNames()) {
        mstch::map row;
        row.emplace("label", words.text(lang, prefix + key));
        row.emplace("count", integer(counts, key));
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
        auto& api = pages.api();
        // The admin's: the treasurer has the sign-ups and the invoices.
        api.associations.authorizeGlobal(*actor, Permission::ViewMonitoring);
        const std::string lang = pages.language(r);
        const auto& words = pages.words();
        const Poco::JSON::Object o = api.overview.overview();
        mstch::map data;
        data.emplace("host", hostView(o, lang));
        data.emplace("services", countRows(*jsonMember(o, "services"), "state_", words, lang));
        const auto jobs = jsonMember(o, "jobs");
        data.emplace("jobs_pending", integer(*jobs, "pending"));
        data.emplace("jobs_failed", integer(*jobs, "failed_24h"));
        if (!jobs->get("oldest_pending_at").isEmpty()) {
            data.emplace("jobs_oldest",
                         jobs->getValue<std::string>("oldest_pending_at").substr(11, 5) + " UTC");
        }
        const auto outbox = jsonMember(o, "outbox");
        data.emplace("outbox_pending", integer(*outbox, "pending"));
        data.emplace("outbox_failed", integer(*outbox, "failed"));
        data.emplace("outbox_trouble", outbox->getValue<Poco::Int64>("failed") > 0);
        data.emplace("associations",
                     countRows(*jsonMember(o, "associations"), "association_status_", words, lang));
        const auto invoices = jsonMember(o, "invoices");
        data.emplace("invoices_drafts", integer(*invoices, "drafts"));
        data.emplace("invoices_overdue", integer(*invoices, "overdue"));
        mstch::array alerts;
        const auto items = jsonArrayMember(api.usage.alerts(*actor, false, 50), "items");
        for (unsigned i = 0; items && i < items->size(); ++i) {
            const auto a = jsonElement(*items, i);
            mstch::map row;
            row.emplace("severity", words.text(lang, "alert_" + a->getValue<std::string>("severity")));
            row.emplace("critical", a->getValue<std::string>("severity") == "critical");
            row.emplace("kind", words.text(lang, "alert_kind_" + a->getValue<std::string>("kind")));
            row.emplace("message", a->getValue<std::string>("message"));
            const std::string opened = a->getValue<std::string>("opened_at");
            row.emplace("opened",
                        formatDate(opened.substr(0, 10), lang) + " " + opened.substr(11, 5) + " UTC");
            alerts.push_back(std::move(row));
        }
        data.emplace("has_alerts", !alerts.empty());
        data.emplace("alerts", std::move(alerts));
        pages.send(r, 200, "admin_overview", "admin_overview_title", std::move(data));
    }));
}

}  // namespace chatiere::manager::web
