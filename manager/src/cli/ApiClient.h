#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatiere::manager::client {

// The words of a command that talks to the daemon's API: positional words and --name value pairs.
struct Options {
    std::vector<std::string> positional;
    std::map<std::string, std::string> named;
};

// The words after `chatiere COMMAND SUB` (from argv[first]).
Options parse(int argc, char** argv, int first = 3);

// One API request with the token from --token-file or CHATIERE_TOKEN, to --url (default
// http://127.0.0.1:8470). A JSON answer is printed indented (errors on standard error), another
// answer as it is; with `saveTo`, a successful answer's bytes go to that file instead. Returns the
// exit code (exitCodeOfStatus): 0 done or accepted, 64 wrong method, 65 refused input, 66 not
// found, 69 daemon unreachable or unavailable, 70 the daemon failed, 73 cannot write `saveTo`, 75
// try later, 77 not signed in or not allowed.
int call(const Options& o, const std::string& method, const std::string& path, const std::string& body,
         const std::string& contentType, const std::optional<std::string>& saveTo = std::nullopt);

// The value of --name, or a usage error naming it.
std::string need(const Options& o, const std::string& name);
// `s` as a JSON string literal, quotes included.
std::string jsonString(const std::string& s);
// The first positional word as an id (letters, digits, '_' and '-': it goes into a path).
std::string idArgument(const Options& o, const std::string& what);
// The value of --name as a whole number of at most `maxDigits` digits, or a usage error.
std::optional<std::string> wholeNumber(const Options& o, const std::string& name, size_t maxDigits);
bool wantsHelp(const std::string& word);

}  // namespace chatiere::manager::client
