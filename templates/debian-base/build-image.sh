#!/usr/bin/env bash
# SPIKE (issue 17): builds the Debian 12 appliance base. A minbase root from Debian's packages only
# (mmdebstrap), systemd, udev, systemd-networkd (static 10.0.2.15 for QEMU user networking),
# qemu-guest-agent and the Debian cloud kernel; the kernel and its initrd are copied out for direct
# boot, and the root becomes an ext4 image made with `mkfs.ext4 -d` (nothing is mounted on the host).
# The root is meant to be shared read-only by every guest of a template: mutable state lives on
# tmpfs (/tmp, /var/tmp, /var/log) or on the service's data volume (/dev/vdb → /srv/data).
# Usage: build-image.sh OUTPUT_DIR → OUTPUT_DIR/vmlinuz, OUTPUT_DIR/initrd.img, OUTPUT_DIR/root.img
# Needs root (mmdebstrap's root mode), mmdebstrap, e2fsprogs. Working files under /var/tmp.
set -euo pipefail
out=${1:?usage: build-image.sh OUTPUT_DIR}
mkdir -p "$out"
command -v mmdebstrap >/dev/null || apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null
work=$(mktemp -d /var/tmp/chatiere-debian-base.XXXXXX)
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT   # KEEP_WORK=1 keeps the root tree to inspect
root=$work/root

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
packages=systemd-sysv,udev,qemu-guest-agent,linux-image-cloud-amd64,initramfs-tools,zstd,e2fsprogs,iproute2

# Modules the initrd needs to mount an ext4 root on a virtio disk (the cloud kernel has them as
# modules); MODULES=list keeps the initrd small (initramfs-tools adds their dependencies).
setup_hook='mkdir -p "$1/etc/initramfs-tools/conf.d" &&
  printf "MODULES=list\nCOMPRESS=zstd\n" > "$1/etc/initramfs-tools/conf.d/chatiere"'

customize_hook='set -e
cat > "$1/etc/initramfs-tools/modules" <<MODS
virtio_pci
virtio_blk
virtio_net
virtio_console
ext4
MODS
chroot "$1" update-initramfs -u -k all
echo chatiere > "$1/etc/hostname"
printf "nameserver 10.0.2.3\n" > "$1/etc/resolv.conf"
cat > "$1/etc/fstab" <<FSTAB
# Read-only root shared by the guests of a template; what changes lives in memory or on the data volume.
tmpfs /tmp     tmpfs nosuid,nodev,mode=1777 0 0
tmpfs /var/tmp tmpfs nosuid,nodev,mode=1777 0 0
tmpfs /var/log tmpfs nosuid,nodev,mode=0755 0 0
# nofail: the base boots without a data volume; services that need it say RequiresMountsFor=/srv/data.
# No short x-systemd.device-timeout: under TCG udev announces vdb seconds after boot (2 s was too short).
/dev/vdb /srv/data ext4 discard,nofail 0 2
FSTAB
mkdir -p "$1/srv/data"
mkdir -p "$1/etc/systemd/network" "$1/etc/systemd/journald.conf.d"
cat > "$1/etc/systemd/network/10-virtio.network" <<NET
[Match]
Name=en* eth*
[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
DNS=10.0.2.3
LinkLocalAddressing=no
IPv6AcceptRA=no
NET
printf "[Journal]\nStorage=volatile\nRuntimeMaxUse=8M\n" > "$1/etc/systemd/journald.conf.d/chatiere.conf"
chroot "$1" systemctl enable systemd-networkd.service
# No VGA console is used (console=ttyS0): only the serial getty is kept.
chroot "$1" systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service \
  getty-static.service getty@tty1.service 2>/dev/null || true
# A line on the console once multi-user is reached, to time boots from the host.
cat > "$1/etc/systemd/system/chatiere-ready.service" <<UNIT
[Unit]
Description=Tell the console the appliance is up
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c "echo CHATIERE-READY > /dev/ttyS0"
[Install]
WantedBy=multi-user.target
UNIT
chroot "$1" systemctl enable chatiere-ready.service
truncate -s0 "$1/etc/machine-id"
rm -rf "$1/var/cache/apt/"* "$1/var/lib/apt/lists/"*
'

start=$(date +%s)
mmdebstrap --mode=root --variant=minbase --include="$packages" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --setup-hook="$setup_hook" --customize-hook="$customize_hook" \
  bookworm "$root" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"
echo "build-image: root built in $(( $(date +%s) - start )) s" >&2

kver=$(basename "$(ls -d "$root"/lib/modules/*-cloud-amd64 | head -1)")
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img.tmp"
# The package versions the image took: what an image cache key would hash with the recipe.
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' > "$out/packages.txt.tmp"

# Not needed in the shared root: the kernel and initrd are booted from outside; udev's hardware
# database only names real hardware (virtio devices don't need it).
rm -rf "$root/boot/"* "$root/usr/lib/udev/hwdb.bin"

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
