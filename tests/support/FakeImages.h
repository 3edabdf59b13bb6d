#pragma once

// A fake appliance image in the layout templates/build.sh writes (docs/images.md), for tests whose
// guests never boot: <cache>/<template>/<key>/{vmlinuz,initrd.img,root.img} and `current` naming it.

#include <filesystem>
#include <fstream>
#include <string>

namespace chatiere::testing {

// Returns the build's folder.
inline std::filesystem::path plantImage(const std::filesystem::path& cache, const std::string& templateName,
                                        const std::string& key = "0123456789abcdef") {
    const auto folder = cache / templateName;
    const auto build = folder / key;
    std::filesystem::create_directories(build);
    std::ofstream(build / "vmlinuz") << "not a kernel";
    std::ofstream(build / "initrd.img") << "not an initrd";
    std::ofstream(build / "root.img") << "not a root";
    std::ofstream(build / "packages.txt") << "fakepkg 1.0\n";
    std::error_code ec;
    std::filesystem::remove(folder / "current", ec);
    std::filesystem::create_directory_symlink(key, folder / "current");
    return build;
}

}  // namespace chatiere::testing
