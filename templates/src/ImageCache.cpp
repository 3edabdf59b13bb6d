#include "chatiere/templates/ImageCache.h"

namespace chatiere::templates {

std::optional<std::filesystem::path> ImageCache::currentBuild(const Manifest& m) const {
    std::error_code ec;
    const auto build = std::filesystem::canonical(folder(m) / "current", ec);
    if (ec || !std::filesystem::is_directory(build, ec)) {
        return std::nullopt;
    }
    return build;
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
