#include "chatiere/provisioning/SiteImage.h"

#include "chatiere/provisioning/Hypervisor.h"
#include "chatiere/provisioning/TarWriter.h"

#include <Poco/Exception.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

namespace chatiere::provisioning {

namespace {

namespace fs = std::filesystem;
using Code = HypervisorError::Code;

constexpr const char* kMkfs = "/usr/sbin/mkfs.ext4";
constexpr const char* kDebugfs = "/usr/sbin/debugfs";

// A private folder under `parent`, removed with everything in it when the scope ends.
class TempDir {
public:
    explicit TempDir(const fs::path& parent) {
        fs::create_directories(parent);
        std::string pattern = (parent / "site-XXXXXX").string();
        if (!mkdtemp(pattern.data())) {
            throw HypervisorError(Code::Failed, "cannot make a temporary folder in " + parent.string() +
                                                    ": " + std::strerror(errno));
        }
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;  // a destructor never throws; the daemon empties the folder at start
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

struct Run {
    int status = -1;
    std::string output;  // stdout and stderr, merged
};

// Runs `command` with `args` (no shell), its output captured.
Run run(const std::string& command, const std::vector<std::string>& args) {
    Run r;
    try {
        Poco::Pipe output;
        Poco::ProcessHandle process = Poco::Process::launch(command, args, nullptr, &output, &output);
        Poco::PipeInputStream in(output);
        r.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        r.status = process.wait();
    } catch (const Poco::Exception& e) {
        throw HypervisorError(Code::Failed, "cannot run " + command + ": " + e.displayText());
    }
    return r;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

// A path of the archive as a relative path in the site's folder, or InvalidInput.
fs::path sitePath(const std::string& path) {
    bool safe = !path.empty() && path.front() != '/' && path.find('\0') == std::string::npos;
    for (std::size_t start = 0; safe && start <= path.size();) {
        const auto slash = path.find('/', start);
        const std::string part =
            path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        safe = part != "..";
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    if (!safe) {
        throw HypervisorError(Code::InvalidInput, "unsafe path in the site's archive: '" + path + "'");
    }
    return fs::path(path);
}

uint64_t octal(const char* field, std::size_t width) {
    uint64_t value = 0;
    for (std::size_t i = 0; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
        value = value * 8 + static_cast<uint64_t>(field[i] - '0');
    }
    return value;
}

// Writes the regular files of a ustar archive (as makeTar writes them) under `root`, each straight
// from the archive's bytes.
void unpack(const std::string& archive, const fs::path& root) {
    std::size_t pos = 0;
    while (pos + 512 <= archive.size()) {
        const char* h = archive.data() + pos;
        if (std::all_of(h, h + 512, [](char c) { return c == '\0'; })) {
            return;  // end of archive
        }
        std::string name(h, strnlen(h, 100));
        if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0') {
            name = std::string(h + 345, strnlen(h + 345, 155)) + "/" + name;
        }
        const uint64_t size = octal(h + 124, 12);
        const std::size_t start = pos + 512;
        if (size > archive.size() - start) {
            throw HypervisorError(Code::InvalidInput, "the site's archive is truncated");
        }
        const char type = h[156];
        if (type == '0' || type == '\0') {
            const fs::path file = root / sitePath(name);
            std::error_code error;
            fs::create_directories(file.parent_path(), error);
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            if (error || !out.write(archive.data() + start, static_cast<std::streamsize>(size)) ||
                !out.flush()) {
                throw HypervisorError(Code::InvalidInput, "cannot write '" + name + "' of the site");
            }
        } else if (type != '5') {
            throw HypervisorError(Code::InvalidInput, "'" + name + "' of the site's archive is not a file");
        }
        pos = start + (size + 511) / 512 * 512;
    }
}

// Whatever the daemon's umask: folders 0755 and files 0644, as the guest's web server reads them.
void makeReadable(const fs::path& root) {
    fs::permissions(root, fs::perms(0755));
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        fs::permissions(entry.path(), entry.is_directory() ? fs::perms(0755) : fs::perms(0644));
    }
}

}  // namespace

void makeSiteImage(const std::string& archive, const fs::path& image, uint64_t capacityBytes,
                   const fs::path& workDir) try {
    const TempDir work(workDir);
    const fs::path files = work.path() / "files";
    fs::create_directory(files);
    unpack(archive, files);
    makeReadable(files);
    {
        std::ofstream(image, std::ios::binary | std::ios::trunc);  // sparse: mkfs writes what it needs
    }
    fs::resize_file(image, capacityBytes);
    // No journal: the guest mounts it read-only and never writes it; a journal would take up to
    // 32 MiB of a 1 GiB volume. No reserved blocks: nobody writes it.
    const Run r =
        run(kMkfs, {"-q", "-F", "-d", files.string(), "-L", "chatiere-site", "-E", "root_owner=0:0", "-m",
                    "0", "-O", "^has_journal", image.string(), std::to_string(capacityBytes / 1024) + "k"});
    if (r.status != 0) {
        std::error_code ignored;
        fs::remove(image, ignored);
        const bool tooLarge = r.output.find("Could not allocate") != std::string::npos ||
                              r.output.find("No space left") != std::string::npos;
        throw HypervisorError(
            tooLarge ? Code::InvalidInput : Code::Failed,
            tooLarge ? "the site does not fit on the service's disk of " + std::to_string(capacityBytes) +
                           " bytes: " + trimmed(r.output)
                     : "mkfs.ext4 failed (exit " + std::to_string(r.status) + "): " + trimmed(r.output));
    }
} catch (const fs::filesystem_error& e) {
    throw HypervisorError(Code::Failed, std::string("cannot make the site's image: ") + e.what());
}

bool isExt4Volume(std::istream& volume) {
    // The superblock starts 1024 bytes in; its magic number 0xEF53 is 56 bytes into it, little-endian.
    char magic[2] = {};
    volume.clear();
    volume.seekg(1024 + 56);
    const bool read = static_cast<bool>(volume.read(magic, sizeof magic));
    volume.clear();
    volume.seekg(0);
    return read && static_cast<unsigned char>(magic[0]) == 0x53 &&
           static_cast<unsigned char>(magic[1]) == 0xEF;
}

std::string readSiteImage(const fs::path& image, const fs::path& workDir) try {
    const TempDir work(workDir);
    const fs::path files = work.path() / "files";
    fs::create_directory(files);
    const Run r = run(kDebugfs, {"-R", "rdump / " + files.string(), image.string()});
    // debugfs says what failed on its output, rarely in its status. Not being root, it cannot give
    // the files their owners: that is expected.
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
        const bool expected = line.empty() || line.rfind("debugfs ", 0) == 0 ||
                              line.find("while changing ownership") != std::string::npos ||
                              line.find("while setting permissions") != std::string::npos ||
                              line.find("while setting times") != std::string::npos;
        if (!expected || r.status != 0) {
            throw HypervisorError(Code::Failed,
                                  "debugfs cannot read " + image.string() + ": " + trimmed(r.output));
        }
    }
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = fs::recursive_directory_iterator(files); it != fs::recursive_directory_iterator(); ++it) {
        const std::string relative = fs::relative(it->path(), files).generic_string();
        if (it.depth() == 0 && relative == "lost+found") {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file()) {
            std::ifstream in(it->path(), std::ios::binary);
            out.emplace_back(relative, std::string(std::istreambuf_iterator<char>(in), {}));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return makeTar(out);
} catch (const fs::filesystem_error& e) {
    throw HypervisorError(Code::Failed, std::string("cannot read the site's image: ") + e.what());
}

}  // namespace chatiere::provisioning
