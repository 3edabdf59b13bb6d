// A website's data volume as an ext4 filesystem made on the host with the real mkfs.ext4 (from
// e2fsprogs) and read back with the real debugfs: nothing is mounted.

#include "FakeImages.h"
#include "chatiere/provisioning/FakeHypervisor.h"
#include "chatiere/provisioning/GuestBuilder.h"
#include "chatiere/provisioning/SiteArchive.h"
#include "chatiere/provisioning/SiteImage.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace {

namespace fs = std::filesystem;
using chatiere::provisioning::FakeHypervisor;
using chatiere::provisioning::GuestBuilder;
using chatiere::provisioning::HypervisorError;
using chatiere::provisioning::ServiceSpec;
using Code = HypervisorError::Code;

constexpr uint64_t kGiB = uint64_t{1} << 30;

// Bytes that do not compress and are not zeros: a file whose blocks are all allocated.
std::string noise(std::size_t size) {
    std::mt19937 random(17);
    std::string out(size, '\0');
    for (auto& c : out) {
        c = static_cast<char>(random());
    }
    return out;
}

// An upload as a member sends it: nested folders, non-ASCII names, an empty file, a larger one.
std::string upload() {
    return chatiere::provisioning::makeTar({
        {"index.html", "<h1>Jardin partagé</h1>"},
        {"pages/été/récolte.html", "<p>Tomates, courgettes, épinards</p>"},
        {"pages/été/vide.txt", ""},
        {"assets/css/a/b/c/style.css", "body { color: #333; }"},
        {"assets/photo.jpg", noise(3 << 20)},
    });
}

uint64_t allocatedBytes(const fs::path& file) {
    struct stat st {};
    EXPECT_EQ(::stat(file.c_str(), &st), 0);
    return static_cast<uint64_t>(st.st_blocks) * 512;
}

// What `debugfs -R "stat PATH"` says of a file in the image.
std::string debugfsStat(const fs::path& image, const std::string& path) {
    Poco::Pipe out;
    auto process = Poco::Process::launch("/usr/sbin/debugfs", {"-R", "stat \"" + path + "\"", image.string()},
                                         nullptr, &out, &out);
    Poco::PipeInputStream in(out);
    std::string text(std::istreambuf_iterator<char>(in), {});
    process.wait();
    return text;
}

class SiteImageTest : public ::testing::Test {
protected:
    SiteImageTest() {
        char tmpl[] = "/tmp/chatiere-site-image-XXXXXX";
        dir_ = mkdtemp(tmpl);
        work_ = dir_ / "work";
    }
    ~SiteImageTest() override { fs::remove_all(dir_); }

    // The work folder holds nothing once a helper returns, whatever happened.
    void expectWorkFolderEmpty() {
        if (fs::exists(work_)) {
            EXPECT_TRUE(fs::is_empty(work_)) << fs::directory_iterator(work_)->path();
        }
    }

    fs::path dir_;
    fs::path work_;
};

TEST_F(SiteImageTest, AnUploadBecomesASparseExt4ImageThatReadsBackTheSame) {
    const std::string archive = chatiere::provisioning::normalizeSiteArchive(upload(), kGiB);
    const fs::path image = dir_ / "site.img";
    chatiere::provisioning::makeSiteImage(archive, image, kGiB, work_);
    expectWorkFolderEmpty();

    EXPECT_EQ(fs::file_size(image), kGiB);
    // Sparse: the files (3 MiB) and ext4's metadata, not the gibibyte.
    EXPECT_LT(allocatedBytes(image), uint64_t{16} << 20);
    std::ifstream in(image, std::ios::binary);
    EXPECT_TRUE(chatiere::provisioning::isExt4Volume(in));

    // debugfs reads every file back, names and contents equal, in the same canonical archive.
    EXPECT_EQ(chatiere::provisioning::readSiteImage(image, work_), archive);
    expectWorkFolderEmpty();

    // The guest's web server can read them: files 0644, folders 0755 (the daemon's own, as it cannot
    // give them to root), the root folder root's.
    const std::string file = debugfsStat(image, "/pages/été/récolte.html");
    EXPECT_NE(file.find("Mode:  0644"), std::string::npos) << file;
    const std::string folder = debugfsStat(image, "/pages/été");
    EXPECT_NE(folder.find("Mode:  0755"), std::string::npos) << folder;
    const std::string root = debugfsStat(image, "/");
    EXPECT_NE(root.find("Mode:  0755"), std::string::npos) << root;
    EXPECT_NE(root.find("User:     0"), std::string::npos) << root;
}

TEST_F(SiteImageTest, ATarVolumeIsNotExt4) {
    std::istringstream tar(chatiere::provisioning::makeTar({{"index.html", std::string(4000, 'x')}}));
    EXPECT_FALSE(chatiere::provisioning::isExt4Volume(tar));
    EXPECT_EQ(chatiere::provisioning::readSiteArchive(tar).substr(0, 10), "index.html")
        << "the stream is left at its start";
    std::istringstream empty("");
    EXPECT_FALSE(chatiere::provisioning::isExt4Volume(empty));
}

