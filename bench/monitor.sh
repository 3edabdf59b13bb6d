#!/usr/bin/env bash
# bench/monitor: one usage collection cycle for 1,000 running guests (libvirt's test:///default
# driver), samples stored, as a ratio to the least work that cycle can do measured in the same run
# (the bare bulk statistics call plus the same rows inserted with raw SQLite in one transaction,
# target <= 1.2), and the daemon's resident memory with 1,000 services (ceiling 30 MiB).
# Last two lines: RESULT daemon-rss ratio=<MiB / 30> …, then RESULT monitor ratio=… (key=value).
# Usage (after packaging/scripts/test.sh or a build): bash bench/monitor.sh [GUESTS] [RUNS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build/bench/chatiere_bench_monitor
if [ ! -x "$bin" ]; then
  (cd "$src" && cmake --preset default >/dev/null && cmake --build --preset default --target chatiere_bench_monitor)
fi
exec "$bin" "${1:-1000}" "${2:-20}"
