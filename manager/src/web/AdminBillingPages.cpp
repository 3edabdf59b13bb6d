// The admin console's money: the invoices (filtered by status, overdue ones too) with a billing
// run and the accounting exports; each invoice with its lines and what was paid, where the
// treasurer finalizes a draft, records a payment or issues a credit note. Staff only (others 404;
// what each staff role may do is the billing service's rule).

#include "billing/Money.h"
#include "web/Web.h"

#include <map>

namespace chatiere::manager::web {

namespace {

const std::vector<std::string> kStatuses = {"draft", "finalized", "overdue", "paid", "cancelled"};
const std::vector<std::string> kMethods = {"transfer", "cheque", "cash", "card", "helloasso"};

std::map<std::string, std::string> associationNames(Pages& pages, const Actor& actor) {
    std::map<std::string, std::string> names;
    for (const auto& a : pages.app().associations.list(actor, "", 1000, std::nullopt)) {
        names[a.id] = a.name;
    }
    return names;
}

mstch::array statusOptions(const std::string& chosen, const Translations& words, const std::string& lang) {
    mstch::array options;
    for (const auto& s : kStatuses) {
        mstch::map o;
        o.emplace("value", s);
        o.emplace("label", words.text(lang, "invoice_status_" + s));
        o.emplace("selected", s == chosen);
        options.push_back(std::move(o));
    }
    return options;
}

void renderInvoices(Pages& pages, http::Request& r, const Actor& actor, int status, mstch::map data) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    // An invoice's status, or `overdue` (finalized and past its due date); an unknown word is a 400.
    const std::string filter = r.query("status").value_or("");
    const bool byStatus = !filter.empty() && filter != "overdue";
    const InvoiceStatus wanted =
        byStatus ? requestedState<InvoiceStatus>(filter, "status") : InvoiceStatus::Draft;
    const std::string day = pages.today();
    const auto names = associationNames(pages, actor);
    mstch::array rows;
    for (const auto& i : pages.app().billing.invoices(actor, std::nullopt, 200)) {
        const bool overdue =
            i.kind == "invoice" && i.status == InvoiceStatus::Finalized && i.dueDate && *i.dueDate < day;
        if ((byStatus && wanted != i.status) || (filter == "overdue" && !overdue)) {
            continue;
        }
        mstch::map row;
        row.emplace("id", i.id);
        row.emplace("number", i.number.value_or(words.text(lang, "invoice_status_draft")));
        row.emplace("association",
                    names.count(i.associationId) ? names.at(i.associationId) : i.associationId);
        row.emplace("association_id", i.associationId);
        row.emplace("date", i.issueDate ? formatDate(*i.issueDate, lang) : std::string());
        row.emplace("amount", formatMoney(i.totalInclCents, lang));
        row.emplace("status", words.text(lang, "invoice_status_" +
                                                   (overdue ? std::string("overdue") : wireName(i.status))));
        row.emplace("overdue", overdue);
        rows.push_back(std::move(row));
    }
    data.emplace("has_invoices", !rows.empty());
    data.emplace("invoices", std::move(rows));
    data.emplace("statuses", statusOptions(filter, words, lang));
    data.emplace("today", day);
    data.emplace("year_start", day.substr(0, 4) + "-01-01");
    pages.send(r, status, "admin_invoices", "admin_invoices_title", std::move(data));
}

void renderInvoice(Pages& pages, http::Request& r, const Actor& actor, const std::string& id, int status,
                   mstch::map data) {
    const std::string lang = pages.language(r);
    const auto& words = pages.words();
    const InvoiceDetails i = pages.app().billing.invoice(actor, id);
    for (auto& [key, value] : invoiceView(pages, i, lang)) {
        data.emplace(key, std::move(value));
    }
    const InvoiceStatus invoiceStatus = i.invoice.status;
    const bool isInvoice = i.invoice.kind == "invoice";
    const int64_t due = i.dueCents();
    data.emplace("can_finalize", invoiceStatus == InvoiceStatus::Draft);
    data.emplace("can_pay", isInvoice && invoiceStatus == InvoiceStatus::Finalized && due > 0);
    data.emplace("can_credit", isInvoice && (invoiceStatus == InvoiceStatus::Finalized ||
                                             invoiceStatus == InvoiceStatus::Paid));
    mstch::array methods;
    for (const auto& m : kMethods) {
        mstch::map o;
        o.emplace("value", m);
        o.emplace("label", words.text(lang, "payment_method_" + m));
        methods.push_back(std::move(o));
    }
    data.emplace("methods", std::move(methods));
    data.emplace("today", pages.today());
    pages.send(r, status, "admin_invoice", "admin_invoice_title", std::move(data));
}

// Shows the invoice again with the refusal next to its field (`prefix` + field + "_error").
void renderRefusal(Pages& pages, http::Request& r, const Actor& actor, const std::string& id, const Error& e,
                   const std::string& prefix, mstch::map data) {
    if (e.kind() != ErrorKind::Validation && e.kind() != ErrorKind::Conflict) {
        throw e;
    }
    const std::string lang = pages.language(r);
    if (e.fields().empty()) {
        data.emplace("error", pages.words().error(lang, e.code()));
    }
    for (const auto& f : e.fields()) {
        data.emplace(prefix + f.field + "_error", pages.words().error(lang, f.code));
    }
    renderInvoice(pages, r, actor, id, httpStatusOf(e.kind()), std::move(data));
}

// An amount field in euros as cents; a Validation error naming `field` otherwise.
std::optional<int64_t> amountOf(const std::string& text, const std::string& field, bool required) {
    if (text.empty() && !required) {
        return std::nullopt;
    }
    const auto cents = parseEuros(text);
    if (!cents || *cents <= 0) {
        throw Error(ErrorKind::Validation, "invalid_fields", "An amount in euros.",
                    {{field, "invalid_amount", "An amount in euros."}});
    }
    return *cents;
}

// A form posted on one invoice's page: `act` runs, then back to the page saying `done`; a refusal
// shows the page again with each error by its field (`prefix` + field) and the `kept` fields typed.
void invoiceAction(
    Pages& pages, http::Request& r, const std::string& prefix, const std::vector<std::string>& kept,
    const std::string& done,
    const std::function<void(const Actor&, const std::string&, const Poco::Net::NameValueCollection&)>& act) {
    const auto post = pages.staffForm(r);
    if (!post) {
        return;
    }
    const std::string id = r.param("id");
    try {
        act(post->actor, id, post->form);
    } catch (const Error& e) {
        mstch::map typed;
        for (const auto& field : kept) {
            typed.emplace(prefix + field, post->form.get(field, ""));
        }
        renderRefusal(pages, r, post->actor, id, e, prefix, std::move(typed));
        return;
    }
    pages.redirect(r, "/admin/invoices/" + id + "?done=" + done);
}

}  // namespace

