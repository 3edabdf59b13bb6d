// The pages and the JSON API are two faces of the same services: neither includes the other (what
// they share is in app/). A file of web/ that includes api/ fails here.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

// "file:line: text" of every line of `folder`'s sources that includes from `forbidden`.
std::vector<std::string> includesFrom(const std::filesystem::path& folder, const std::string& forbidden) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
        const auto ext = entry.path().extension();
        if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".h")) {
            continue;
        }
        std::ifstream in(entry.path());
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            if (line.rfind("#include \"" + forbidden, 0) == 0) {
                out.push_back(entry.path().filename().string() + ":" + std::to_string(n) + ": " + line);
            }
        }
    }
    return out;
}

}  // namespace

TEST(Layering, WebIncludesNothingFromApi) {
    const std::filesystem::path web = std::filesystem::path(CHATIERE_SOURCE_DIR) / "manager/src/web";
    ASSERT_TRUE(std::filesystem::is_directory(web)) << web;
    EXPECT_EQ(includesFrom(web, "api/"), std::vector<std::string>{});
}

TEST(Layering, ApiIncludesNothingFromWeb) {
    const std::filesystem::path api = std::filesystem::path(CHATIERE_SOURCE_DIR) / "manager/src/api";
    ASSERT_TRUE(std::filesystem::is_directory(api)) << api;
    EXPECT_EQ(includesFrom(api, "web/"), std::vector<std::string>{});
}
