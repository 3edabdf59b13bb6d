// Which processes belong to an own-mode nginx instance (NginxProxy::stopLeftovers), read from a
// fake /proc folder.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hosting/ProxyFolder.h"

using namespace chatiere::manager;
namespace fs = std::filesystem;

namespace {

class InstanceProcessesTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "chatiere-proc-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        proc_ = pattern;
    }
    void TearDown() override { fs::remove_all(proc_); }

    // A process of the fake /proc: its title (cmdline, NUL-separated as the kernel shows it), its
    // state letter in stat, and the targets of its open files.
    void process(int pid, const std::string& cmdline, char state, const std::vector<std::string>& files) {
        const fs::path dir = proc_ / std::to_string(pid);
        fs::create_directories(dir / "fd");
        std::ofstream(dir / "cmdline", std::ios::binary) << cmdline << std::string(1, '\0');
        std::ofstream(dir / "stat") << pid << " (nginx) " << state << " 1 " << pid << " " << pid << " 0 -1\n";
        int fd = 0;
        for (const auto& file : files) {
            fs::create_symlink(file, dir / "fd" / std::to_string(fd++));
        }
    }

    fs::path proc_;
};

TEST_F(InstanceProcessesTest, FindsTheWorkersOfItsOwnPrefixOnly) {
    const std::string own = "/var/lib/chatiere/proxy";
    // The killed master's workers: a bare title, the error log as stderr, the transfer log.
    process(4101, "nginx: worker process", 'S',
            {"/dev/null", "socket:[991]", own + "/logs/error.log", own + "/logs/transfer.log"});
    process(4102, "nginx: worker process", 'S', {"/dev/null", "/dev/null", own + "/logs/error.log"});
    process(4103, "nginx: cache manager process", 'S', {own + "/logs/error.log (deleted)"});
    // A live master of this prefix (its pid file lost) is this instance's too.
    process(4100, "nginx: master process /usr/sbin/nginx -e " + own + "/logs/error.log -p " + own + "/", 'S',
            {own + "/logs/error.log"});
    // A zombie worker holds nothing any more.
    process(4104, "nginx: worker process", 'Z', {own + "/logs/error.log"});
    // Another installation whose prefix starts with the same characters, and the system nginx.
    process(5201, "nginx: worker process", 'S', {own + "2/logs/error.log"});
    process(5202, "nginx: worker process", 'S', {"/var/log/nginx/error.log", "/var/log/nginx/access.log"});
    // Not nginx, although it holds the log (an operator's `tail -f`).
    process(6001, "tail -f", 'S', {own + "/logs/error.log"});
    // Not a process folder.
    fs::create_directories(proc_ / "self");
    fs::create_directories(proc_ / "sys");

    EXPECT_EQ(findInstanceProcesses(proc_, own), (std::vector<int>{4100, 4101, 4102, 4103}));
    EXPECT_EQ(findInstanceProcesses(proc_, own + "/"), (std::vector<int>{4100, 4101, 4102, 4103}));
    EXPECT_EQ(findInstanceProcesses(proc_, own + "2"), (std::vector<int>{5201}));
    EXPECT_TRUE(findInstanceProcesses(proc_, "/srv/none").empty());
}

TEST_F(InstanceProcessesTest, AProcessThatCannotBeReadIsSkipped) {
    // Another user's process shows a cmdline but no readable fd folder.
    const fs::path dir = proc_ / "7001";
    fs::create_directories(dir);
    std::ofstream(dir / "cmdline") << "nginx: worker process";
    std::ofstream(dir / "stat") << "7001 (nginx) S 1 7001 7001\n";
    EXPECT_TRUE(findInstanceProcesses(proc_, "/var/lib/chatiere/proxy").empty());
    EXPECT_TRUE(findInstanceProcesses(proc_ / "missing", "/var/lib/chatiere/proxy").empty());
}

}  // namespace
