#pragma once

#include "chatiere/templates/Catalogue.h"

#include <filesystem>
#include <optional>
#include <string>

namespace chatiere::templates {

// The appliance images that templates/build.sh builds outside the daemon (docs/images.md), read
// only: <root>/<template>/<key>/ holds one build, <root>/<template>/current names the one new
// guests use. The daemon never builds: a guest whose image is missing waits for it.
class ImageCache {
public:
    explicit ImageCache(std::filesystem::path root) : root_(std::move(root)) {}

    std::filesystem::path folder(const Manifest& m) const { return root_ / m.name; }
    // The folder of the current build, resolved: a guest's domain names the build itself, so that
    // a newer build never changes what a defined guest boots, and so that the guests of an older
    // build can be told apart. nullopt when there is none.
    std::optional<std::filesystem::path> currentBuild(const Manifest& m) const;
    // The key of the current build (its folder's name); nullopt when there is none.
    std::optional<std::string> currentKey(const Manifest& m) const;
    // The folder of the build `key` (canonical, as guests' domains name it); nullopt when it is not
    // there (pruned) or does not hold the kernel, the initrd and the root.
    std::optional<std::filesystem::path> buildOf(const Manifest& m, const std::string& key) const;
    // The key of the build a guest's domain XML boots (the folder of its kernel); nullopt when the
    // XML names no build of this template (a guest defined from another cache).
    std::optional<std::string> keyIn(const Manifest& m, const std::string& domainXml) const;
    // A current build that holds the kernel, the initrd and (when the template has one) the root.
    bool isBuilt(const Manifest& m) const;
    // The files of the current build; throw TemplateError when it is not built.
    std::filesystem::path kernel(const Manifest& m) const;
    std::filesystem::path initrd(const Manifest& m) const;
    // The root filesystem image; nullopt for a template without one (manifest image.root).
    std::optional<std::filesystem::path> root(const Manifest& m) const;
    // What a guest waiting for this image says, with what the admin runs.
    static std::string missingMessage(const Manifest& m);

private:
    std::filesystem::path file(const Manifest& m, const std::string& name) const;
    std::filesystem::path root_;
};

}  // namespace chatiere::templates
