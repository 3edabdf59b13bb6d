#include "chatiere/provisioning/SiteArchive.h"

#include "chatiere/provisioning/TarWriter.h"

#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/Zip/ZipArchive.h>
#include <Poco/Zip/ZipStream.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <vector>

namespace chatiere::provisioning {

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

// "./a/b.html" → "a/b.html"; refuses what could leave the site's folder.
std::string safePath(std::string path) {
    while (path.rfind("./", 0) == 0) {
        path.erase(0, 2);
    }
    if (path.empty() || path.front() == '/' || path.find('\\') != std::string::npos ||
        path.find('\0') != std::string::npos) {
        throw ArchiveError("unsafe_path", "unsafe path in the archive: '" + path + "'");
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const std::string part =
            path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") {
            throw ArchiveError("unsafe_path",
                               "unsafe path in the archive: '" + path + "' leaves the site's folder");
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return path;
}

void addFile(Files& files, uint64_t& total, uint64_t maxBytes, const std::string& path, std::string content) {
    total += content.size();
    if (total > maxBytes) {
        throw ArchiveError("too_large", "the unpacked site is larger than the service's disk (" +
                                            std::to_string(maxBytes) + " bytes)");
    }
    files.emplace_back(safePath(path), std::move(content));
}

uint64_t octal(const char* field, std::size_t width) {
    uint64_t value = 0;
    for (std::size_t i = 0; i < width && field[i] != '\0' && field[i] != ' '; ++i) {
        if (field[i] < '0' || field[i] > '7') {
            throw ArchiveError("corrupt_archive", "the tar archive is damaged (bad number)");
        }
        value = value * 8 + static_cast<uint64_t>(field[i] - '0');
    }
    return value;
}

Files readTar(const std::string& data, uint64_t maxBytes) {
    Files files;
    uint64_t total = 0;
    std::size_t pos = 0;
    std::string longName;
    while (pos + 512 <= data.size()) {
        const char* h = data.data() + pos;
        if (std::all_of(h, h + 512, [](char c) { return c == '\0'; })) {
            break;  // end of archive
        }
        const uint64_t size = octal(h + 124, 12);
        const char type = h[156];
        const std::size_t contentStart = pos + 512;
        if (contentStart + size > data.size()) {
            throw ArchiveError("corrupt_archive", "the tar archive is truncated");
        }
        std::string name(h, strnlen(h, 100));
        if (std::string(h + 257, 5) == "ustar" && h[345] != '\0') {
            name = std::string(h + 345, strnlen(h + 345, 155)) + "/" + name;
        }
        if (!longName.empty()) {
            name = longName;
            longName.clear();
        }
        const std::string content = data.substr(contentStart, size);
        switch (type) {
            case '0':
            case '\0':
            case '7':
                addFile(files, total, maxBytes, name, content);
                break;
            case '5':  // a directory: made by its files
            case 'x':  // pax headers: metadata only
            case 'g':
                break;
            case 'L':  // GNU long name for the next entry
                longName = std::string(content.c_str());
                break;
            default:
                throw ArchiveError(
                    "unsupported_entry",
                    "'" + name + "' is a link or a special file: only files and folders are accepted");
        }
        pos = contentStart + ((size + 511) / 512) * 512;
    }
    return files;
}

Files readZip(const std::string& data, uint64_t maxBytes) {
    Files files;
    uint64_t total = 0;
    try {
        std::istringstream in(data);
        Poco::Zip::ZipArchive archive(in);
        for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it) {
            const auto& header = it->second;
            // Before isDirectory(), which reads the name's last character.
            if (header.getFileName().empty()) {
                throw ArchiveError("unsafe_path", "an entry of the zip archive has no name");
            }
            if (header.isDirectory()) {
                continue;
            }
            std::istringstream entryIn(data);
            Poco::Zip::ZipInputStream zip(entryIn, header, true);
            std::string content;
            char buffer[65536];
            while (zip.read(buffer, sizeof buffer) || zip.gcount() > 0) {
                content.append(buffer, static_cast<std::size_t>(zip.gcount()));
                if (total + content.size() > maxBytes) {
                    throw ArchiveError("too_large", "the unpacked site is larger than the service's disk (" +
                                                        std::to_string(maxBytes) + " bytes)");
                }
            }
            addFile(files, total, maxBytes, header.getFileName(), std::move(content));
        }
    } catch (const Poco::Exception& e) {
        throw ArchiveError("corrupt_archive", "the zip archive cannot be read: " + e.displayText());
    }
    return files;
}

std::string gunzip(const std::string& data, uint64_t maxBytes) {
    try {
        std::istringstream in(data);
        Poco::InflatingInputStream inflater(in, Poco::InflatingStreamBuf::STREAM_GZIP);
        std::string out;
        char buffer[65536];
        // A tar of maxBytes of files is a little larger: headers and padding.
        const uint64_t cap = maxBytes + maxBytes / 8 + (1 << 20);
        while (inflater.read(buffer, sizeof buffer) || inflater.gcount() > 0) {
            out.append(buffer, static_cast<std::size_t>(inflater.gcount()));
            if (out.size() > cap) {
                throw ArchiveError("too_large", "the unpacked site is larger than the service's disk (" +
                                                    std::to_string(maxBytes) + " bytes)");
            }
        }
        return out;
    } catch (const Poco::Exception& e) {
        throw ArchiveError("corrupt_archive", "the gzip stream cannot be read: " + e.displayText());
    }
}

bool isTar(const std::string& data) {
    return data.size() >= 512 && data.compare(257, 5, "ustar") == 0;
}

}  // namespace

