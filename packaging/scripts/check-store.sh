#!/usr/bin/env bash
# Only the store writes SQL: fails, naming each line, when a SELECT, INSERT, UPDATE, DELETE or WITH
# statement appears in the product's C++ outside manager/src/store/ (tests and benches, which plant
# and read rows on purpose, are not the product).
# Usage: bash packaging/scripts/check-store.sh [SOURCE_DIR]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
dirs=()
for d in manager/src manager/include manager/base provisioning templates/src templates/include; do
  [ -d "$d" ] && dirs+=("$d")
done
# A string literal (or a line of one) holding a statement's opening words.
pattern='"[^"]*\b(SELECT|INSERT (OR [A-Z]+ )?INTO|UPDATE [a-z_]+ SET|DELETE FROM|WITH [a-z_]+ AS \()'
found=$(grep -rnE --include='*.cpp' --include='*.h' "$pattern" "${dirs[@]}" \
  | grep -v '^manager/src/store/' | grep -vE '^[^:]+/tests/' || true)
if [ -n "$found" ]; then
  echo "check-store: SQL outside manager/src/store/ (move it into a repository there):" >&2
  echo "$found" >&2
  exit 1
fi
echo "check-store: no SQL outside manager/src/store/"
