#include "cli/ApiClient.h"

#include "chatiere/manager/Error.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
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
#include <sstream>

namespace chatiere::manager::client {

namespace {

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

}  // namespace

// The words after `chatiere COMMAND SUB` (from argv[first]).
Options parse(int argc, char** argv, int first) {
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

int call(const Options& o, const std::string& method, const std::string& path, const std::string& body,
         const std::string& contentType, const std::optional<std::string>& saveTo) {
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
    if (saveTo && status < 300) {
        std::ofstream out(*saveTo, std::ios::binary | std::ios::trunc);
        if (!out.write(answer.data(), static_cast<std::streamsize>(answer.size())) || !out.flush()) {
            std::cerr << "chatiere: cannot write " << *saveTo << "\n";
            return 73;  // EX_CANTCREAT
        }
        std::cout << "chatiere: wrote " << *saveTo << " (" << answer.size() << " bytes)\n";
        return 0;
    }
    try {
        Poco::JSON::Parser parser;
        const auto parsed = parser.parse(answer);
        std::ostringstream pretty;
        Poco::JSON::Stringifier::stringify(parsed, pretty, 2);
        (status < 300 ? std::cout : std::cerr) << pretty.str() << "\n";
    } catch (const Poco::Exception&) {
        // Not JSON (a CSV export): as it is, ended by one newline.
        (status < 300 ? std::cout : std::cerr) << answer << (answer.ends_with('\n') ? "" : "\n");
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

std::optional<std::string> wholeNumber(const Options& o, const std::string& name, size_t maxDigits) {
    const auto it = o.named.find(name);
    if (it == o.named.end()) {
        return std::nullopt;
    }
    const std::string& value = it->second;
    if (value.empty() || value.size() > maxDigits ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw Error(ErrorKind::BadRequest, "usage", "--" + name + " takes a whole number");
    }
    return value;
}

}  // namespace chatiere::manager::client
