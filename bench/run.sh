#!/usr/bin/env bash
# bench/run.sh: every bench in one go, then one table of their figures against issue 16's targets.
# Each bench ends with `RESULT <name> ratio=<number> key=value…` lines (one per figure it measures:
# bench/monitor.sh gives daemon-rss and monitor, bench/web.sh web-dashboard, web-usage-api and
# web-dashboard-https, bench/web-site.sh web-site-https, bench/provision.sh provision-website and
# provision-editor); this
# script collects them into $out/results.txt and prints the table. Benches measure, they do not
# judge: the exit status is 0 when every bench ran, whatever the ratios (1 when one failed).
#
# Usage (as root, from anywhere): bash bench/run.sh [--quick]
#   full:    billing 10,000 subscriptions × 3 runs, monitor 1,000 guests × 20 cycles, web 10 s per
#            URL, a real website guest behind the proxy (web-site), provision 5 real website guests
#            and 2 editors (needs libvirtd, QEMU and the appliance images: half an hour and more
#            without KVM, an editor's boot being minutes).
#   --quick: billing 2,000 subscriptions × 1 run, monitor 1,000 guests × 5 cycles, web 5 s per URL
#            (the dashboard through the proxy too: it needs no guest); web-site-https,
#            provision-website and provision-editor are skipped (RESULT … skipped=1): they boot
#            real QEMU guests under a system libvirtd, and one boot is no median. About two minutes
#            on 2 cores, plus the build.
# Environment: BENCH_OUT=DIR keeps the logs there (default: a new /tmp/chatiere-bench-* directory).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench/run.sh: unknown argument '$1' (--quick or nothing)" >&2; exit 64 ;;
esac
if [ "$quick" = 1 ]; then
  billing_args=(2000 1); monitor_args=(1000 5); web_args=(5); provision_args=()
else
  billing_args=(10000 3); monitor_args=(1000 20); web_args=(10); provision_args=(5 2)
fi
out=${BENCH_OUT:-$(mktemp -d /tmp/chatiere-bench-XXXXXX)}
mkdir -p "$out"
results=$out/results.txt
: >"$results"

# The build the benches run (a no-op when it is up to date).
[ -f "$src/build/build.ninja" ] || (cd "$src" && cmake --preset default >/dev/null)
cmake --build "$src/build" --target chatiere chatiere_bench_billing chatiere_bench_monitor >"$out/build.log" 2>&1 ||
  { cat "$out/build.log" >&2; exit 1; }

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
started=$(date +%s)
echo "bench/run.sh$([ "$quick" = 1 ] && echo " --quick"): $(date -u +%FT%TZ), commit $commit, ${cpu:-unknown CPU}," \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); logs in $out"

failed=0
# run_bench LOG_NAME "EXPECTED RESULT NAMES" COMMAND…: runs a bench, its output shown and logged,
# and keeps its RESULT lines; a bench that fails, or omits one, gets `RESULT <name> ratio=nan failed=1`.
run_bench() {
  local log=$out/$1.log names=$2
  shift 2
  echo
  echo "=== $* ==="
  local rc=0
  "$@" 2>&1 | tee "$log" || rc=$?
  local name
  for name in $names; do
    if [ "$rc" = 0 ] && grep -q "^RESULT $name " "$log"; then
      grep "^RESULT $name " "$log" | tail -1 >>"$results"
    else
      echo "RESULT $name ratio=nan failed=1 log=$log" >>"$results"
      failed=1
    fi
  done
}

run_bench billing billing bash "$src/bench/billing.sh" "${billing_args[@]}"
run_bench monitor "daemon-rss monitor" bash "$src/bench/monitor.sh" "${monitor_args[@]}"
run_bench web "web-dashboard web-usage-api web-dashboard-https" bash "$src/bench/web.sh" "${web_args[@]}"
guests="web-site-https provision-website provision-editor"
if [ "$quick" = 1 ]; then
  for name in $guests; do
    echo "RESULT $name ratio=nan skipped=1 reason=quick" >>"$results"
  done
elif [ "$(id -u)" -ne 0 ] || ! command -v virsh >/dev/null || ! command -v qemu-system-x86_64 >/dev/null; then
  for name in $guests; do
    echo "RESULT $name ratio=nan skipped=1 reason=needs-root-libvirt-qemu" >>"$results"
  done
else
  run_bench web-site web-site-https bash "$src/bench/web-site.sh" "${web_args[@]}"
  run_bench provision "provision-website provision-editor" bash "$src/bench/provision.sh" "${provision_args[@]}"
fi

echo
echo "bench/run.sh: $(( $(date +%s) - started )) s; ratios measured in this run, on this machine (load" \
  "$(cut -d' ' -f1-3 /proc/loadavg) now)"
python3 - "$results" <<'PY'
import math, sys

# Issue 16's targets: (figure, comparison, bound). daemon-rss's ratio is its MiB over the 30 MiB ceiling.
TARGETS = {
    "billing": [("ratio", "<=", 2.5)],
    "web-dashboard": [("ratio", ">=", 0.10), ("p99_ms", "<=", 25)],
    "web-usage-api": [("ratio", ">=", 0.25), ("p99_ms", "<=", 10)],
    "web-dashboard-https": [],
    "web-site-https": [],
    "monitor": [("ratio", "<=", 1.2)],
    "daemon-rss": [("rss_mib", "<", 30)],
    "provision-website": [],
    "provision-editor": [],
}
rows = []
for line in open(sys.argv[1]):
    fields = line.split()
    name, figures = fields[1], dict(f.split("=", 1) for f in fields[2:] if "=" in f)
    targets = TARGETS.get(name, [])
    target = ", ".join(f"{k} {op} {b:g}" for k, op, b in targets) or "-"
    if "skipped" in figures or "failed" in figures:
        met = "skipped" if "skipped" in figures else "FAILED"
    elif not targets:
        met = "-"
    else:
        ok = True
        for k, op, b in targets:
            v = float(figures.get(k, "nan"))
            ok &= not math.isnan(v) and {"<=": v <= b, ">=": v >= b, "<": v < b}[op]
        met = "yes" if ok else "no"
    ratio = figures.pop("ratio", "nan")
    rows.append((name, ratio, target, met, " ".join(f"{k}={v}" for k, v in figures.items())))
head = ("bench", "ratio", "target", "met", "figures")
widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
for r in [head] + rows:
    print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
PY
exit "$failed"
