#!/usr/bin/env bash
# templates/build.sh on a tiny fake template (no network, no Debian recipe): builds, reuses the build
# when nothing changed, rebuilds when the recipe or an input it names changes, keeps `current` when
# a recipe fails (non-zero, with the recipe's output), waits for the lock, prunes old builds but
# the previous one and those a guest uses.
set -euo pipefail
driver="$(cd "$(dirname "$0")/.." && pwd)/build.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

t=$tmp/templates
cache=$tmp/cache
mkdir -p "$t/fake" "$t/shared" "$tmp/domains"
cp "$driver" "$t/build.sh"
cat >"$t/fake/template.json" <<'JSON'
{"name": "fake", "domain_xml": "domain.xml",
 "image": {"recipe": "build-image.sh", "kernel": "vmlinuz", "initrd": "initrd.img", "root": "root.img"}}
JSON
echo '<domain/>' >"$t/fake/domain.xml"
echo one >"$t/shared/base.txt"
# The recipe counts its runs, takes its "package version" from $tmp/version, fails when
# $tmp/fail exists, and waits for $tmp/go when $tmp/hold exists.
write_recipe() {
  cat >"$t/fake/build-image.sh" <<RECIPE
# image-inputs: ../shared
set -eu
out=\$1
echo run >>"$tmp/runs"
if [ -e "$tmp/hold" ]; then touch "$tmp/holding"; while [ ! -e "$tmp/go" ]; do sleep 0.05; done; fi
if [ -e "$tmp/fail" ]; then echo "the recipe says boom"; exit 3; fi
echo kernel >"\$out/vmlinuz"
echo initrd >"\$out/initrd.img"
echo root >"\$out/root.img"
echo "fakepkg \$(cat "$tmp/version")" >"\$out/packages.txt"
# $1
RECIPE
}
write_recipe v1
echo 1.0 >"$tmp/version"
runs() { [ -f "$tmp/runs" ] && wc -l <"$tmp/runs" || echo 0; }
build() { CHATIERE_IMAGE_DOMAINS=$tmp/domains bash "$t/build.sh" --cache "$cache" "$@"; }
current() { readlink "$cache/fake/current"; }

# A first build.
out=$(build fake 2>&1) || fail "first build: $out"
[ "$(runs)" -eq 1 ] || fail "the recipe ran $(runs) times"
first=$(current)
[[ "$first" =~ ^[0-9a-f]{16}$ ]] || fail "current is '$first'"
for f in vmlinuz initrd.img root.img packages.txt build-info; do
  [ -f "$cache/fake/current/$f" ] || fail "no $f in the build"
done
grep -q "^key=$first$" "$cache/fake/current/build-info" || fail "build-info: $(cat "$cache/fake/current/build-info")"

# Nothing changed: the build is reused, the recipe does not run.
out=$(build fake 2>&1) || fail "second build: $out"
[ "$(runs)" -eq 1 ] || fail "the recipe ran again though nothing changed: $out"
grep -q "up to date" <<<"$out" || fail "no 'up to date': $out"
[ "$(current)" = "$first" ] || fail "current moved"
# template.json and domain.xml are Chatière's, not the recipe's: no rebuild.
echo '<domain><!-- changed --></domain>' >"$t/fake/domain.xml"
build fake >/dev/null 2>&1 || fail "build after domain.xml changed"
[ "$(runs)" -eq 1 ] || fail "a change of domain.xml rebuilt the image"

# The recipe changes: a new build, the old one is `previous`.
write_recipe v2
out=$(build fake 2>&1) || fail "build after the recipe changed: $out"
[ "$(runs)" -eq 2 ] || fail "the recipe did not run again"
second=$(current)
[ "$second" != "$first" ] || fail "same key after the recipe changed"
[ "$(readlink "$cache/fake/previous")" = "$first" ] || fail "previous is not the first build"
[ -d "$cache/fake/$first" ] || fail "the previous build was removed"