TEST_F(SiteImageTest, ASiteLargerThanTheDiskLeavesNoImage) {
    const std::string archive = chatiere::provisioning::makeTar({{"big.bin", noise(6 << 20)}});
    const fs::path image = dir_ / "site.img";
    try {
        chatiere::provisioning::makeSiteImage(archive, image, 4 << 20, work_);
        FAIL() << "a 6 MiB site fitted in 4 MiB";
    } catch (const HypervisorError& e) {
        EXPECT_EQ(e.code(), Code::InvalidInput) << e.what();
        EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(image));
    expectWorkFolderEmpty();
}

TEST_F(SiteImageTest, AnArchiveWithAPathOutOfTheSiteIsRefused) {
    // makeTar refuses such a path: the entry is written by hand, as a damaged payload could hold it.
    std::string archive = chatiere::provisioning::makeTar({{"xx/evil.html", "x"}});
    archive.replace(0, 2, "..");
    const fs::path image = dir_ / "site.img";
    try {
        chatiere::provisioning::makeSiteImage(archive, image, kGiB, work_);
        FAIL() << "an unsafe path was written";
    } catch (const HypervisorError& e) {
        EXPECT_EQ(e.code(), Code::InvalidInput) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir_ / "evil.html"));
    EXPECT_FALSE(fs::exists(work_ / "evil.html"));
    expectWorkFolderEmpty();
}

// GuestBuilder with a site image folder, as the daemon runs it.
class SiteVolumeTest : public SiteImageTest {
protected:
    SiteVolumeTest()
        : catalogue_(chatiere::templates::Catalogue::load(fs::path(CHATIERE_SOURCE_DIR) / "templates")),
          images_(dir_ / "images"),
          builder_(hypervisor_, catalogue_, images_,
                   {"inst1", "chatiere", "/var/lib/chatiere/volumes", "qemu"}, work_.string()) {
        chatiere::testing::plantImage(dir_ / "images", "website");
        hypervisor_.ensurePool("chatiere", "/var/lib/chatiere/volumes");
        spec_ = {"svc1", "asso1", "Jardin <&>", "site", "website", 1, 128, 1, 20001, true};
    }
    // The volume's ext4 filesystem, read back with debugfs.
    std::string siteOn(const std::string& volume) {
        const fs::path copy = dir_ / "copy.img";
        hypervisor_.saveVolume("chatiere", volume, copy.string());
        std::ifstream in(copy, std::ios::binary);
        EXPECT_TRUE(chatiere::provisioning::isExt4Volume(in)) << volume;
        std::string site = chatiere::provisioning::readSiteImage(copy, work_);
        fs::remove(copy);
        return site;
    }

    FakeHypervisor hypervisor_;
    chatiere::templates::Catalogue catalogue_;
    chatiere::templates::ImageCache images_;
    GuestBuilder builder_;
    ServiceSpec spec_;
};

TEST_F(SiteVolumeTest, TheWelcomePageAndAnUploadGoOnVolumesAsExt4WithTheirDataOnly) {
    builder_.ensureVolume(spec_);
    const std::string first = builder_.volumeName("svc1");
    EXPECT_EQ(siteOn(first), GuestBuilder::welcomeArchive(spec_));
    EXPECT_EQ(hypervisor_.volume("chatiere", first)->capacityBytes, kGiB);
    EXPECT_LT(hypervisor_.volume("chatiere", first)->allocationBytes, uint64_t{16} << 20);

    const std::string archive = chatiere::provisioning::normalizeSiteArchive(upload(), kGiB);
    builder_.writeVolume(spec_, 7, archive);
    const std::string second = builder_.volumeName("svc1", 7);
    EXPECT_EQ(siteOn(second), archive);
    // What the usage collector and the quota read: the data, not the volume's size.
    const uint64_t allocation = hypervisor_.volume("chatiere", second)->allocationBytes;
    EXPECT_GT(allocation, uint64_t{3} << 20);
    EXPECT_LT(allocation, uint64_t{16} << 20);
    EXPECT_EQ(siteOn(first), GuestBuilder::welcomeArchive(spec_)) << "the old volume is untouched";
    expectWorkFolderEmpty();
}

TEST_F(SiteVolumeTest, AnImageThatCannotBeMadeLeavesNoVolumeAndTheOldSite) {
    builder_.ensureVolume(spec_);
    std::string archive = chatiere::provisioning::makeTar({{"xx/evil.html", "x"}});
    archive.replace(0, 2, "..");
    try {
        builder_.writeVolume(spec_, 7, archive);
        FAIL() << "an unsafe archive was written";
    } catch (const HypervisorError& e) {
        EXPECT_EQ(e.code(), Code::InvalidInput) << "not retried: " << e.what();
    }
    EXPECT_FALSE(hypervisor_.volume("chatiere", builder_.volumeName("svc1", 7)));
    EXPECT_EQ(siteOn(builder_.volumeName("svc1")), GuestBuilder::welcomeArchive(spec_));
    expectWorkFolderEmpty();
}

TEST_F(SiteVolumeTest, AFailedUploadLeavesNoVolumeAndNoTemporaryFile) {
    builder_.ensureVolume(spec_);
    hypervisor_.refuseUploads(true);
    EXPECT_THROW(builder_.writeVolume(spec_, 7, GuestBuilder::welcomeArchive(spec_)), HypervisorError);
    EXPECT_FALSE(hypervisor_.volume("chatiere", builder_.volumeName("svc1", 7)));
    expectWorkFolderEmpty();
}

}  // namespace
