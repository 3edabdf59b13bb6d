#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs the whole test suite, tier by
# tier (unit, integration; then system and e2e while the two again under ASan+UBSan and the fuzz
# harnesses run in the background at low priority; then anything unlabelled), and prints the time
# of each. The appliance images build in the background meanwhile (templates/build.sh, into the
# machine's test cache; a no-op when they are current) and are waited for before the system tier.
# Usage (as root on Debian 12): bash packaging/scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
started=$(date +%s)
lap=$started
timings=()
# Records the seconds since the last mark under the name $1.
mark() {
  local now
  now=$(date +%s)
  timings+=("$(printf '%-14s %5d s' "$1" $((now - lap)))")
  lap=$now
}
report() {
  echo "--- test.sh: time by tier"
  printf '  %s\n' "${timings[@]}"
  echo "  total          $(( $(date +%s) - started )) s"
}
trap report EXIT

bash packaging/scripts/deps.sh test
# The system tests run real QEMU guests on the local libvirtd.
bash packaging/scripts/libvirtd.sh
mark "install"
# The appliance images of every template, built outside any daemon once per machine and shared by
# the tests (tests/support/SystemGuests.h), while the C++ compiles.
images_cache=/var/tmp/chatiere-test-images
images_log=$(mktemp)
images_started=$(date +%s)
(
  rc=0
  bash templates/build.sh --cache "$images_cache" --all >"$images_log" 2>&1 || rc=$?
  echo "$rc $(( $(date +%s) - images_started ))" >"$images_log.done"
) &
images_pid=$!
# Waits for the images; 1 when a build failed (its output shown).
wait_images() {
  wait "$images_pid" || true
  local rc=1 seconds=0
  if [ ! -f "$images_log.done" ]; then
    cat "$images_log" >&2
    echo "test.sh: the appliance image builds stopped before the end (output above)" >&2
    return 1
  fi
  read -r rc seconds <"$images_log.done"
  timings+=("$(printf '%-14s %5d s' "images (bg)" "$seconds")")
  if [ "$rc" -ne 0 ]; then
    cat "$images_log" >&2
    echo "test.sh: building the appliance images failed (exit $rc, output above): the system tier cannot run" >&2
    return 1
  fi
  echo "test.sh: appliance images ready in $seconds s"
  grep -E '^[a-z0-9_-]+: (current build|up to date)' "$images_log" || true
}
# Only the store writes SQL (docs/architecture.md): fail before spending time on the build.
bash packaging/scripts/check-store.sh
# Tests and benches use the public headers only (docs/testing.md).
bash packaging/scripts/check-public-headers.sh
# ccache (installed by deps.sh) makes a rebuild of an unchanged file free, also from another clone
# of the repository on the same machine: paths are taken relative to the source folder.
export CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=1
cmake --preset default -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache
cmake --build --preset default
mark "build"
status=0
passed=0
failed=0
log=$(mktemp)
# Runs ctest with the test preset $1 and the filter "${@:2}", adds its counts to the totals.
run_tier() {
  ctest --preset "$@" 2>&1 | tee "$log" || status=1
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)
  if [ -n "$line" ]; then
    local total bad
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    passed=$((passed + total - bad))
    failed=$((failed + bad))
  fi
}
for tier in unit integration; do
  run_tier default -L "^${tier}\$"
  mark "$tier"
done
# The unit and integration tiers again, built with clang under ASan+UBSan (the asan preset,
# build-asan/: no bench, system or e2e targets; the sanitizers' options and suppressions are set by
# CTest itself, docs/testing.md), through the same ccache; then the libFuzzer harnesses of
# tests/fuzz, built with it, a few seconds each. This sanitizer lane runs in the background at the
# lowest CPU priority (nice 19, idle I/O class) while the system and e2e tiers run: a guest under
# QEMU without KVM keeps about one core busy, the lane takes what is left and yields to the guests.
# Its output is shown after the e2e tier. A failed asan build fails the run.
lane_dir=$(mktemp -d)
(
  # Before anything is started, so that every process of the lane inherits the priority.
  renice -n 19 -p "$BASHPID" >/dev/null
  ionice -c 3 -p "$BASHPID" >/dev/null 2>&1 || true
  lap=$(date +%s)
  timings=()
  passed=0
  failed=0
  status=0
  log=$lane_dir/tier.log
  if cmake --preset asan -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache &&
     cmake --build --preset asan; then
    mark "asan build"
    run_tier asan
    mark "asan tiers"
    if [ -f tests/fuzz/run.sh ]; then
      bash tests/fuzz/run.sh 10 || status=1
      mark "fuzz"
    fi
  else
    echo "test.sh: the asan build failed" >&2
    status=1
    mark "asan build"
  fi
  printf '%s\n' "${timings[@]}" >"$lane_dir/timings"
  echo "$passed $failed $status" >"$lane_dir/counts"
) >"$lane_dir/output" 2>&1 &
lane_pid=$!
lane_started=$(date +%s)
# Waits for the sanitizer lane, shows its output and adds its counts and times.
wait_lane() {
  wait "$lane_pid" || true
  echo "--- test.sh: the sanitizer lane (asan build, asan tiers, fuzz), run in the background"
  cat "$lane_dir/output"
  if [ ! -f "$lane_dir/counts" ]; then
    echo "test.sh: the sanitizer lane stopped before the end (output above)" >&2
    status=1
    return
  fi
  local p f s line
  read -r p f s <"$lane_dir/counts"
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$s" -eq 0 ] || status=1
  while IFS= read -r line; do
    [ -z "$line" ] || timings+=("$line (bg)")
  done <"$lane_dir/timings"
  timings+=("$(printf '%-14s %5d s' "lane, wall" $(( $(date +%s) - lane_started )))")
}
images_ok=1
wait_images || { images_ok=; status=1; }
mark "wait images"
for tier in system e2e; do
  if [ "$tier" = system ] && [ -z "$images_ok" ]; then
    echo "test.sh: system tier skipped: no appliance images" >&2
    continue
  fi
  run_tier default -L "^${tier}\$"
  mark "$tier"
done
rm -f "$images_log" "$images_log.done"
wait_lane
mark "wait lane"
rm -rf "$lane_dir"
# Whatever carries none of the tiers' labels.
if ctest --test-dir build -N -LE '^(unit|integration|system|e2e)$' | grep -q 'Total Tests: [1-9]'; then
  run_tier default -LE '^(unit|integration|system|e2e)$'
  mark "other"
fi
rm -f "$log"
report
trap - EXIT
echo "$passed passed, $failed failed"
exit "$status"
