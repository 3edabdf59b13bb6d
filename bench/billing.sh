#!/usr/bin/env bash
# bench/billing: a billing run for 10,000 subscriptions (each first period invoiced, numbered and
# mailed through the outbox), its time and its ratio to inserting the same rows with raw SQLite,
# prepared once, committing as the run commits (one durable transaction per subscription), measured
# in the same run; the rerun of the same day; peak memory. Last line: RESULT billing ratio=… key=value…
# Usage (after packaging/scripts/test.sh or a build): bash bench/billing.sh [SUBSCRIPTIONS] [RUNS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$src/build/bench/chatiere_bench_billing
if [ ! -x "$bin" ]; then
  (cd "$src" && cmake --preset default >/dev/null && cmake --build --preset default --target chatiere_bench_billing)
fi
exec "$bin" "${1:-10000}" "${2:-3}"