mstch::map invoiceView(Pages& pages, const InvoiceDetails& details, const std::string& lang) {
    const auto& words = pages.words();
    const Invoice& i = details.invoice;
    mstch::map data;
    data.emplace("id", i.id);
    data.emplace("number", i.number ? *i.number : words.text(lang, "invoice_status_draft"));
    data.emplace("kind", words.text(lang, "invoice_kind_" + i.kind));
    data.emplace("status", words.text(lang, "invoice_status_" + wireName(i.status)));
    data.emplace("association_id", i.associationId);
    data.emplace("buyer", i.buyer.name);
    if (i.issueDate && !i.issueDate->empty()) {
        data.emplace("issue_date", formatDate(*i.issueDate, lang));
    }
    if (i.dueDate && !i.dueDate->empty()) {
        data.emplace("due_date", formatDate(*i.dueDate, lang));
    }
    data.emplace("total", formatMoney(i.totalInclCents, lang));
    data.emplace("paid", formatMoney(details.allocatedCents, lang));
    data.emplace("due", formatMoney(details.dueCents(), lang));
    mstch::array lines;
    for (const auto& l : i.lines) {
        mstch::map line;
        line.emplace("description", lang == "en" ? l.descriptionEn : l.descriptionFr);
        line.emplace("quantity", formatQuantity(l.quantityMilli, lang));
        line.emplace("unit_price", formatMoney(l.unitPriceCents, lang));
        line.emplace("amount", formatMoney(l.amountCents, lang));
        lines.push_back(std::move(line));
    }
    data.emplace("lines", std::move(lines));
    data.emplace("lang", lang);
    return data;
}

