#include "chatiere/templates/ImageCache.h"

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace chatiere::templates {

bool ImageCache::isBuilt(const Manifest& m) const {
    return std::filesystem::is_regular_file(kernel(m)) && std::filesystem::is_regular_file(initrd(m)) &&
           (m.imageRoot.empty() || std::filesystem::is_regular_file(root(m)));
}

namespace {

// An exclusive lock on a file for as long as it lives: one build of an image at a time, also
// across processes (a daemon and `chatiere templates build`, or a daemon restarted after a kill).
class FileLock {
public:
    explicit FileLock(const std::filesystem::path& path)
        : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
        if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) {
            const int error = errno;
            if (fd_ >= 0) {
                ::close(fd_);
            }
            throw TemplateError("cannot lock " + path.string() + ": " + std::strerror(error));
        }
    }
    ~FileLock() { ::close(fd_); }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_;
};

// Work folders of builds whose process died (a daemon killed mid-build): gone after an hour.
void removeStaleWorkFolders(const std::filesystem::path& root, const std::string& prefix) {
    std::error_code ec;
    const auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && std::filesystem::last_write_time(entry.path(), ec) < cutoff) {
            std::filesystem::remove_all(entry.path(), ec);
        }
    }
}

}  // namespace

std::string ImageCache::build(const Manifest& m) {
    std::lock_guard lock(mutex_);
    std::filesystem::create_directories(root_);
    const FileLock fileLock(root_ / (m.name + ".lock"));
    return buildLocked(m);
}

void ImageCache::ensureBuilt(const Manifest& m) {
    if (isBuilt(m)) {
        return;
    }
    std::lock_guard lock(mutex_);
    std::filesystem::create_directories(root_);
    const FileLock fileLock(root_ / (m.name + ".lock"));
    if (!isBuilt(m)) {  // another process may have built it while this one waited
        buildLocked(m);
    }
}

std::string ImageCache::buildLocked(const Manifest& m) {
    const auto target = folder(m);
    const std::string prefix = m.name + ".building-";
    removeStaleWorkFolders(root_, prefix);
    // A folder of this build's own: a recipe orphaned by a killed daemon may still be writing
    // into the folder it was given.
    std::string pattern = (root_ / (prefix + "XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) {
        throw TemplateError("cannot make a work folder in " + root_.string() + ": " + std::strerror(errno));
    }
    const std::filesystem::path temporary = pattern;
    // Readable by the hypervisor's user, as a folder made by create_directories would be.
    std::filesystem::permissions(
        temporary, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                       std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                       std::filesystem::perms::others_exec);
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

}  // namespace chatiere::templates
