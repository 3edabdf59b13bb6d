#pragma once

#include <filesystem>

namespace chatiere::manager {

// An exclusive advisory lock (flock) on a file beside the database: one daemon per database.
// Released when the object is destroyed or the process dies.
class InstanceLock {
public:
    // Throws Error(Conflict, "already_running") when another process holds it.
    explicit InstanceLock(const std::filesystem::path& path);
    ~InstanceLock();
    InstanceLock(const InstanceLock&) = delete;
    InstanceLock& operator=(const InstanceLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace chatiere::manager
