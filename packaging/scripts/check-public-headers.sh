#!/usr/bin/env bash
# Tests and benches use the components' public headers only (chatiere/<component>/…, what a user
# of the library has): fails, naming each line, when a C++ file under tests/ or bench/ includes a
# private header of a component (a folder of manager/src, manager/base/src, provisioning/src or
# templates/src: "store/Subscriptions.h", "billing/BillingService.h", …, or any path through a src/),
# or when a CMake file there puts a component's src/ on the include path. A component's own unit
# tests (manager/tests, provisioning/tests, …) may reach its src/: they are not under tests/. Nor
# may the fuzzing harnesses of tests/fuzz, which drive each parser where it lives, as unit tests do.
# Usage: bash packaging/scripts/check-public-headers.sh [SOURCE_DIR]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
dirs=()
for d in tests bench; do
  [ -d "$d" ] && dirs+=("$d")
done
if [ ${#dirs[@]} -eq 0 ]; then
  echo "check-public-headers: no tests/ nor bench/"
  exit 0
fi
# The folders of the components' private code, as their own code names them in an #include.
folders=$(for src in manager/src manager/base/src provisioning/src templates/src; do
  if [ -d "$src" ]; then find "$src" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'; fi
done | sort -u | paste -sd'|' -)
pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]([^">]*/)?(manager|base|provisioning|templates)/src/'
if [ -n "$folders" ]; then
  pattern="$pattern|^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]($folders)/"
fi
unit_like='^tests/fuzz/'
found=$(grep -rnE --include='*.cpp' --include='*.cc' --include='*.h' --include='*.hpp' "$pattern" "${dirs[@]}" |
  grep -vE "$unit_like" || true)
# A component's src/ on the include path of a test or a bench.
paths=$(grep -rnE --include='CMakeLists.txt' --include='*.cmake' \
  '(^|[/{}$" ])(manager|base|provisioning|templates)/src([/ )"]|$)' "${dirs[@]}" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*#' |
  grep -vE "$unit_like" || true)
if [ -n "$found$paths" ]; then
  echo "check-public-headers: tests and benches use the public headers only (chatiere/<component>/…);" \
    "reach the manager through its Daemon, its HTTP API or its CLI:" >&2
  [ -z "$found" ] || echo "$found" >&2
  [ -z "$paths" ] || echo "$paths" >&2
  exit 1
fi
echo "check-public-headers: tests and benches include public headers only"
