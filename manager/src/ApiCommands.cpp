#include "ApiCommands.h"

#include "chatiere/manager/Error.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

namespace chatiere::manager {

namespace {

constexpr const char* kUsage = R"(Usage: chatiere service COMMAND [OPTIONS]

  create --association ID --template NAME --name NAME
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

struct Options {
    std::vector<std::string> positional;
    std::map<std::string, std::string> named;
};

// The words after `chatiere COMMAND SUB` (from argv[first]).
Options parse(int argc, char** argv, int first = 3) {
    Options o;
    for (int i = first; i < argc; ++i) {
        const std::string word = argv[i];
        if (word.rfind("--", 0) == 0) {
            if (i + 1 >= argc) {
                throw Error(ErrorKind::BadRequest, "usage", "option " + word + " needs a value");
            }
            o.named[word.substr(2)] = argv[++i];
        } else {
            o.positional.push_back(word);
        }
    }
    return o;
}

std::string token(const Options& o) {
    if (o.named.count("token-file")) {
        std::ifstream in(o.named.at("token-file"));
        std::string t;
        if (!in || !std::getline(in, t) || t.empty()) {
            throw Error(ErrorKind::BadRequest, "usage",
                        "cannot read a token from " + o.named.at("token-file"));
        }
        return t;
    }
    const char* env = std::getenv("CHATIERE_TOKEN");
    if (!env || !*env) {
        throw Error(ErrorKind::Unauthenticated, "no_token",
                    "set CHATIERE_TOKEN (an API token from POST /api/v1/tokens) or give --token-file");
    }
    return env;
}

int exitCodeOfStatus(int status) {
    if (status < 300) {
        return 0;
    }
    switch (status) {
        case 401:
        case 403:
            return 77;
        case 404:
            return 66;
        case 429:
            return 75;
        default:
            return status >= 500 ? 69 : 65;
    }
}

int call(const Options& o, const std::string& method, const std::string& path, const std::string& body,
         const std::string& contentType) {
    const Poco::URI base(o.named.count("url") ? o.named.at("url") : "http://127.0.0.1:8470");
    Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
    session.setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + token(o));
    if (!body.empty() || method != "GET") {
        request.setContentType(contentType);
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::string answer;
    Poco::Net::HTTPResponse response;
    try {
        session.sendRequest(request) << body;
        std::istream& in = session.receiveResponse(response);
        Poco::StreamCopier::copyToString(in, answer);
    } catch (const Poco::Exception& e) {
        std::cerr << "chatiere: cannot reach the daemon at " << base.toString() << ": " << e.displayText()
                  << "\n";
        return 69;
    }
    const int status = static_cast<int>(response.getStatus());
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(answer);
        std::ostringstream pretty;
        Poco::JSON::Stringifier::stringify(parsed, pretty, 2);
        (status < 300 ? std::cout : std::cerr) << pretty.str() << "\n";
    } catch (const Poco::Exception&) {
        (status < 300 ? std::cout : std::cerr) << answer << "\n";
    }
    return exitCodeOfStatus(status);
}

std::string need(const Options& o, const std::string& name) {
    const auto it = o.named.find(name);
    if (it == o.named.end()) {
        throw Error(ErrorKind::BadRequest, "usage", "give --" + name);
    }
    return it->second;
}

std::string jsonString(const std::string& s) {
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(s, out);
    return out.str();
}

// An id as given on the command line: letters, digits, '_' and '-' only (it goes into a path).
std::string idArgument(const Options& o, const std::string& what) {
    if (o.positional.empty()) {
        throw Error(ErrorKind::BadRequest, "usage", "give the " + what + "'s id");
    }
    const std::string& value = o.positional.front();
    for (const char c : value) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
            throw Error(ErrorKind::BadRequest, "usage", "'" + value + "' is not a " + what + " id");
        }
    }
    return value;
}

bool wantsHelp(const std::string& word) {
    return word == "--help" || word == "-h" || word == "help";
}

}  // namespace

int runServiceCommand(int argc, char** argv) {
    const std::string sub = argc > 2 ? argv[2] : "--help";
    if (wantsHelp(sub)) {
        std::cout << kUsage;
        return 0;
    }
    const Options o = parse(argc, argv);
    const auto id = [&] { return idArgument(o, "service"); };
    if (sub == "create") {
        const std::string body = "{\"template\": " + jsonString(need(o, "template")) +
                                 ", \"name\": " + jsonString(need(o, "name")) + "}";
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
            const auto it = o.named.find(option);
            if (it == o.named.end()) {
                continue;
            }
            if (it->second.empty() || it->second.size() > 9 ||
                !std::all_of(it->second.begin(), it->second.end(),
                             [](char c) { return c >= '0' && c <= '9'; })) {
                throw Error(ErrorKind::BadRequest, "usage",
                            "--" + std::string(option) + " takes a whole number");
            }
            body += (body.empty() ? "{" : ", ") + jsonString(field) + ": " + it->second;
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
        if (o.named.count("days")) {
            const std::string& days = o.named.at("days");
            if (days.empty() || days.size() > 4 ||
                !std::all_of(days.begin(), days.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                throw Error(ErrorKind::BadRequest, "usage", "--days takes a whole number");
            }
            body += ", \"days\": " + days;
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
