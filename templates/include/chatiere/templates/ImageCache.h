#pragma once

#include "chatiere/templates/Catalogue.h"

#include <filesystem>
#include <mutex>
#include <string>

namespace chatiere::templates {

// Appliance images, built once by each template's recipe and kept under <data.dir>/images/<name>/.
// A build writes into a temporary folder that replaces the old one only when the recipe succeeded,
// so a crash mid-build never leaves a half image in place.
class ImageCache {
public:
    explicit ImageCache(std::filesystem::path root) : root_(std::move(root)) {}

    std::filesystem::path folder(const Manifest& m) const { return root_ / m.name; }
    std::filesystem::path kernel(const Manifest& m) const { return folder(m) / m.imageKernel; }
    std::filesystem::path initrd(const Manifest& m) const { return folder(m) / m.imageInitrd; }
    // A Debian appliance's root image (Manifest::imageRoot); empty when the template has none.
    std::filesystem::path root(const Manifest& m) const {
        return m.imageRoot.empty() ? std::filesystem::path() : folder(m) / m.imageRoot;
    }
    bool isBuilt(const Manifest& m) const;
    // Runs the recipe (bash <recipe> <output folder>); throws TemplateError with the recipe's
    // output when it fails. Returns the recipe's output.
    std::string build(const Manifest& m);
    // Builds only when missing.
    void ensureBuilt(const Manifest& m);

private:
    std::filesystem::path root_;
    std::string buildLocked(const Manifest& m);  // under both locks
    std::mutex mutex_;
};

}  // namespace chatiere::templates
