#!/usr/bin/env bash
# GuestFenceTest's probe initramfs: the website appliance's own (its busybox and the kernel's
# modules), with the probe's init in place of the website's.
# Usage: make-initrd.sh WEBSITE_INITRD OUTPUT
set -euo pipefail
in=${1:?usage: make-initrd.sh WEBSITE_INITRD OUTPUT}
out=${2:?usage: make-initrd.sh WEBSITE_INITRD OUTPUT}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
gzip -dc "$in" | cpio -id --quiet
install -m 755 "$here/init" init
for applet in nc timeout tail basename; do
  ln -sf busybox "bin/$applet"
done
find . | cpio -o -H newc --quiet | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