void registerAdminBillingPages(http::Router& router, Pages& pages) {
    router.add("GET", "/admin/invoices", pages.page([&pages](http::Request& r) {
        const auto actor = pages.staff(r);
        if (!actor) {
            return;
        }
        mstch::map data;
        if (r.query("done") == "run") {
            const std::string lang = pages.language(r);
            data.emplace("notice", pages.words().text(lang, "admin_run_done") + " " +
                                       r.query("invoices").value_or("0") + " — " +
                                       formatMoney(std::stoll("0" + r.query("total").value_or("0")), lang));
        }
        renderInvoices(pages, r, *actor, 200, std::move(data));
    }));
    router.add("POST", "/admin/billing/run", pages.page([&pages](http::Request& r) {
        const auto post = pages.staffForm(r);
        if (!post) {
            return;
        }
        const Actor& actor = post->actor;
        const auto& form = post->form;
        const std::string asOf = form.get("as_of", "");
        try {
            const RunSummary summary = pages.app().billing.run(
                actor, asOf.empty() ? std::nullopt : std::optional<std::string>(asOf));
            pages.redirect(r, "/admin/invoices?done=run&invoices=" + std::to_string(summary.invoices) +
                                  "&total=" + std::to_string(summary.totalCents));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Validation) {
                throw;
            }
            mstch::map data;
            data.emplace("as_of", asOf);
            data.emplace("as_of_error", pages.words().error(pages.language(r), "invalid_date"));
            renderInvoices(pages, r, actor, 400, std::move(data));
        }
    }));
    router.add("GET", "/admin/invoices/{id}", pages.page([&pages](http::Request& r) {
        const auto actor = pages.staff(r);
        if (!actor) {
            return;
        }
        mstch::map data;
        if (const auto done = r.query("done"); done == "finalized" || done == "paid" || done == "credited") {
            data.emplace("notice", pages.words().text(pages.language(r), "admin_invoice_" + *done));
        }
        renderInvoice(pages, r, *actor, r.param("id"), 200, std::move(data));
    }));
    router.add("POST", "/admin/invoices/{id}/finalize", pages.page([&pages](http::Request& r) {
        invoiceAction(pages, r, "", {}, "finalized",
                      [&pages](const Actor& actor, const std::string& id, auto&) {
                          pages.app().billing.finalizeDraft(actor, id);
                      });
    }));
    router.add("POST", "/admin/invoices/{id}/payments", pages.page([&pages](http::Request& r) {
        invoiceAction(
            pages, r, "pay_", {"amount", "reference"}, "paid",
            [&pages](const Actor& actor, const std::string& id, const Poco::Net::NameValueCollection& form) {
                RecordPayment command;
                command.amountCents = amountOf(form.get("amount", ""), "amount_cents", true);
                command.method = form.get("method", "");
                command.reference = form.get("reference", "");
                command.date = form.get("date", "");
                pages.app().billing.recordPayment(actor, id, command);
            });
    }));
    router.add("POST", "/admin/invoices/{id}/credit-notes", pages.page([&pages](http::Request& r) {
        invoiceAction(
            pages, r, "credit_", {"amount", "reason"}, "credited",
            [&pages](const Actor& actor, const std::string& id, const Poco::Net::NameValueCollection& form) {
                IssueCreditNote command;
                command.amountCents = amountOf(form.get("amount", ""), "amount_cents", false);
                command.reason = form.get("reason", "");
                pages.app().billing.creditNote(actor, id, command);
            });
    }));
}

}  // namespace chatiere::manager::web
