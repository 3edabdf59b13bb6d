#include "chatiere/templates/ImageCache.h"

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

namespace chatiere::templates {

bool ImageCache::isBuilt(const Manifest& m) const {
    return std::filesystem::is_regular_file(kernel(m)) && std::filesystem::is_regular_file(initrd(m));
}

std::string ImageCache::build(const Manifest& m) {
    std::lock_guard lock(mutex_);
    std::filesystem::create_directories(root_);
    const auto target = folder(m);
    const auto temporary = root_ / (m.name + ".building");
    std::filesystem::remove_all(temporary);
    std::filesystem::create_directories(temporary);
    Poco::Pipe output;
    Poco::ProcessHandle handle = Poco::Process::launch(
        "/bin/bash", {(m.folder / m.imageRecipe).string(), temporary.string()}, nullptr, &output, &output);
    Poco::PipeInputStream in(output);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    const int status = handle.wait();
    if (status != 0) {
        std::filesystem::remove_all(temporary);
        throw TemplateError("building the image of template " + m.name + " failed (exit " +
                            std::to_string(status) + "): " + text);
    }
    if (!std::filesystem::is_regular_file(temporary / m.imageKernel) ||
        !std::filesystem::is_regular_file(temporary / m.imageInitrd)) {
        std::filesystem::remove_all(temporary);
        throw TemplateError("the recipe of template " + m.name + " did not write " + m.imageKernel + " and " +
                            m.imageInitrd);
    }
    std::filesystem::remove_all(target);
    std::filesystem::rename(temporary, target);
    return text;
}

void ImageCache::ensureBuilt(const Manifest& m) {
    if (!isBuilt(m)) {
        build(m);
    }
}

}  // namespace chatiere::templates
