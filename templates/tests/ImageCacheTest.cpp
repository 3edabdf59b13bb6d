#include "FakeImages.h"
#include "chatiere/templates/ImageCache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace chatiere::templates;

namespace {

class ImageCacheTest : public ::testing::Test {
protected:
    ImageCacheTest() {
        char tmpl[] = "/tmp/chatiere-imagecache-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        dir_ = std::filesystem::canonical(dir_);
        website_.name = "website";
        website_.imageKernel = "vmlinuz";
        website_.imageInitrd = "initrd.img";
        editor_ = website_;
        editor_.name = "editor";
        editor_.imageRoot = "root.img";
    }
    ~ImageCacheTest() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
    Manifest website_;
    Manifest editor_;
};

TEST_F(ImageCacheTest, NothingBuiltIsNotBuiltAndSaysWhatToRun) {
    const ImageCache images(dir_ / "images");
    EXPECT_FALSE(images.isBuilt(website_));
    EXPECT_FALSE(images.currentBuild(website_));
    try {
        images.kernel(website_);
        FAIL() << "a kernel path without a build";
    } catch (const TemplateError& e) {
        EXPECT_STREQ(e.what(),
                     "waiting for the image of template website: run chatiere templates build website");
    }
    EXPECT_FALSE(images.root(website_));  // no root image in this template, built or not
    EXPECT_THROW(images.root(editor_), TemplateError);
}

TEST_F(ImageCacheTest, PathsAreThoseOfTheBuildThatCurrentNames) {
    const ImageCache images(dir_);
    chatiere::testing::plantImage(dir_, "website", "1111111111111111");
    const auto second = chatiere::testing::plantImage(dir_, "website", "2222222222222222");
    ASSERT_TRUE(images.isBuilt(website_));
    EXPECT_EQ(images.currentBuild(website_), second);
    // The build itself, never `current`: a guest keeps booting what it was defined with.
    EXPECT_EQ(images.kernel(website_), second / "vmlinuz");
    EXPECT_EQ(images.initrd(website_), second / "initrd.img");
    EXPECT_EQ(images.folder(website_), dir_ / "website");
}

TEST_F(ImageCacheTest, ACacheBehindASymlinkGivesTheResolvedPaths) {
    // The tests' data directories link images/ to one shared cache; the driver names builds by
    // the resolved path when it looks for guests that still use one.
    const auto shared = dir_ / "shared";
    const auto build = chatiere::testing::plantImage(shared, "website");
    std::filesystem::create_directories(dir_ / "data");
    std::filesystem::create_directory_symlink(shared, dir_ / "data" / "images");
    const ImageCache images(dir_ / "data" / "images");
    EXPECT_EQ(images.kernel(website_), build / "vmlinuz");
}

TEST_F(ImageCacheTest, ARootImageIsPartOfTheBuild) {
    const ImageCache images(dir_);
    const auto build = chatiere::testing::plantImage(dir_, "editor");
    ASSERT_TRUE(images.isBuilt(editor_));
    EXPECT_EQ(images.root(editor_), build / "root.img");
    std::filesystem::remove(build / "root.img");
    EXPECT_FALSE(images.isBuilt(editor_)) << "a build without its declared root image";
}

TEST_F(ImageCacheTest, ABuildWithoutItsKernelOrACurrentNamingNothingIsNotBuilt) {
    const ImageCache images(dir_);
    const auto build = chatiere::testing::plantImage(dir_, "website");
    std::filesystem::remove(build / "vmlinuz");
    EXPECT_FALSE(images.isBuilt(website_));
    std::filesystem::remove_all(build);
    EXPECT_FALSE(images.isBuilt(website_));
    EXPECT_FALSE(images.currentBuild(website_));
    EXPECT_THROW(images.initrd(website_), TemplateError);
}

TEST_F(ImageCacheTest, TheOldLayoutIsNotABuild) {
    // Before issue 17 the daemon built into <cache>/<template>/ directly; such a folder has no
    // `current` and must be rebuilt by templates/build.sh.
    const ImageCache images(dir_);
    std::filesystem::create_directories(dir_ / "website");
    std::ofstream(dir_ / "website" / "vmlinuz") << "kernel";
    std::ofstream(dir_ / "website" / "initrd.img") << "initrd";
    EXPECT_FALSE(images.isBuilt(website_));
}

}  // namespace
