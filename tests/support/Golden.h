#pragma once

// Golden files: a rendered output (domain XML, invoice text, a billing scenario) compared with a
// file kept in the repository, reviewed like code. With CHATIERE_REGENERATE_GOLDEN set (to
// anything but "" or "0") the file is written instead of compared, its folder created: run the
// tests once so, then review the diff.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace chatiere::testing {

inline bool regeneratingGoldenFiles() {
    const char* value = std::getenv("CHATIERE_REGENERATE_GOLDEN");
    return value != nullptr && *value != '\0' && std::string(value) != "0";
}

// `actual` equals the golden file `path`, byte for byte (or, when regenerating, is written to it).
inline void expectGolden(const std::string& actual, const std::filesystem::path& path) {
    if (regeneratingGoldenFiles()) {
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ADD_FAILURE() << "the golden file " << path << " is missing: run with CHATIERE_REGENERATE_GOLDEN=1";
        return;
    }
    std::ostringstream expected;
    expected << in.rdbuf();
    EXPECT_EQ(actual, expected.str()) << "differs from the golden file " << path
                                      << " (CHATIERE_REGENERATE_GOLDEN=1 rewrites it: review the diff)";
}

}  // namespace chatiere::testing
