#include "app/InstanceLock.h"

#include "chatiere/manager/Error.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace chatiere::manager {

InstanceLock::InstanceLock(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) {
        throw Error(ErrorKind::Internal, "lock",
                    "cannot open lock file " + path.string() + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK) {
            throw Error(ErrorKind::Conflict, "already_running",
                        "another chatiere daemon is already running on this database (lock " + path.string() +
                            " is held)");
        }
        throw Error(ErrorKind::Internal, "lock", "cannot lock " + path.string() + ": " + std::strerror(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) {
        [[maybe_unused]] const auto written = ::write(fd_, pid.data(), pid.size());
    }
}

InstanceLock::~InstanceLock() {
    if (fd_ >= 0) {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
}

}  // namespace chatiere::manager
