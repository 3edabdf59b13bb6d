#!/usr/bin/env bash
# The e2e tests: a real `chatiere serve` (tests/support/daemon.sh: its own SQLite file, libvirt's
# test driver or, with --real-guests, real QEMU guests on the local libvirtd, and a loopback SMTP
# server) driven by Debian's Chromium through playwright-core. Installs the npm packages pinned in
# package-lock.json when missing. Screenshots go to ARTIFACTS (default: build/e2e-artifacts).
# Usage: tests/e2e/run.sh CHATIERE_BINARY [--real-guests] TEST_FILE...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
usage="usage: run.sh CHATIERE_BINARY [--real-guests] TEST_FILE..."
bin=${1:?$usage}
shift
guests=
if [ "${1:-}" = --real-guests ]; then
  guests=--real-guests
  shift
fi
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
files=()
for f in "$@"; do files+=("$here/$f"); done
artifacts=${ARTIFACTS:-$src/build/e2e-artifacts}
mkdir -p "$artifacts"
# A part the tests need is missing: skipped (exit 77, CTest's SKIP_RETURN_CODE) on a developer's
# machine, a failure under CI (CI=true), so that CI cannot pass without running them.
missing() {
  if [ "${CI:-}" = true ]; then
    echo "e2e: CI=true and a part the tests need is missing: $*" >&2
    exit 1
  fi
  echo "e2e: skipped: $* (with CI=true this fails)" >&2
  exit 77
}
[ -x /usr/bin/chromium ] || missing "/usr/bin/chromium (packaging/scripts/deps.sh test installs it)"
command -v node >/dev/null || missing "node (packaging/scripts/deps.sh test installs it)"
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || missing "the npm packages (npm ci failed)"
fi
if [ -n "$guests" ] && ! virsh -q -c qemu:///system version >/dev/null 2>&1; then
  missing "no libvirtd on qemu:///system (packaging/scripts/libvirtd.sh starts one)"
fi
# REQUIRE_IMAGE=NAME: the test needs that template's appliance image, built beforehand into the
# shared image cache (the editor's takes minutes: it is never built by a test).
if [ -n "${REQUIRE_IMAGE:-}" ]; then
  image_dir=/var/tmp/chatiere-test-images/$REQUIRE_IMAGE
  if [ ! -e "$image_dir/current" ]; then
    missing "the $REQUIRE_IMAGE image is not built in $image_dir (chatiere templates build $REQUIRE_IMAGE)"
  fi
fi

source "$src/tests/support/daemon.sh"
trap stop_daemon EXIT
start_daemon "$bin" $guests

status=0
CHATIERE_URL="$daemon_url" CHATIERE_BINARY="$bin" ADMIN_EMAIL=admin@chatons.test ADMIN_PASSWORD='correct horse battery' \
  DAEMON_DIR="$daemon_dir" ARTIFACTS="$artifacts" node --test --test-concurrency=1 "${files[@]}" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- daemon log" >&2
  tail -50 "$daemon_dir/daemon.log" >&2
fi
exit "$status"
