#include "cli/ApiCommands.h"

#include "cli/ApiClient.h"

#include "chatiere/manager/Error.h"

#include <Poco/URI.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace chatiere::manager {

using namespace client;

namespace {

constexpr const char* kUsage = R"(Usage: chatiere service COMMAND [OPTIONS]

  create --association ID --template NAME --name NAME [--mail-domain DOMAIN]
                              (--mail-domain: a mail service's domain, required for `mail`)
  list --association ID
  show SERVICE_ID
  suspend SERVICE_ID          (the admin suspends for `admin`, a manager for `association`)
  resume SERVICE_ID
  delete SERVICE_ID
  upload SERVICE_ID FILE      a website's site: .tar.gz, .zip or .tar
  resize SERVICE_ID [--vcpus N] [--memory-mib N] [--disk-gib N]   (a disk only grows)

Options: --url URL (default http://127.0.0.1:8470), --token-file FILE (default: $CHATIERE_TOKEN).
Prints the daemon's JSON answer. Exit codes: 0 done or accepted, 65 refused input, 66 not found,
69 daemon unreachable, 75 try later, 77 not signed in or not allowed.
)";

constexpr const char* kUsageUsage = R"(Usage: chatiere usage COMMAND [OPTIONS]

  service SERVICE_ID [--from TIME] [--to TIME] [--step SECONDS]
                              a time series (default: the last 24 hours); TIME like 2026-12-01T00:00:00Z
  association ASSOCIATION_ID  this period's usage against the plan's quotas
  exception ASSOCIATION_ID (--days N | --until TIME) --reason TEXT
                              (admin) no quota enforcement for the association until then

Options, answers and exit codes as for `chatiere service`.
)";

constexpr const char* kAlertsUsage = R"(Usage: chatiere alerts [all] [OPTIONS]

  chatiere alerts             the open alerts (admin)
  chatiere alerts all         the closed ones too

Options, answers and exit codes as for `chatiere service`.
)";

constexpr const char* kPadsUsage = R"(Usage: chatiere pads COMMAND SERVICE_ID [NAME] [OPTIONS]

  list SERVICE_ID                   an editor's pads: name, address, last edit, revisions
  create SERVICE_ID NAME [--text T] a new pad (NAME: 1 to 50 ASCII letters, digits, '-', '_'),
                                    with its first text (default: the editor's welcome text)
  delete SERVICE_ID NAME            (managers and the admin) a pad and its history, for good

Options, answers and exit codes as for `chatiere service` (69 also when the editor does not answer).
)";

constexpr const char* kRolloutUsage = R"(Usage: chatiere templates rollout|rollout-status [TEMPLATE] [OPTIONS]

  rollout [TEMPLATE]          (admin) restart the services on an outdated build of the template's
                              image (of every template) on its current build now, one at a time,
                              even with images.auto_rollout off; prints the progress
  rollout-status [TEMPLATE]   the services on an outdated build, the rollout in progress

Options, answers and exit codes as for `chatiere service`.
)";

}  // namespace

int runRolloutCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    const Options o = parse(argc, argv);
    if (o.positional.size() > 1 || (argc > 3 && wantsHelp(argv[3]))) {
        std::cout << kRolloutUsage;
        return o.positional.size() > 1 ? 64 : 0;
    }
    const std::optional<std::string> name =
        o.positional.empty() ? std::nullopt : std::optional<std::string>(o.positional[0]);
    if (sub == "rollout-status") {
        std::string path = "/api/v1/templates/rollout";
        if (name) {
            std::string encoded;
            Poco::URI::encode(*name, "/?#%&+ ", encoded);
            path += "?template=" + encoded;
        }
        return call(o, "GET", path, "", "");
    }
    const std::string body = name ? "{\"template\": " + jsonString(*name) + "}" : "{}";
    return call(o, "POST", "/api/v1/templates/rollout", body, "application/json");
}

int runPadsCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    if (wantsHelp(sub)) {
        std::cout << kPadsUsage;
        return argc > 2 ? 0 : 64;
    }
    const Options o = parse(argc, argv);
    const std::string path = "/api/v1/services/" + idArgument(o, "service") + "/pads";
    const auto name = [&] {
        if (o.positional.size() < 2) {
            throw Error(ErrorKind::BadRequest, "usage", sub + " SERVICE_ID NAME");
        }
        return o.positional[1];
    };
    if (sub == "list") {
        return call(o, "GET", path, "", "");
    }
    if (sub == "create") {
        std::string body = "{\"name\": " + jsonString(name());
        if (o.named.count("text")) {
            body += ", \"text\": " + jsonString(o.named.at("text"));
        }
        return call(o, "POST", path, body + "}", "application/json");
    }
    if (sub == "delete") {
        std::string encoded;
        Poco::URI::encode(name(), "/?#%&+ ", encoded);
        return call(o, "DELETE", path + "/" + encoded, "", "application/json");
    }
    std::cerr << "chatiere: unknown pads command '" << sub << "'\n\n" << kPadsUsage;
    return 64;
}

int runServiceCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    if (wantsHelp(sub)) {
        std::cout << kUsage;
        return 0;
    }
    const Options o = parse(argc, argv);
    const auto id = [&] { return idArgument(o, "service"); };
    if (sub == "create") {
        std::string body = "{\"template\": " + jsonString(need(o, "template")) +
                           ", \"name\": " + jsonString(need(o, "name"));
        if (o.named.count("mail-domain")) {
            body += ", \"mail_domain\": " + jsonString(o.named.at("mail-domain"));
        }
        body += "}";
        return call(o, "POST", "/api/v1/associations/" + need(o, "association") + "/services", body,
                    "application/json");
    }
    if (sub == "list") {
        return call(o, "GET", "/api/v1/associations/" + need(o, "association") + "/services", "", "");
    }
    if (sub == "show") {
        return call(o, "GET", "/api/v1/services/" + id(), "", "");
    }
    if (sub == "suspend" || sub == "resume") {
        return call(o, "POST", "/api/v1/services/" + id() + "/" + sub, "{}", "application/json");
    }
    if (sub == "delete") {
        return call(o, "DELETE", "/api/v1/services/" + id(), "", "application/json");
    }
    if (sub == "upload") {
        if (o.positional.size() < 2) {
            throw Error(ErrorKind::BadRequest, "usage", "upload SERVICE_ID FILE");
        }
        std::ifstream in(o.positional[1], std::ios::binary);
        if (!in) {
            throw Error(ErrorKind::NotFound, "no_file", "cannot read " + o.positional[1]);
        }
        std::ostringstream bytes;
        bytes << in.rdbuf();
        return call(o, "PUT", "/api/v1/services/" + id() + "/content", bytes.str(),
                    "application/octet-stream");
    }
    if (sub == "resize") {
        std::string body;
        for (const auto& [option, field] :
             {std::pair{"vcpus", "vcpus"}, std::pair{"memory-mib", "memory_mib"},
              std::pair{"disk-gib", "disk_gib"}}) {
            if (const auto value = wholeNumber(o, option, 9)) {
                body += (body.empty() ? "{" : ", ") + jsonString(field) + ": " + *value;
            }
        }
        if (body.empty()) {
            throw Error(ErrorKind::BadRequest, "usage",
                        "resize SERVICE_ID [--vcpus N] [--memory-mib N] [--disk-gib N]");
        }
        return call(o, "PATCH", "/api/v1/services/" + id(), body + "}", "application/json");
    }
    std::cerr << "chatiere: unknown service command '" << sub << "'\n\n" << kUsage;
    return 64;
}

int runUsageCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    if (wantsHelp(sub)) {
        std::cout << kUsageUsage;
        return argc > 2 ? 0 : 64;
    }
    const Options o = parse(argc, argv);
    if (sub == "service") {
        Poco::URI path("/api/v1/services/" + idArgument(o, "service") + "/usage");
        for (const char* option : {"from", "to", "step"}) {
            if (o.named.count(option)) {
                path.addQueryParameter(option, o.named.at(option));
            }
        }
        return call(o, "GET", path.toString(), "", "");
    }
    if (sub == "association") {
        return call(o, "GET", "/api/v1/associations/" + idArgument(o, "association") + "/usage", "", "");
    }
    if (sub == "exception") {
        std::string body = "{\"reason\": " + jsonString(need(o, "reason"));
        if (const auto days = wholeNumber(o, "days", 4)) {
            body += ", \"days\": " + *days;
        }
        if (o.named.count("until")) {
            body += ", \"until\": " + jsonString(o.named.at("until"));
        }
        return call(o, "POST", "/api/v1/associations/" + idArgument(o, "association") + "/quota-exceptions",
                    body + "}", "application/json");
    }
    std::cerr << "chatiere: unknown usage command '" << sub << "'\n\n" << kUsageUsage;
    return 64;
}

int runAlertsCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "open";
    if (wantsHelp(sub)) {
        std::cout << kAlertsUsage;
        return 0;
    }
    if (sub != "open" && sub != "all" && sub.rfind("--", 0) != 0) {
        std::cerr << "chatiere: unknown alerts command '" << sub << "'\n\n" << kAlertsUsage;
        return 64;
    }
    // Options start after the optional word.
    const Options o = parse(argc, argv, sub.rfind("--", 0) == 0 ? 2 : 3);
    return call(o, "GET", std::string("/api/v1/alerts?limit=200") + (sub == "all" ? "&all=true" : ""), "",
                "");
}

}  // namespace chatiere::manager
