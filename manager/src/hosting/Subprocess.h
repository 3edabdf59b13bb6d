#pragma once

#include <string>
#include <vector>

namespace chatiere::manager {

struct ProcessResult {
    int exitCode = -1;   // the exit status; 128 + the signal when killed
    std::string output;  // stdout and stderr together
};

// Runs `program` with `arguments` and waits for it. Its stdout and stderr go to an unlinked temp
// file, not a pipe, so that a program that daemonises (nginx) and keeps them open cannot hang the
// caller; file descriptors other than 0-2 are closed in the child. Throws std::runtime_error when
// the program cannot be started.
ProcessResult runProcess(const std::string& program, const std::vector<std::string>& arguments);

}  // namespace chatiere::manager
