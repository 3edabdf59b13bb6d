#pragma once

#include "web/Translations.h"

#include <mstch/mstch.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace chatiere::manager::web {

// Renders the pages: web.dir/templates/NAME.mustache into layout.mustache, with the language's
// words for {{t.key}}. Mustache escapes every {{value}}; only the page body goes in unescaped
// ({{{content}}}), and it is itself rendered from a template.
//
// The words are compiled into the templates when the renderer is built: each template is kept
// once per language with every {{t.key}} replaced by the key's text, escaped as Mustache escapes
// it, so that a render neither copies the catalogue into its context nor looks the words up. Each
// template is given only the partials it includes (mstch parses every partial it is handed on
// each render).
class PageRenderer {
public:
    PageRenderer(const std::filesystem::path& templatesDir, const Translations& translations);

    // `data` is the page's own context; `frame` holds what the layout shows (title, signed-in
    // user, CSRF token, language switch).
    std::string render(const std::string& page, const std::string& language, mstch::map data,
                       mstch::map frame) const;
    const Translations& translations() const { return translations_; }

    // The template `page` as rendered in `language` ("fr" or "en"), its words compiled in.
    const std::string& compiled(const std::string& page, const std::string& language) const;

private:
    struct Template {
        std::string text;                             // the words compiled in
        std::map<std::string, std::string> partials;  // those it includes, transitively
    };
    using Compiled = std::map<std::string, Template>;  // name → template

    const Template& find(const std::string& page, const std::string& language) const;

    std::map<std::string, Compiled> languages_;  // "fr", "en" → its templates
    const Translations& translations_;
};

}  // namespace chatiere::manager::web
