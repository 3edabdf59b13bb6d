#!/usr/bin/env bash
# A test-only template (tests/templates/appliance): its "image" is three small files, made at once,
# so that tests that need a Debian appliance's host side never build a real one.
set -euo pipefail
out=$1
mkdir -p "$out"
printf 'kernel' > "$out/vmlinuz"
printf 'initrd' > "$out/initrd.img"
printf 'root' > "$out/root.img"
