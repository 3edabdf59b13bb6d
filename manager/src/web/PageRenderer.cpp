#include "web/PageRenderer.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace chatiere::manager::web {

namespace {

// Every {{t.key}} of `text` replaced by the key's text as Mustache would print it (escaped by
// mstch itself, so the page is the same byte for byte; a missing key prints nothing, as in
// Mustache).
std::string compileWords(const std::string& name, const std::string& text,
                         const std::map<std::string, std::string>& words) {
    static const std::regex word(R"(\{\{t\.([A-Za-z0-9_]+)\}\})");
    std::string out;
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.begin(), text.end(), word), end; it != end; ++it) {
        out.append(last, (*it)[0].first);
        const auto found = words.find((*it)[1].str());
        if (found != words.end()) {
            mstch::map one;
            one.emplace("w", found->second);
            out += mstch::render("{{w}}", one);
        }
        last = (*it)[0].second;
    }
    out.append(last, text.cend());
    if (out.find("{{t.") != std::string::npos) {
        throw std::runtime_error("page templates: " + name +
                                 " uses the words in a way not compiled in ({{t.…}})");
    }
    return out;
}

}  // namespace

PageRenderer::PageRenderer(const std::filesystem::path& templatesDir, const Translations& translations)
    : translations_(translations) {
    if (!std::filesystem::is_directory(templatesDir)) {
        throw std::runtime_error("page templates: no directory " + templatesDir.string());
    }
    std::map<std::string, std::string> texts;  // name → text as written
    for (const auto& entry : std::filesystem::directory_iterator(templatesDir)) {
        if (entry.path().extension() != ".mustache") {
            continue;
        }
        std::ifstream in(entry.path());
        std::ostringstream text;
        text << in.rdbuf();
        texts[entry.path().stem().string()] = text.str();
    }
    if (!texts.count("layout")) {
        throw std::runtime_error("page templates: no layout.mustache in " + templatesDir.string());
    }
    // Partials are the templates another one includes ({{> name}}).
    const std::regex include(R"(\{\{>\s*([A-Za-z0-9_]+)\s*\}\})");
    std::map<std::string, std::set<std::string>> includes;  // name → the partials it names
    for (const auto& [name, text] : texts) {
        for (std::sregex_iterator it(text.begin(), text.end(), include), end; it != end; ++it) {
            const std::string partial = (*it)[1].str();
            if (!texts.count(partial)) {
                throw std::runtime_error("page templates: " + name + " includes a missing " + partial);
            }
            includes[name].insert(partial);
        }
    }
    for (const char* language : {"fr", "en"}) {
        const auto& words = translations_.of(language);
        for (const auto& [key, value] : words) {
            if (value.find("{{") != std::string::npos) {  // it would become a tag once compiled in
                throw std::runtime_error(std::string("page words: ") + language + " '" + key + "' holds {{");
            }
        }
        std::map<std::string, std::string> compiled;
        for (const auto& [name, text] : texts) {
            compiled[name] = compileWords(name, text, words);
        }
        Compiled& out = languages_[language];
        for (const auto& [name, text] : compiled) {
            Template t{text, {}};
            std::vector<std::string> todo(includes[name].begin(), includes[name].end());
            while (!todo.empty()) {
                const std::string partial = todo.back();
                todo.pop_back();
                if (t.partials.emplace(partial, compiled.at(partial)).second) {
                    todo.insert(todo.end(), includes[partial].begin(), includes[partial].end());
                }
            }
            out.emplace(name, std::move(t));
        }
    }
}

const PageRenderer::Template& PageRenderer::find(const std::string& page, const std::string& language) const {
    const Compiled& templates = languages_.at(language == "en" ? "en" : "fr");
    const auto it = templates.find(page);
    if (it == templates.end()) {
        throw std::runtime_error("page templates: no " + page + ".mustache");
    }
    return it->second;
}

const std::string& PageRenderer::compiled(const std::string& page, const std::string& language) const {
    return find(page, language).text;
}

std::string PageRenderer::render(const std::string& page, const std::string& language, mstch::map data,
                                 mstch::map frame) const {
    const Template& body = find(page, language);
    const Template& layout = find("layout", language);
    frame.emplace("lang", language);
    frame.emplace("content", mstch::render(body.text, mstch::node(std::move(data)), body.partials));
    return mstch::render(layout.text, mstch::node(std::move(frame)), layout.partials);
}

}  // namespace chatiere::manager::web
