#include "chatiere/manager/Cli.h"

int main(int argc, char** argv) { return chatiere::manager::runCli(argc, argv); }
