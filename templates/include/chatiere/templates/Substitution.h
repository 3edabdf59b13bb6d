#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace chatiere::templates {

// A `{{name}}` in a text that cannot be filled: unclosed, or a name with no value. what() says
// which ("unclosed {{", "no value for {{name}}"); the caller adds where the text comes from.
class SubstitutionError : public std::runtime_error {
public:
    enum class Kind { Unclosed, NoValue };
    SubstitutionError(Kind kind, std::string name);
    Kind kind() const { return kind_; }
    const std::string& name() const { return name_; }  // empty when unclosed

private:
    Kind kind_;
    std::string name_;
};

// The one `{{name}}` engine (mail templates, the templates' domain XML): each `{{name}}` of `text`
// replaced by its value in `values`, passed through `render(name, value)` when given (escaping,
// checks; it may throw). No nesting, no spaces trimmed: `{{ name }}` names " name ".
std::string substitute(
    const std::string& text, const std::map<std::string, std::string>& values,
    const std::function<std::string(const std::string& name, const std::string& value)>& render = nullptr);

}  // namespace chatiere::templates
