#include "billing/Money.h"
#include "cli/ApiClient.h"
#include "cli/ApiCommands.h"

#include "chatiere/manager/Error.h"

#include <Poco/URI.h>

#include <iostream>
#include <string>

namespace chatiere::manager {

using namespace client;

namespace {

constexpr const char* kBillingUsage = R"(Usage: chatiere billing COMMAND [OPTIONS]

  run [--as-of YYYY-MM-DD]    bring billing up to date as of that day (default today): fees of the
                              periods begun, overage of the periods ended, drafts due, reminders
  subscribe ASSOCIATION_ID --plan SLUG --interval month|year [--start-date YYYY-MM-DD]
            [--paid-through YYYY-MM-DD] [--price EUROS]
                              (--start-date, --paid-through: admin, to import a member: a past start
                              invoices every period since, unless paid through a date;
                              --price: pay-what-you-can)
  subscriptions ASSOCIATION_ID
  change SUBSCRIPTION_ID --plan SLUG [--interval month|year] [--price EUROS]
  cancel SUBSCRIPTION_ID      at the end of the period paid for
  invoices [--association ID] the invoices and credit notes, newest first
  invoice INVOICE_ID [--pdf FILE | --html FILE] [--lang fr|en]
                              one invoice as JSON, or its document written to FILE
  finalize INVOICE_ID         a draft gets its number now
  pay INVOICE_ID --amount EUROS --method transfer|cheque|cash|card|helloasso [--reference REF]
                 [--date YYYY-MM-DD]
  credit-note INVOICE_ID --reason TEXT [--amount EUROS]   (default: all that remains)
  export [--what invoices|payments] --from YYYY-MM-DD --to YYYY-MM-DD
                              CSV for the treasurer, [from, to)

Amounts in euros: 12, 12.5, 12,50. Options, answers and exit codes as for `chatiere service`.
)";

// "12", "12.5", "12,50" → cents, as text for a JSON body; anything else is a usage error.
std::string centsOf(const std::string& option, const std::string& euros) {
    const auto cents = parseEuros(euros);
    if (!cents) {
        throw Error(ErrorKind::BadRequest, "usage",
                    "--" + option + " takes an amount in euros like 12, 12.5 or 12,50 (not '" + euros + "')");
    }
    return std::to_string(*cents);
}

// Adds `"field": "value"` to a JSON object being written when --option is given.
void addField(std::string& body, const Options& o, const std::string& option, const std::string& field) {
    if (const auto it = o.named.find(option); it != o.named.end()) {
        body += (body.size() > 1 ? ", " : "") + jsonString(field) + ": " + jsonString(it->second);
    }
}

// Adds `"field": cents` when --option (in euros) is given.
void addAmount(std::string& body, const Options& o, const std::string& option, const std::string& field) {
    if (const auto it = o.named.find(option); it != o.named.end()) {
        body += (body.size() > 1 ? ", " : "") + jsonString(field) + ": " + centsOf(option, it->second);
    }
}

int post(const Options& o, const std::string& path, const std::string& body) {
    return call(o, "POST", path, body, "application/json");
}

}  // namespace

int runBillingCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    if (wantsHelp(sub)) {
        std::cout << kBillingUsage;
        return argc > 2 ? 0 : 64;
    }
    const Options o = parse(argc, argv);
    if (sub == "run") {
        std::string body = "{";
        addField(body, o, "as-of", "as_of");
        return post(o, "/api/v1/billing/run", body + "}");
    }
    if (sub == "subscribe" || sub == "change") {
        const bool subscribe = sub == "subscribe";
        std::string body = "{\"plan\": " + jsonString(need(o, "plan"));
        if (subscribe) {
            body += ", \"interval\": " + jsonString(need(o, "interval"));
        } else {
            addField(body, o, "interval", "interval");
        }
        addField(body, o, "start-date", "start_date");
        addField(body, o, "paid-through", "paid_through");
        addAmount(body, o, "price", "price_cents");
        return subscribe ? post(o, "/api/v1/associations/" + idArgument(o, "association") + "/subscriptions",
                                body + "}")
                         : post(o, "/api/v1/subscriptions/" + idArgument(o, "subscription") + "/change",
                                body + "}");
    }
    if (sub == "subscriptions") {
        return call(o, "GET", "/api/v1/associations/" + idArgument(o, "association") + "/subscriptions", "",
                    "");
    }
    if (sub == "cancel") {
        return post(o, "/api/v1/subscriptions/" + idArgument(o, "subscription") + "/cancel", "{}");
    }
    if (sub == "invoices") {
        Poco::URI path("/api/v1/invoices");
        path.addQueryParameter("limit", "200");
        if (o.named.count("association")) {
            path.addQueryParameter("association", o.named.at("association"));
        }
        return call(o, "GET", path.toString(), "", "");
    }
    if (sub == "invoice") {
        const std::string base = "/api/v1/invoices/" + idArgument(o, "invoice");
        for (const char* format : {"pdf", "html"}) {
            if (o.named.count(format)) {
                Poco::URI path(base + "/" + format);
                if (o.named.count("lang")) {
                    path.addQueryParameter("lang", o.named.at("lang"));
                }
                return call(o, "GET", path.toString(), "", "", o.named.at(format));
            }
        }
        return call(o, "GET", base, "", "");
    }
    if (sub == "finalize") {
        return post(o, "/api/v1/invoices/" + idArgument(o, "invoice") + "/finalize", "{}");
    }
    if (sub == "pay") {
        std::string body = "{\"amount_cents\": " + centsOf("amount", need(o, "amount")) +
                           ", \"method\": " + jsonString(need(o, "method"));
        addField(body, o, "reference", "reference");
        addField(body, o, "date", "date");
        return post(o, "/api/v1/invoices/" + idArgument(o, "invoice") + "/payments", body + "}");
    }
    if (sub == "credit-note") {
        std::string body = "{\"reason\": " + jsonString(need(o, "reason"));
        addAmount(body, o, "amount", "amount_cents");
        return post(o, "/api/v1/invoices/" + idArgument(o, "invoice") + "/credit-notes", body + "}");
    }
    if (sub == "export") {
        Poco::URI path("/api/v1/billing/export");
        path.addQueryParameter("what", o.named.count("what") ? o.named.at("what") : "invoices");
        path.addQueryParameter("from", need(o, "from"));
        path.addQueryParameter("to", need(o, "to"));
        return call(o, "GET", path.toString(), "", "");
    }
    std::cerr << "chatiere: unknown billing command '" << sub << "'\n\n" << kBillingUsage;
    return 64;
}

}  // namespace chatiere::manager
