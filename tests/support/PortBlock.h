#pragma once

// A block of 100 host ports that no other test process on this machine holds while this one lives:
// for tests that listen on a service's forwarded port themselves (an in-memory Etherpad), or that
// need nothing to listen there. Test processes run two at a time (the asan preset) and the
// TestDaemon's default range is the same in each; a block is held with flock(2) on a file in
// /tmp, so the kernel releases it when the process ends, however it ends. Blocks lie in
// 23000–29999, away from the system tests' ranges (22000–22399) and the ephemeral ports.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace chatiere::testing {

class PortBlock {
public:
    static constexpr int kSize = 100;
    static constexpr int kBlocks = 70;

    PortBlock() {
        const int start = static_cast<int>(getpid()) % kBlocks;
        for (int i = 0; i < kBlocks; ++i) {
            const int first = 23000 + kSize * ((start + i) % kBlocks);
            const std::string lock = "/tmp/chatiere-test-ports-" + std::to_string(first) + ".lock";
            const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
            if (fd < 0) {
                continue;
            }
            if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
                fd_ = fd;
                first_ = first;
                return;
            }
            ::close(fd);
        }
        throw std::runtime_error("no free block of test ports in 23000-29999");
    }
    ~PortBlock() { ::close(fd_); }
    PortBlock(const PortBlock&) = delete;
    PortBlock& operator=(const PortBlock&) = delete;

    int first() const { return first_; }
    int last() const { return first_ + kSize - 1; }

private:
    int fd_ = -1;
    int first_ = 0;
};

}  // namespace chatiere::testing
