#include "web/PageRenderer.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace chatiere::manager::web {

PageRenderer::PageRenderer(const std::filesystem::path& templatesDir, const Translations& translations)
    : translations_(translations) {
    if (!std::filesystem::is_directory(templatesDir)) {
        throw std::runtime_error("page templates: no directory " + templatesDir.string());
    }
    for (const auto& entry : std::filesystem::directory_iterator(templatesDir)) {
        if (entry.path().extension() != ".mustache") {
            continue;
        }
        std::ifstream in(entry.path());
        std::ostringstream text;
        text << in.rdbuf();
        templates_[entry.path().stem().string()] = text.str();
    }
    if (!templates_.count("layout")) {
        throw std::runtime_error("page templates: no layout.mustache in " + templatesDir.string());
    }
    // Partials are the templates another one includes ({{> name}}): only those are handed to
    // mstch, which parses every partial it is given on each render.
    const std::regex include(R"(\{\{>\s*([A-Za-z0-9_]+)\s*\}\})");
    for (const auto& [name, text] : templates_) {
        for (std::sregex_iterator it(text.begin(), text.end(), include), end; it != end; ++it) {
            const std::string partial = (*it)[1].str();
            if (!templates_.count(partial)) {
                throw std::runtime_error("page templates: " + name + " includes a missing " + partial);
            }
            partials_[partial] = templates_.at(partial);
        }
    }
    for (const char* language : {"fr", "en"}) {
        mstch::map t;
        for (const auto& [key, value] : translations_.of(language)) {
            t.emplace(key, value);
        }
        words_[language] = std::move(t);
    }
}

std::string PageRenderer::render(const std::string& page, const std::string& language, mstch::map data,
                                 mstch::map frame) const {
    const auto it = templates_.find(page);
    if (it == templates_.end()) {
        throw std::runtime_error("page templates: no " + page + ".mustache");
    }
    const mstch::map& t = words_.at(language == "en" ? "en" : "fr");
    data.emplace("t", t);
    frame.emplace("t", t);
    frame.emplace("lang", language);
    frame.emplace("content", mstch::render(it->second, data, partials_));
    return mstch::render(templates_.at("layout"), frame, partials_);
}

}  // namespace chatiere::manager::web
