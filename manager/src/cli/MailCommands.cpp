// `chatiere mail mailbox|alias …`: a mail service's mailboxes and aliases, through the daemon's API
// (docs/mail.md). Passwords are read from a file, never from the command line (which every user of
// the machine can read in ps).

#include "cli/ApiClient.h"
#include "cli/ApiCommands.h"

#include "chatiere/manager/Error.h"

#include <Poco/URI.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace chatiere::manager {

using namespace client;

namespace {

constexpr const char* kMailUsage =
    R"(Usage: chatiere mail mailbox|alias COMMAND SERVICE_ID [ARGUMENTS] [OPTIONS]

  mailbox list SERVICE_ID           a mail service's mailboxes: address, name, quota, use
  mailbox add SERVICE_ID LOCAL_PART --quota-mib N [--name NAME] [--password-file FILE]
                                    a new mailbox; without a password file, the daemon makes a
                                    password and prints it once
  mailbox passwd SERVICE_ID ADDRESS [--password-file FILE]
                                    a new password: the file's first line, or one made and printed once
  mailbox set SERVICE_ID ADDRESS [--quota-mib N] [--name NAME]
  mailbox delete SERVICE_ID ADDRESS (its mail is kept for the export grace period)
  alias list SERVICE_ID
  alias add SERVICE_ID LOCAL_PART DESTINATION...
                                    DESTINATION: a local part or an address (other domains only if
                                    the plan allows external forwards)
  alias delete SERVICE_ID LOCAL_PART

Options, answers and exit codes as for `chatiere service` (managers and the admin change; members
list).
)";

std::string encoded(const std::string& segment) {
    std::string out;
    Poco::URI::encode(segment, "/?#%&+ ", out);
    return out;
}

// The first line of a password file, without its line end; 65 when it cannot be read.
std::string passwordFrom(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line)) {
        throw Error(ErrorKind::BadRequest, "usage", "cannot read a password from " + path);
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

std::string positional(const Options& o, std::size_t i, const std::string& usage) {
    if (o.positional.size() <= i) {
        throw Error(ErrorKind::BadRequest, "usage", usage);
    }
    return o.positional[i];
}

int mailboxCommand(const std::string& sub, const Options& o) {
    const std::string path = "/api/v1/services/" + idArgument(o, "service") + "/mailboxes";
    if (sub == "list") {
        return call(o, "GET", path, "", "");
    }
    if (sub == "add") {
        const std::string local = positional(o, 1, "mailbox add SERVICE_ID LOCAL_PART --quota-mib N");
        need(o, "quota-mib");
        std::string body =
            "{\"local_part\": " + jsonString(local) + ", \"quota_mib\": " + *wholeNumber(o, "quota-mib", 9);
        if (o.named.count("name")) {
            body += ", \"name\": " + jsonString(o.named.at("name"));
        }
        if (o.named.count("password-file")) {
            body += ", \"password\": " + jsonString(passwordFrom(o.named.at("password-file")));
        }
        return call(o, "POST", path, body + "}", "application/json");
    }
    if (sub == "passwd" || sub == "set") {
        const std::string address = positional(o, 1, "mailbox " + sub + " SERVICE_ID ADDRESS");
        std::string body;
        const auto add = [&](const std::string& member) { body += (body.empty() ? "" : ", ") + member; };
        if (sub == "passwd") {
            add(o.named.count("password-file")
                    ? "\"password\": " + jsonString(passwordFrom(o.named.at("password-file")))
                    : "\"new_password\": true");
        } else {
            if (const auto quota = wholeNumber(o, "quota-mib", 9)) {
                add("\"quota_mib\": " + *quota);
            }
            if (o.named.count("name")) {
                add("\"name\": " + jsonString(o.named.at("name")));
            }
        }
        return call(o, "PATCH", path + "/" + encoded(address), "{" + body + "}", "application/json");
    }
    if (sub == "delete") {
        const std::string address = positional(o, 1, "mailbox delete SERVICE_ID ADDRESS");
        return call(o, "DELETE", path + "/" + encoded(address), "", "application/json");
    }
    std::cerr << "chatiere: unknown mail mailbox command '" << sub << "'\n\n" << kMailUsage;
    return 64;
}

int aliasCommand(const std::string& sub, const Options& o) {
    const std::string path = "/api/v1/services/" + idArgument(o, "service") + "/aliases";
    if (sub == "list") {
        return call(o, "GET", path, "", "");
    }
    if (sub == "add") {
        const std::string local = positional(o, 1, "alias add SERVICE_ID LOCAL_PART DESTINATION...");
        positional(o, 2, "alias add SERVICE_ID LOCAL_PART DESTINATION...");
        std::string destinations;
        for (std::size_t i = 2; i < o.positional.size(); ++i) {
            destinations += (destinations.empty() ? "" : ", ") + jsonString(o.positional[i]);
        }
        return call(o, "POST", path,
                    "{\"local_part\": " + jsonString(local) + ", \"destinations\": [" + destinations + "]}",
                    "application/json");
    }
    if (sub == "delete") {
        const std::string local = positional(o, 1, "alias delete SERVICE_ID LOCAL_PART");
        return call(o, "DELETE", path + "/" + encoded(local), "", "application/json");
    }
    std::cerr << "chatiere: unknown mail alias command '" << sub << "'\n\n" << kMailUsage;
    return 64;
}

}  // namespace

int runMailCommand(int argc, char** argv) {
    const std::string what = argc > 2 ? argv[2] : "--help";
    const std::string sub = argc > 3 ? argv[3] : "--help";
    if (wantsHelp(what) || wantsHelp(sub)) {
        std::cout << kMailUsage;
        return wantsHelp(what) && argc > 2 ? 0 : (argc > 3 ? 0 : 64);
    }
    const Options o = parse(argc, argv, 4);
    if (what == "mailbox") {
        return mailboxCommand(sub, o);
    }
    if (what == "alias") {
        return aliasCommand(sub, o);
    }
    std::cerr << "chatiere: unknown mail command '" << what << "'\n\n" << kMailUsage;
    return 64;
}

}  // namespace chatiere::manager
