#pragma once

#include "web/Translations.h"

#include <mstch/mstch.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace chatiere::manager::web {

// Renders the pages: web.dir/templates/NAME.mustache into layout.mustache, with the language's
// words under `t`. Mustache escapes every {{value}}; only the page body goes in unescaped
// ({{{content}}}), and it is itself rendered from a template.
class PageRenderer {
public:
    PageRenderer(const std::filesystem::path& templatesDir, const Translations& translations);

    // `data` is the page's own context; `frame` holds what the layout shows (title, signed-in
    // user, CSRF token, language switch).
    std::string render(const std::string& page, const std::string& language, mstch::map data,
                       mstch::map frame) const;
    const Translations& translations() const { return translations_; }

private:
    std::map<std::string, std::string> templates_;  // name → text (loaded once)
    std::map<std::string, std::string> partials_;   // the templates others include
    std::map<std::string, mstch::map> words_;       // language → its words, for {{t.key}}
    const Translations& translations_;
};

}  // namespace chatiere::manager::web
