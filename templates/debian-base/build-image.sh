#!/usr/bin/env bash
# Builds the Debian 12 appliance base, and every image that extends it (docs/appliances.md).
# A minbase root from Debian's packages only (mmdebstrap), systemd, udev, systemd-networkd (static
# 10.0.2.15 for QEMU user networking), qemu-guest-agent limited to the RPCs Chatière uses, and the
# Debian cloud kernel; the kernel and its initrd are copied out for direct boot, and the root becomes
# an ext4 image made with `mkfs.ext4 -d` (nothing is mounted on the host). The root is shared
# read-only by every guest of a template: mutable state lives on tmpfs (/tmp, /var/tmp, /var/log,
# /run) or on the service's data volume (/dev/vdb → /srv/data, formatted by the guest when blank).
#
# Usage: build-image.sh OUTPUT_DIR
#   → OUTPUT_DIR/vmlinuz, initrd.img, root.img, packages.txt (the Debian package versions it took)
# An extending template (e.g. templates/editor/build-image.sh) runs this script with:
#   EXTRA_PACKAGES   more Debian packages, separated by spaces or commas;
#   EXTRA_FILES      a directory copied over the root (its files keep their modes; owned by root);
#   CUSTOMIZE_HOOKS  scripts run on the host, in order, as `HOOK ROOT_DIR`, after the base is set up
#                    and EXTRA_FILES copied, before the root is cleaned and made into root.img (use
#                    `chroot "$1" …` to run things inside; the network is the host's).
# Its application units join the base's contract: `WantedBy=chatiere-app.target`,
# `PartOf=chatiere-app.target`, `RequiresMountsFor=/srv/data`, and
# `ConditionPathExists=/srv/data/.chatiere/config.json`; they are (re)started when the host hands a
# new configuration in (/run/chatiere/config.json, see chatiere-config.service).
# Env: DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, KEEP_WORK=1 (keep the root tree to inspect).
# Needs root (mmdebstrap's root mode), mmdebstrap, e2fsprogs. Working files under /var/tmp.
set -euo pipefail
out=${1:?usage: build-image.sh OUTPUT_DIR}
mkdir -p "$out"
command -v mmdebstrap >/dev/null || apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null
work=$(mktemp -d /var/tmp/chatiere-debian-base.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
root=$work/root
base=$(cd "$(dirname "$0")" && pwd)

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
packages=systemd-sysv,udev,qemu-guest-agent,linux-image-cloud-amd64,initramfs-tools,zstd,e2fsprogs,iproute2
extra=$(echo "${EXTRA_PACKAGES:-}" | tr ' ,' '\n\n' | sed '/^$/d' | paste -sd, -)
[ -z "$extra" ] || packages="$packages,$extra"
hooks=()
for h in ${CUSTOMIZE_HOOKS:-}; do
  [ -x "$h" ] || { echo "build-image: customize hook $h is not an executable file" >&2; exit 1; }
  hooks+=("$(cd "$(dirname "$h")" && pwd)/$(basename "$h")")
done
if [ -n "${EXTRA_FILES:-}" ]; then
  [ -d "$EXTRA_FILES" ] || { echo "build-image: EXTRA_FILES $EXTRA_FILES is not a directory" >&2; exit 1; }
  EXTRA_FILES=$(cd "$EXTRA_FILES" && pwd)
fi

# Modules the initrd needs to mount an ext4 root on a virtio disk (the cloud kernel has them as
# modules); MODULES=list keeps the initrd small (initramfs-tools adds their dependencies).
setup_hook='mkdir -p "$1/etc/initramfs-tools/conf.d" &&
  printf "MODULES=list\nCOMPRESS=zstd\n" > "$1/etc/initramfs-tools/conf.d/chatiere"'

start=$(date +%s)
mmdebstrap --mode=root --variant=minbase --include="$packages" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --setup-hook="$setup_hook" --customize-hook="\"$base/customize-base.sh\" \"\$1\"" \
  bookworm "$root" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"
echo "build-image: Debian root built in $(( $(date +%s) - start )) s" >&2

if [ -n "${EXTRA_FILES:-}" ]; then
  cp -a --no-preserve=ownership "$EXTRA_FILES/." "$root/"
fi
for h in "${hooks[@]}"; do
  echo "build-image: running $h" >&2
  "$h" "$root"
done

kver=$(basename "$(ls -d "$root"/lib/modules/*-cloud-amd64 | head -1)")
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img.tmp"
# The package versions the image took: what the image cache key hashes with the recipe.
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' > "$out/packages.txt.tmp"

# Not needed in the shared root: the kernel and initrd are booted from outside; udev's hardware
# database only names real hardware (virtio devices don't need it); apt's caches and lists.
rm -rf "$root/boot/"* "$root/usr/lib/udev/hwdb.bin" "$root/var/cache/apt/"* "$root/var/lib/apt/lists/"*
truncate -s0 "$root/etc/machine-id"

# Image size: what the root holds plus a margin for ext4's metadata; no mount anywhere.
kib=$(du -sk "$root" | cut -f1)
size=$(( kib * 5 / 4 + 65536 ))
rm -f "$out/root.img.tmp"
mkfs.ext4 -q -L chatiere-root -E root_owner=0:0 -d "$root" "$out/root.img.tmp" "${size}k"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"
mv "$out/packages.txt.tmp" "$out/packages.txt"
mv "$out/root.img.tmp" "$out/root.img"
echo "build-image: $out/vmlinuz ($kver), $out/initrd.img, $out/root.img ($(( size / 1024 )) MiB) in $(( $(date +%s) - start )) s"
