#include "app/Terms.h"

#include "chatiere/manager/Error.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatiere::manager::app {

std::string readTerms(const Settings& settings, const std::string& language) {
    std::filesystem::path file = settings.termsFile;
    if (file.empty()) {
        file = std::filesystem::path(settings.webDir) / ("terms." + language + ".md");
    }
    std::ifstream in(file);
    if (!in) {
        throw Error(ErrorKind::Unavailable, "terms_unavailable",
                    "The terms of service cannot be read from " + file.string() + ".");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace chatiere::manager::app
