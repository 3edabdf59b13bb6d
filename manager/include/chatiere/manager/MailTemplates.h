#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace chatiere::manager {

struct RenderedMail {
    std::string subject;
    std::string body;
};

// Mail templates, French and English: files `<name>.<lang>.txt` whose first line is
// `Subject: …`, then a blank line, then the body, with `{{var}}` placeholders.
class MailTemplates {
public:
    // Loads and checks every template; throws Error naming the file when one is malformed or a
    // template lacks its French or English version.
    explicit MailTemplates(const std::filesystem::path& dir);
    // Unknown language → French. A placeholder without a value is a programmer error (throws).
    RenderedMail render(const std::string& name, const std::string& lang,
                        const std::map<std::string, std::string>& vars) const;
    bool has(const std::string& name) const;

private:
    std::map<std::string, RenderedMail> templates_;  // key "name.lang"
};

// Replaces each {{var}} (templates::substitute, the one engine); throws Error for a placeholder
// with no value or unclosed, naming `where`.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars,
                       const std::string& where);

}  // namespace chatiere::manager
