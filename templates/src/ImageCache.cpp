#include "chatiere/templates/ImageCache.h"

#include <vector>

namespace chatiere::templates {

std::optional<std::filesystem::path> ImageCache::currentBuild(const Manifest& m) const {
    std::error_code ec;
    const auto build = std::filesystem::canonical(folder(m) / "current", ec);
    if (ec || !std::filesystem::is_directory(build, ec)) {
        return std::nullopt;
    }
    return build;
}

std::optional<std::string> ImageCache::currentKey(const Manifest& m) const {
    const auto build = currentBuild(m);
    if (!build) {
        return std::nullopt;
    }
    return build->filename().string();
}

std::optional<std::filesystem::path> ImageCache::buildOf(const Manifest& m, const std::string& key) const {
    if (key.empty() || key.find('/') != std::string::npos || key == "." || key == ".." || key == "current" ||
        key == "previous") {
        return std::nullopt;
    }
    std::error_code ec;
    const auto build = std::filesystem::weakly_canonical(folder(m), ec) / key;
    if (ec) {
        return std::nullopt;
    }
    for (const auto& name : {m.imageKernel, m.imageInitrd, m.imageRoot}) {
        if (!name.empty() && !std::filesystem::is_regular_file(build / name, ec)) {
            return std::nullopt;
        }
    }
    return build;
}

std::optional<std::string> ImageCache::keyIn(const Manifest& m, const std::string& domainXml) const {
    // The kernel is named by its path in the build's folder: <folder>/<key>/<kernel>.
    std::error_code ec;
    std::vector<std::string> prefixes = {folder(m).string() + "/"};
    const auto canonical = std::filesystem::weakly_canonical(folder(m), ec);
    if (!ec && canonical.string() + "/" != prefixes.front()) {
        prefixes.push_back(canonical.string() + "/");
    }
    for (const auto& prefix : prefixes) {
        const auto at = domainXml.find(prefix);
        if (at == std::string::npos) {
            continue;
        }
        const auto start = at + prefix.size();
        const auto end = domainXml.find_first_of("/<\"' \n", start);
        if (end == std::string::npos || end == start || domainXml[end] != '/') {
            continue;
        }
        return domainXml.substr(start, end - start);
    }
    return std::nullopt;
}

bool ImageCache::isBuilt(const Manifest& m) const {
    const auto build = currentBuild(m);
    if (!build) {
        return false;
    }
    std::error_code ec;
    for (const auto& name : {m.imageKernel, m.imageInitrd, m.imageRoot}) {
        if (!name.empty() && !std::filesystem::is_regular_file(*build / name, ec)) {
            return false;
        }
    }
    return true;
}

std::string ImageCache::missingMessage(const Manifest& m) {
    return "waiting for the image of template " + m.name + ": run chatiere templates build " + m.name;
}

std::filesystem::path ImageCache::file(const Manifest& m, const std::string& name) const {
    const auto build = currentBuild(m);
    if (!build) {
        throw TemplateError(missingMessage(m));
    }
    return *build / name;
}

std::filesystem::path ImageCache::kernel(const Manifest& m) const {
    return file(m, m.imageKernel);
}

std::filesystem::path ImageCache::initrd(const Manifest& m) const {
    return file(m, m.imageInitrd);
}

std::optional<std::filesystem::path> ImageCache::root(const Manifest& m) const {
    if (m.imageRoot.empty()) {
        return std::nullopt;
    }
    return file(m, m.imageRoot);
}

}  // namespace chatiere::templates
