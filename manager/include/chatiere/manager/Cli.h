#pragma once

namespace chatiere::manager {

// The `chatiere` command: dispatches to its subcommands. Returns the process exit code.
int runCli(int argc, char** argv);

}  // namespace chatiere::manager
