#include "chatiere/manager/MailTemplates.h"

#include "chatiere/manager/Error.h"
#include "chatiere/templates/Substitution.h"

#include <fstream>
#include <set>
#include <sstream>

namespace chatiere::manager {

namespace {
const char* const kLanguages[] = {"fr", "en"};
}

std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars,
                       const std::string& where) {
    try {
        return templates::substitute(text, vars);
    } catch (const templates::SubstitutionError& e) {
        throw Error(ErrorKind::Internal, "mail_template", where + ": " + e.what());
    }
}

MailTemplates::MailTemplates(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) {
        throw Error(ErrorKind::Internal, "mail_templates",
                    "mail template folder " + dir.string() + " is missing");
    }
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string file = entry.path().filename().string();
        if (entry.path().extension() != ".txt") {
            continue;
        }
        const std::string stem = entry.path().stem().string();  // name.lang
        const auto dot = stem.rfind('.');
        const std::string lang = dot == std::string::npos ? "" : stem.substr(dot + 1);
        if (lang != "fr" && lang != "en") {
            throw Error(ErrorKind::Internal, "mail_templates",
                        entry.path().string() + ": name it <template>.fr.txt or <template>.en.txt");
        }
        std::ifstream in(entry.path());
        std::string first;
        std::getline(in, first);
        std::string blank;
        std::getline(in, blank);
        if (first.rfind("Subject: ", 0) != 0 || first.size() <= 9 || !blank.empty()) {
            throw Error(ErrorKind::Internal, "mail_templates",
                        entry.path().string() + ": the first line must be `Subject: …`, then an empty line");
        }
        std::ostringstream body;
        body << in.rdbuf();
        if (body.str().empty()) {
            throw Error(ErrorKind::Internal, "mail_templates", entry.path().string() + ": the body is empty");
        }
        templates_[stem] = {first.substr(9), body.str()};
        names.insert(stem.substr(0, dot));
    }
    for (const auto& name : names) {
        for (const char* lang : kLanguages) {
            if (!templates_.count(name + "." + lang)) {
                throw Error(
                    ErrorKind::Internal, "mail_templates",
                    (dir / (name + "." + lang + ".txt")).string() + " is missing (every mail has fr and en)");
            }
        }
    }
}

bool MailTemplates::has(const std::string& name) const {
    return templates_.count(name + ".fr") > 0;
}

RenderedMail MailTemplates::render(const std::string& name, const std::string& lang,
                                   const std::map<std::string, std::string>& vars) const {
    const std::string key = name + "." + (lang == "en" ? "en" : "fr");
    const auto it = templates_.find(key);
    if (it == templates_.end()) {
        throw Error(ErrorKind::Internal, "mail_template", "no mail template " + key);
    }
    return {substitute(it->second.subject, vars, key), substitute(it->second.body, vars, key)};
}

}  // namespace chatiere::manager
