#!/usr/bin/env bash
# Runs every libFuzzer harness of the asan build for SECONDS each (default 10) on a copy of its
# seed corpus (the committed corpus stays as it is; new inputs go to a temporary folder), prints
# each one's runs, coverage and time, and fails when any harness crashed or a sanitizer reported:
# the input that did it is kept and named.
#   tests/fuzz/run.sh [SECONDS] [NAME...]     e.g. tests/fuzz/run.sh 600, tests/fuzz/run.sh 60 cookie
# FUZZ_BUILD_DIR: where the harnesses were built (default build-asan at the top of the tree).
# FUZZ_ARTIFACTS: where crashing inputs are kept (default build dir/fuzz-artifacts).
set -u
seconds=${1:-10}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$top/build-asan}
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    echo "usage: $0 [SECONDS] [NAME...]" >&2
    exit 2
fi
names=("$@")
if ((${#names[@]} == 0)); then
    for dir in "$here"/corpus/*/; do
        names+=("$(basename "$dir")")
    done
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/chatiere-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The harnesses that write their input to a file (settings, template_manifest) do it under TMPDIR.
export TMPDIR=$work
mkdir -p "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
start=$SECONDS
for name in "${names[@]}"; do
    binary=$(find "$build" -type f -name "fuzz_$name" -perm -u+x | head -n 1)
    if [[ -z $binary ]]; then
        echo "fuzz $name: no harness fuzz_$name under $build (build it: cmake --build $build --target fuzz_$name)" >&2
        failed+=("$name")
        continue
    fi
    corpus=$work/$name
    mkdir -p "$corpus"
    cp -r "$here/corpus/$name/." "$corpus/"
    dict=()
    [[ -f $here/$name.dict ]] && dict=(-dict="$here/$name.dict")
    log=$work/$name.log
    began=$SECONDS
    # In a subshell, so that the shell's "Aborted" line of a crash goes to the log too.
    ("$binary" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$name-" "$corpus"; exit $?) >"$log" 2>&1
    status=$?
    took=$((SECONDS - began))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1)
    corpus_size=$(find "$corpus" -type f | wc -l)
    if ((status == 0)); then
        printf 'fuzz %-18s ok    %8s runs  %-9s %-9s corpus %4s  %3ss\n' "$name" "${runs:-?}" "${cov:-cov: ?}" \
            "${ft:-ft: ?}" "$corpus_size" "$took"
    else
        crash=$(grep -o "Test unit written to .*" "$log" | tail -n 1 | sed 's/Test unit written to //')
        printf 'fuzz %-18s FAIL  (exit %s after %ss) input: %s\n' "$name" "$status" "$took" "${crash:-none saved}"
        grep -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:|uncaught exception|what\(\)" \
            "$log" | head -n 5 | sed 's/^/    /'
        cp "$log" "$artifacts/$name.log"
        echo "    full log: $artifacts/$name.log; reproduce: $binary ${crash:-<input>}"
        failed+=("$name")
    fi
done
echo "fuzz: ${#names[@]} harnesses, ${seconds}s each, $((SECONDS - start))s in all"
if ((${#failed[@]} > 0)); then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
