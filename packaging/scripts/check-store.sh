#!/usr/bin/env bash
# Only the store writes SQL: fails, naming each line, when a SELECT, INSERT, UPDATE, DELETE or WITH
# statement appears in the product's C++ outside manager/src/store/ (tests and benches, which plant
# and read rows on purpose, are not the product).
#
# packaging/scripts/check-store.baseline lists the files whose SQL has not moved into the store yet
# (issue 16 moves them one aggregate at a time): their statements are tolerated, any other file's
# fail, and a listed file that holds no SQL any more fails too, so that the list only shrinks.
# Usage: bash packaging/scripts/check-store.sh [SOURCE_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$(cd "$here/../.." && pwd)}
baseline=${CHECK_STORE_BASELINE:-$here/check-store.baseline}
cd "$root"
dirs=()
for d in manager/src manager/include manager/base provisioning templates/src templates/include; do
  [ -d "$d" ] && dirs+=("$d")
done
# A string literal (or a line of one) holding a statement's opening words.
pattern='"[^"]*\b(SELECT|INSERT (OR [A-Z]+ )?INTO|UPDATE [a-z_]+ SET|DELETE FROM|WITH [a-z_]+ AS \()'
found=$(grep -rnE --include='*.cpp' --include='*.h' "$pattern" "${dirs[@]}" \
  | grep -v '^manager/src/store/' | grep -vE '^[^:]+/tests/' || true)
allowed=()
if [ -f "$baseline" ]; then
  mapfile -t allowed < <(grep -vE '^\s*(#|$)' "$baseline")
fi
status=0
bad=$(grep -vF -f <(printf '%s:\n' "${allowed[@]}" | grep -v '^:$') <<<"$found" | grep -v '^$' || true)
if [ ${#allowed[@]} -eq 0 ]; then bad=$found; fi
if [ -n "$bad" ]; then
  echo "check-store: SQL outside manager/src/store/ (move it into a repository there):" >&2
  echo "$bad" >&2
  status=1
fi
for f in "${allowed[@]}"; do
  if ! grep -q "^$f:" <<<"$found"; then
    echo "check-store: $f holds no SQL any more: remove it from $(basename "$baseline")" >&2
    status=1
  fi
done
left=$(cut -d: -f1 <<<"$found" | grep -v '^$' | sort -u | wc -l)
[ $status -eq 0 ] && echo "check-store: no SQL outside manager/src/store/ but in the $left file(s) of the baseline"
exit $status
