#!/usr/bin/env bash
# CI=true turns a system test's missing libvirtd into a failure, not a skip. libvirtd is hidden from
# the test binary (an empty /run/libvirt in a mount namespace of its own, so nothing else sees it).
# Usage: ci-without-libvirtd.sh SYSTEM_TESTS_BINARY
set -euo pipefail
bin=${1:?usage: ci-without-libvirtd.sh SYSTEM_TESTS_BINARY}
run() {
  unshare -m sh -c 'mount -t tmpfs none /run/libvirt && exec "$@"' sh \
    "$bin" --gtest_filter='WebsiteGuest.*' 2>&1
}
if out=$(env -u CI bash -c "$(declare -f run); bin='$bin'; run"); then
  grep -q '\[  SKIPPED \]' <<<"$out" || { echo "without CI: expected a skip, got:"; echo "$out"; exit 1; }
else
  echo "without CI: expected a skip, the test failed:"; echo "$out"; exit 1
fi
if out=$(CI=true bash -c "$(declare -f run); bin='$bin'; run"); then
  echo "with CI=true: expected a failure, got:"; echo "$out"; exit 1
fi
grep -q 'CI=true and a part this test needs is missing: no libvirtd' <<<"$out" ||
  { echo "with CI=true: not the expected failure:"; echo "$out"; exit 1; }
echo "skipped without CI, failed with CI=true"
