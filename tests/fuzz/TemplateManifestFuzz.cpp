// A template manifest into templates::Catalogue::loadManifest, the real entry (it reads
// <folder>/template.json): the input is written to a temporary folder named "fuzz" beside a domain
// XML, then loaded. A bad manifest throws TemplateError, nothing else.
#include "chatiere/templates/Catalogue.h"

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

std::filesystem::path folder() {
    static const std::filesystem::path dir = [] {
        const auto d = std::filesystem::temp_directory_path() /
                       ("chatiere-fuzz-manifest-" + std::to_string(::getpid())) / "fuzz";
        std::filesystem::create_directories(d);
        std::ofstream(d / "domain.xml") << "<domain type='{{domain_type}}'><name>{{name}}</name></domain>\n";
        std::ofstream(d / "build-image.sh") << "#!/bin/sh\n";
        return d;
    }();
    return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto dir = folder();
    std::ofstream(dir / "template.json", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    try {
        (void)chatiere::templates::Catalogue::loadManifest(dir);
    } catch (const chatiere::templates::TemplateError&) {
    }
    return 0;
}
