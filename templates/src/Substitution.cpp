#include "chatiere/templates/Substitution.h"

namespace chatiere::templates {

SubstitutionError::SubstitutionError(Kind kind, std::string name)
    : std::runtime_error(kind == Kind::Unclosed ? "unclosed {{" : "no value for {{" + name + "}}"),
      kind_(kind),
      name_(std::move(name)) {}

std::string substitute(const std::string& text, const std::map<std::string, std::string>& values,
                       const std::function<std::string(const std::string&, const std::string&)>& render) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (true) {
        const std::size_t open = text.find("{{", pos);
        if (open == std::string::npos) {
            out.append(text, pos, std::string::npos);
            return out;
        }
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string::npos) {
            throw SubstitutionError(SubstitutionError::Kind::Unclosed, "");
        }
        out.append(text, pos, open - pos);
        const std::string name = text.substr(open + 2, close - open - 2);
        const auto it = values.find(name);
        if (it == values.end()) {
            throw SubstitutionError(SubstitutionError::Kind::NoValue, name);
        }
        out += render ? render(name, it->second) : it->second;
        pos = close + 2;
    }
}

}  // namespace chatiere::templates
