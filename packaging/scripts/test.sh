#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs the whole test suite.
# Usage (as root on Debian 12): bash packaging/scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bash packaging/scripts/deps.sh test
# The system tests run real QEMU guests on the local libvirtd.
bash packaging/scripts/libvirtd.sh
cmake --preset default
cmake --build --preset default
ctest --preset default
