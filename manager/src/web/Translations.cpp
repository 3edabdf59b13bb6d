#include "web/Translations.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chatiere::manager::web {

Translations::Translations(const std::filesystem::path& dir)
    : fr_(load(dir / "fr.json")), en_(load(dir / "en.json")) {
    for (const auto& [a, b, name] : {std::tuple{&fr_, &en_, "en.json"}, std::tuple{&en_, &fr_, "fr.json"}}) {
        const auto missing = missingKeys(*a, *b);
        if (!missing.empty()) {
            throw std::runtime_error("translations: " + std::string(name) + " lacks '" + missing.front() +
                                     "' (" + std::to_string(missing.size()) + " key(s) missing)");
        }
    }
}

std::map<std::string, std::string> Translations::load(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        throw std::runtime_error("translations: cannot read " + file.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    Poco::JSON::Object::Ptr object;
    try {
        object = Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("translations: " + file.string() +
                                 " is not a JSON object: " + e.displayText());
    }
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : *object) {
        if (!value.isString()) {
            throw std::runtime_error("translations: " + file.string() + ": '" + key + "' is not a string");
        }
        out[key] = value.extract<std::string>();
    }
    return out;
}

const std::map<std::string, std::string>& Translations::of(const std::string& language) const {
    return language == "en" ? en_ : fr_;
}

const std::string& Translations::text(const std::string& language, const std::string& key) const {
    const auto& catalogue = of(language);
    const auto it = catalogue.find(key);
    return it == catalogue.end() ? key : it->second;
}

const std::string& Translations::error(const std::string& language, const std::string& code) const {
    const auto& catalogue = of(language);
    const auto it = catalogue.find("error_" + code);
    return it != catalogue.end() ? it->second : text(language, "error_invalid");
}

std::vector<std::string> Translations::missingKeys(const std::map<std::string, std::string>& a,
                                                   const std::map<std::string, std::string>& b) {
    std::vector<std::string> out;
    for (const auto& [key, value] : a) {
        if (!b.count(key)) {
            out.push_back(key);
        }
    }
    return out;
}

}  // namespace chatiere::manager::web
