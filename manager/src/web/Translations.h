#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace chatiere::manager::web {

// The pages' words in French and English, from web.dir/i18n/{fr,en}.json (flat key → text).
// Both catalogues must hold the same keys: a page never shows a key or the other language.
class Translations {
public:
    explicit Translations(const std::filesystem::path& dir);

    const std::map<std::string, std::string>& of(const std::string& language) const;
    // The text of `key` in `language`; the key itself when missing (a bug the tests catch).
    const std::string& text(const std::string& language, const std::string& key) const;

    // The message for an API error code (error_<code>), or the generic one.
    const std::string& error(const std::string& language, const std::string& code) const;

    // Keys of `a` missing from `b`.
    static std::vector<std::string> missingKeys(const std::map<std::string, std::string>& a,
                                                const std::map<std::string, std::string>& b);
    static std::map<std::string, std::string> load(const std::filesystem::path& file);

private:
    std::map<std::string, std::string> fr_;
    std::map<std::string, std::string> en_;
};

}  // namespace chatiere::manager::web
