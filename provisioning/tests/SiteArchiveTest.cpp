#include "chatiere/provisioning/SiteArchive.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/DeflatingStream.h>
#include <Poco/Zip/Compress.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace chatiere::provisioning;

namespace {

std::string gzip(const std::string& data) {
    std::ostringstream out;
    Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP);
    deflater << data;
    deflater.close();
    return out.str();
}

std::string zip(const std::vector<std::pair<std::string, std::string>>& files) {
    std::ostringstream out;
    Poco::Zip::Compress compress(out, true);
    for (const auto& [name, content] : files) {
        std::istringstream in(content);
        compress.addFile(in, Poco::DateTime(), Poco::Path(name, Poco::Path::PATH_UNIX));
    }
    compress.close();
    return out.str();
}

// A tar entry written by hand, so that the tests can make what makeTar refuses.
std::string rawEntry(const std::string& name, char type, const std::string& content) {
    std::string header(512, '\0');
    std::memcpy(header.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    std::snprintf(header.data() + 100, 8, "%07o", 0644);
    std::snprintf(header.data() + 124, 12, "%011lo", static_cast<unsigned long>(content.size()));
    std::memset(header.data() + 148, ' ', 8);
    header[156] = type;
    std::memcpy(header.data() + 257, "ustar", 6);
    unsigned sum = 0;
    for (const char c : header) {
        sum += static_cast<unsigned char>(c);
    }
    std::snprintf(header.data() + 148, 8, "%06o", sum);
    std::string padded = content;
    padded.append((512 - content.size() % 512) % 512, '\0');
    return header + padded;
}

std::string codeOf(const std::string& upload, uint64_t max = 1 << 20) {
    try {
        normalizeSiteArchive(upload, max);
    } catch (const ArchiveError& e) {
        return e.code();
    }
    return "";
}

// An input of the fuzzing corpus (tests/fuzz/corpus), kept there since it once crashed a harness.
std::string fuzzInput(const std::string& harness, const std::string& name) {
    std::ifstream in(std::filesystem::path(CHATIERE_SOURCE_DIR) / "tests/fuzz/corpus" / harness / name,
                     std::ios::binary);
    EXPECT_TRUE(in) << harness << "/" << name;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

}  // namespace

TEST(SiteArchive, PlainTarGzipAndZipAllBecomeTheSameTar) {
    const std::vector<std::pair<std::string, std::string>> files = {{"index.html", "<h1>Jardin</h1>"},
                                                                    {"css/style.css", "h1 { color: green }"}};
    const std::string expected = makeTar({files[1], files[0]});  // sorted by path
    EXPECT_EQ(normalizeSiteArchive(makeTar(files), 1 << 20), expected);
    EXPECT_EQ(normalizeSiteArchive(gzip(makeTar(files)), 1 << 20), expected);
    EXPECT_EQ(normalizeSiteArchive(zip(files), 1 << 20), expected);
}

TEST(SiteArchive, LeadingDotSlashAndLongPathsAreFine) {
    const std::string deep = std::string(120, 'd') + "/page.html";
    const std::string tar = normalizeSiteArchive(makeTar({{"./index.html", "x"}, {deep, "y"}}), 1 << 20);
    EXPECT_NE(tar.find("index.html"), std::string::npos);
    // Sorted first; the long path uses the ustar prefix field.
    EXPECT_TRUE(tar.compare(345, 120, std::string(120, 'd')) == 0) << "no ustar prefix";
}

TEST(SiteArchive, PathsThatLeaveTheFolderAreRefused) {
    EXPECT_EQ(codeOf(rawEntry("../etc/passwd", '0', "x") + std::string(1024, '\0')), "unsafe_path");
    EXPECT_EQ(codeOf(rawEntry("a/../../b", '0', "x") + std::string(1024, '\0')), "unsafe_path");
    EXPECT_EQ(codeOf(rawEntry("/etc/passwd", '0', "x") + std::string(1024, '\0')), "unsafe_path");
    // A name that merely contains two dots is fine.
    EXPECT_EQ(codeOf(rawEntry("a..b.html", '0', "x") + std::string(1024, '\0')), "");
}

TEST(SiteArchive, LinksAndDevicesAreRefused) {
    EXPECT_EQ(codeOf(rawEntry("link", '2', "") + std::string(1024, '\0')), "unsupported_entry");
    EXPECT_EQ(codeOf(rawEntry("hard", '1', "") + std::string(1024, '\0')), "unsupported_entry");
    EXPECT_EQ(codeOf(rawEntry("dev", '3', "") + std::string(1024, '\0')), "unsupported_entry");
}

TEST(SiteArchive, SizeIsCheckedUnpacked) {
    const std::string big(200000, 'a');  // compresses to almost nothing
    EXPECT_EQ(codeOf(gzip(makeTar({{"big.html", big}})), 100000), "too_large");
    EXPECT_EQ(codeOf(zip({{"big.html", big}}), 100000), "too_large");
    EXPECT_EQ(codeOf(makeTar({{"big.html", big}}), 100000), "too_large");
    EXPECT_EQ(codeOf(makeTar({{"big.html", big}}), 300000), "");
}

TEST(SiteArchive, WhatIsNotAnArchiveIsSaidSo) {
    EXPECT_EQ(codeOf("<html>just a page</html>"), "unsupported_archive");
    EXPECT_EQ(codeOf(gzip("not a tar")), "unsupported_archive");
    EXPECT_EQ(codeOf(std::string("PK\x03\x04", 4) + "garbage"), "corrupt_archive");
    EXPECT_EQ(codeOf(makeTar({})), "unsupported_archive");
    std::string truncated = makeTar({{"index.html", std::string(2000, 'x')}});
    truncated.resize(1024);
    EXPECT_EQ(codeOf(truncated), "corrupt_archive");
}

TEST(SiteArchive, TheArchiveIsReadBackFromItsVolume) {
    const std::string archive = normalizeSiteArchive(
        makeTar({{"index.html", "<h1>Jardin</h1>"}, {"big.bin", std::string(5000, 'x')}}), 1 << 20);
    // The volume: the archive, then zeros to its capacity.
    std::istringstream volume(archive + std::string(1 << 20, '\0'));
    EXPECT_EQ(readSiteArchive(volume), archive);
    std::istringstream empty(std::string(1 << 16, '\0'));
    EXPECT_EQ(readSiteArchive(empty), "");
    std::istringstream truncated(archive.substr(0, 1024));  // the header of big.bin, not its data
    EXPECT_THROW(readSiteArchive(truncated), ArchiveError);
}

// Found by fuzz_site_archive: a zip entry without a name made Poco read before the name's start
// (ZipLocalFileHeader::isDirectory), which UBSan reports.
TEST(SiteArchive, AZipEntryWithoutANameIsRefused) {
    EXPECT_EQ(codeOf(fuzzInput("site_archive", "regression-zip-entry-without-name")), "unsafe_path");
}

// Found by fuzz_site_volume: a damaged header claiming 64 GiB was allocated before anything was
// read; the archive is now copied as the volume holds it, and ends with the volume.
TEST(SiteArchive, AVolumeWhoseHeaderClaimsMoreThanItHoldsIsTruncated) {
    std::string header = makeTar({{"index.html", "x"}}).substr(0, 512);
    std::memset(header.data() + 124, '7', 12);  // the size field, without its terminator
    std::istringstream volume(header + std::string(512, 'x'));
    EXPECT_THROW(readSiteArchive(volume), ArchiveError);
    std::istringstream found(fuzzInput("site_volume", "regression-huge-size-field"));
    EXPECT_THROW(readSiteArchive(found), ArchiveError);
}
