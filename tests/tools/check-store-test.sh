#!/usr/bin/env bash
# The "no SQL outside store/" check: silent on a tree whose SQL is in the store, failing and naming
# the line on a statement planted anywhere else.
set -euo pipefail
check="$(cd "$(dirname "$0")/../.." && pwd)/packaging/scripts/check-store.sh"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/manager/src/store" "$tree/manager/src/domain" "$tree/manager/src/web" "$tree/manager/src/billing"
cat >"$tree/manager/src/store/Plans.cpp" <<'CPP'
constexpr const char* kList = "SELECT slug, name FROM plans WHERE active = ? ORDER BY slug";
CPP
cat >"$tree/manager/src/domain/Plans.cpp" <<'CPP'
// Reads the plans through the store.
auto plans = repository.list(true);
CPP
bash "$check" "$tree" >/dev/null || { echo "FAIL: a clean tree was refused"; exit 1; }
for planted in 'session << "UPDATE associations SET plan_slug = ? WHERE id = ?", use(slug), now;' \
               'const char* q = "SELECT COUNT(*) FROM invoices";' \
               'return s.integer("SELECT 1");' \
               'db.execute("DELETE FROM sessions WHERE expires_at < ?", now);' \
               's << "INSERT INTO audit_log (id) VALUES (?)";'; do
  echo "$planted" >"$tree/manager/src/web/Planted.cpp"
  if out=$(bash "$check" "$tree" 2>&1); then
    echo "FAIL: planted statement not found: $planted"; exit 1
  fi
  grep -q 'manager/src/web/Planted.cpp:1:' <<<"$out" || { echo "FAIL: the place is not named: $out"; exit 1; }
done
rm "$tree/manager/src/web/Planted.cpp"
# Tests plant rows on purpose: their SQL is not the product's.
mkdir -p "$tree/manager/tests"
echo 's.execute("DELETE FROM invoices WHERE id = ?", id);' >"$tree/manager/tests/PlantTest.cpp"
bash "$check" "$tree" >/dev/null || { echo "FAIL: a test's SQL was refused"; exit 1; }
echo "check-store-test: ok"