std::string normalizeSiteArchive(const std::string& upload, uint64_t maxBytes) {
    Files files;
    if (upload.size() >= 2 && static_cast<unsigned char>(upload[0]) == 0x1f &&
        static_cast<unsigned char>(upload[1]) == 0x8b) {
        const std::string tar = gunzip(upload, maxBytes);
        if (!isTar(tar)) {
            throw ArchiveError("unsupported_archive", "the gzip file does not hold a tar archive");
        }
        files = readTar(tar, maxBytes);
    } else if (upload.rfind("PK\x03\x04", 0) == 0) {
        files = readZip(upload, maxBytes);
    } else if (isTar(upload)) {
        files = readTar(upload, maxBytes);
    } else {
        throw ArchiveError("unsupported_archive", "send the site as a .tar.gz, .zip or .tar archive");
    }
    if (files.empty()) {
        throw ArchiveError("empty_archive", "the archive holds no file");
    }
    // One canonical order, whatever the archive's: the same site makes the same volume.
    std::stable_sort(files.begin(), files.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    try {
        return makeTar(files);
    } catch (const std::invalid_argument& e) {
        throw ArchiveError("unsafe_path", e.what());
    }
}

std::string readSiteArchive(std::istream& volume) {
    std::string out;
    char block[512];
    for (;;) {
        if (!volume.read(block, sizeof block)) {
            return out;  // the volume ends without end blocks: what was read is all there is
        }
        out.append(block, sizeof block);
        if (std::all_of(std::begin(block), std::end(block), [](char c) { return c == 0; })) {
            // End of archive: two zero blocks (the second may be missing in a short volume).
            if (volume.read(block, sizeof block)) {
                out.append(block, sizeof block);
            }
            return out.size() == 1024 ? std::string() : out;
        }
        // The size field: octal digits (or base-256 for large files, never written here).
        uint64_t size = 0;
        for (int i = 124; i < 136 && block[i] >= '0' && block[i] <= '7'; ++i) {
            size = size * 8 + static_cast<uint64_t>(block[i] - '0');
        }
        // Copied as the volume holds it, never sized from the header alone: a damaged header may
        // claim terabytes, and the volume is the guest's to write.
        for (uint64_t left = (size + 511) / 512 * 512; left > 0; left -= sizeof block) {
            if (!volume.read(block, sizeof block)) {
                throw ArchiveError("truncated_archive", "the volume's archive ends inside a file");
            }
            out.append(block, sizeof block);
        }
    }
}

}  // namespace chatiere::provisioning
