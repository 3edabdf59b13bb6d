#include "hosting/Subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace chatiere::manager {
namespace {

struct FileActions {
    posix_spawn_file_actions_t actions;
    FileActions() { posix_spawn_file_actions_init(&actions); }
    ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
};

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

}  // namespace

ProcessResult runProcess(const std::string& program, const std::vector<std::string>& arguments) {
    std::string pattern = (std::filesystem::temp_directory_path() / "chatiere-process-XXXXXX").string();
    const Fd output{::mkstemp(pattern.data())};
    if (output.fd < 0) {
        throw std::runtime_error("cannot create a temp file for " + program + ": " + std::strerror(errno));
    }
    ::unlink(pattern.c_str());

    FileActions fa;
    posix_spawn_file_actions_addopen(&fa.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa.actions, output.fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa.actions, output.fd, STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&fa.actions, 3);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : arguments) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);

    pid_t pid = 0;
    if (const int rc = ::posix_spawn(&pid, program.c_str(), &fa.actions, nullptr, argv.data(), environ);
        rc != 0) {
        throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw std::runtime_error("cannot wait for " + program + ": " + std::strerror(errno));
        }
    }
    ProcessResult result;
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::lseek(output.fd, 0, SEEK_SET);
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(output.fd, buffer, sizeof buffer)) > 0 && result.output.size() < (1u << 20)) {
        result.output.append(buffer, static_cast<std::size_t>(n));
    }
    return result;
}

}  // namespace chatiere::manager