# An input the recipe names changes: a new build; the first one (neither current nor previous) is
# kept while a guest's domain names it, removed once none does.
echo "<kernel>$(realpath "$cache")/fake/$first/vmlinuz</kernel>" >"$tmp/domains/guest.xml"
echo two >"$t/shared/base.txt"
out=$(build fake 2>&1) || fail "build after an input changed: $out"
[ "$(runs)" -eq 3 ] || fail "a change of ../shared did not rebuild"
third=$(current)
[ -d "$cache/fake/$first" ] || fail "a build a guest uses was removed: $out"
grep -q "keeping build $first" <<<"$out" || fail "no word of the build kept: $out"
# The admin sees which guests run an outdated image.
out=$(CHATIERE_IMAGE_DOMAINS=$tmp/domains bash "$t/build.sh" --cache "$cache" --status) || fail "status: $out"
grep -q "^  guests on build $first, not current: guest$" <<<"$out" || fail "outdated guest not shown: $out"
rm "$tmp/domains/guest.xml"
echo three >"$t/shared/base.txt"
out=$(build fake 2>&1) || fail "fourth build: $out"
[ ! -d "$cache/fake/$first" ] || fail "an unused old build was kept: $out"
[ ! -d "$cache/fake/$second" ] || fail "the build before previous was kept: $out"
[ -d "$cache/fake/$third" ] || fail "the previous build was removed: $out"
fourth=$(current)

# The same inputs and packages after a forced rebuild: the build already there serves.
out=$(build --force fake 2>&1) || fail "forced build: $out"
[ "$(current)" = "$fourth" ] || fail "a forced rebuild with the same packages changed the key"
# A newer package version: a new key.
echo 1.1 >"$tmp/version"
out=$(build --force fake 2>&1) || fail "forced build with a new package: $out"
[ "$(current)" != "$fourth" ] || fail "a new package version kept the key"
grep -q "fakepkg 1.1" "$cache/fake/current/packages.txt" || fail "packages.txt not kept"
fifth=$(current)

# A failing recipe: non-zero, its output shown, current unchanged, no work folder left.
touch "$tmp/fail"
write_recipe v3
if out=$(build fake 2>&1); then fail "a failed recipe exited 0: $out"; fi
grep -q "the recipe says boom" <<<"$out" || fail "the recipe's output is not shown: $out"
[ "$(current)" = "$fifth" ] || fail "a failed build moved current"
[ -z "$(find "$cache/fake" -maxdepth 1 -name '.build-*')" ] || fail "a work folder was left"
out=$(bash "$t/build.sh" --cache "$cache" --status 2>&1) || fail "status: $out"
grep -q "^fake .*$fifth.*outdated: the recipe changed; last build failed" <<<"$out" || fail "status: $out"
rm "$tmp/fail"

# Two builds of one template never run at once: the second waits for the first's lock.
touch "$tmp/hold"
build fake >"$tmp/first.log" 2>&1 &
first_pid=$!
for _ in $(seq 1 200); do [ -e "$tmp/holding" ] && break; sleep 0.05; done
[ -e "$tmp/holding" ] || fail "the held build did not start: $(cat "$tmp/first.log")"
build fake >"$tmp/second.log" 2>&1 &
second_pid=$!
for _ in $(seq 1 200); do grep -q "waiting for another build" "$tmp/second.log" && break; sleep 0.05; done
grep -q "waiting for another build" "$tmp/second.log" || fail "the second build did not wait: $(cat "$tmp/second.log")"
runs_now=$(runs)
touch "$tmp/go"
wait "$first_pid" || fail "the held build failed: $(cat "$tmp/first.log")"
wait "$second_pid" || fail "the waiting build failed: $(cat "$tmp/second.log")"
[ "$(runs)" -eq "$runs_now" ] || fail "the second build ran the recipe again after the first built it"
grep -q "up to date" "$tmp/second.log" || fail "second build: $(cat "$tmp/second.log")"
rm "$tmp/hold" "$tmp/go" "$tmp/holding"

# An update check that cannot read Debian's lists fails, and neither rebuilds nor says "up to date".
runs_now=$(runs)
if out=$(DEBIAN_MIRROR=http://127.0.0.1:9/debian DEBIAN_SECURITY_MIRROR=http://127.0.0.1:9/debian-security \
         timeout 120 bash "$t/build.sh" --cache "$cache" --check fake 2>&1); then
  fail "a check without Debian's lists succeeded: $out"
fi
grep -q "cannot read Debian's package lists" <<<"$out" || fail "check: $out"
! grep -q "up to date" <<<"$out" || fail "check said up to date: $out"
[ "$(runs)" -eq "$runs_now" ] || fail "a failed check rebuilt"

# Status: the template, its build and its state.
out=$(bash "$t/build.sh" --cache "$cache" --status) || fail "status: $out"
grep -q "^fake .*$(current).*not checked" <<<"$out" || fail "status: $out"
# A bad name is refused with the usage status.
if bash "$t/build.sh" --cache "$cache" nosuch >/dev/null 2>&1; then fail "an unknown template was accepted"; fi
bash "$t/build.sh" --cache "$cache" nosuch >/dev/null 2>&1 || [ $? -eq 64 ] || fail "unknown template: not 64"
echo "build_driver_test: ok"
