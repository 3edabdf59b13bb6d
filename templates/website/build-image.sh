#!/usr/bin/env bash
# Builds the `website` appliance: a Debian cloud kernel and a busybox initramfs whose init
# brings up virtio networking, mounts the site's data disk read-only (/dev/vda holds an ext4
# filesystem Chatière made with mkfs.ext4 -d; a disk written before that holds a tar archive,
# unpacked into memory as before) and serves it with busybox httpd on port 80.
# Usage: build-image.sh OUTPUT_DIR   → OUTPUT_DIR/vmlinuz, OUTPUT_DIR/initrd.img
# Uses only Debian packages, downloaded (apt-get download) and unpacked, never installed on the host;
# OUTPUT_DIR/packages.txt lists their versions (templates/build.sh checks them for updates).
set -euo pipefail
out=${1:?usage: build-image.sh OUTPUT_DIR}
# templates/build.sh hands over the package lists of its update check (bookworm, -updates, -security).
if [ -n "${CHATIERE_APT_CONFIG:-}" ]; then
  export APT_CONFIG=$CHATIERE_APT_CONFIG
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

find_kernel() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null \
    | sed -n 's/.*Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -1
}
kpkg=$(find_kernel)
if [ -z "$kpkg" ] && [ "$(id -u)" -eq 0 ]; then
  apt-get update -q >/dev/null   # a fresh machine may have no package lists yet
  kpkg=$(find_kernel)
fi
[ -n "$kpkg" ] || { echo "build-image: no linux-image-cloud-amd64 in apt's lists (run apt-get update)" >&2; exit 1; }
apt-get download -q "$kpkg" busybox-static >/dev/null
dpkg -x linux-image-*.deb kernel
dpkg -x busybox-static_*.deb busybox
kver=${kpkg#linux-image-}
cp "kernel/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"

root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,www,lib/modules}
cp busybox/bin/busybox "$root/bin/busybox"
for applet in sh mount umount mkdir cat echo ip ifconfig route udhcpc insmod httpd tar sleep ls \
              sync poweroff reboot date hostname grep sed head dd printf od tr; do
  ln -sf busybox "$root/bin/$applet"
done
moddir=kernel/lib/modules/$kver/kernel
# ext4, which mounts the site, is built into the cloud kernel (CONFIG_EXT4_FS=y, with jbd2, mbcache,
# crc16 and crc32c): only virtio comes as modules. Said here, so that a kernel that changes it stops
# the build rather than the guests.
grep -q '^CONFIG_EXT4_FS=y' "kernel/boot/config-$kver" \
  || { echo "build-image: $kpkg does not have ext4 built in (CONFIG_EXT4_FS=y)" >&2; exit 1; }
mods="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
      drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/core/failover
      drivers/net/net_failover drivers/net/virtio_net drivers/block/virtio_blk"
for m in $mods; do
  f=$(ls "$moddir/$m.ko"* 2>/dev/null | head -1) || true
  [ -n "$f" ] || continue   # built into this kernel
  case "$f" in
    *.xz) xz -dc "$f" > "$root/lib/modules/$(basename "$m").ko" ;;
    *) cp "$f" "$root/lib/modules/$(basename "$m").ko" ;;
  esac
done

cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
# The site: an ext4 filesystem on the data disk (Chatière makes it on the host), mounted read-only
# and served from disk; noload: nothing to replay, the guest never writes it. A disk written before
# that holds a tar archive at its start: unpacked into memory, as then. A welcome page if neither.
# A slow host may show the disk late, or fail a first read: waited for, and tried again, a while.
for _ in 1 2 3 4 5 6 7 8 9 10; do
  [ -b /dev/vda ] && break
  sleep 1
done
mounted=no
for _ in 1 2 3; do
  if [ -b /dev/vda ] && mount -t ext4 -o ro,noload,nodev,nosuid,noexec /dev/vda /www; then
    mounted=yes
    break
  fi
  # A volume written before holds a tar archive: no ext4 magic (0xEF53, 1080 bytes in), nothing to retry.
  [ "$(dd if=/dev/vda bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1 | tr -d ' ')" = 53ef ] || break
  sleep 1
done
if [ $mounted = yes ]; then
  echo "chatiere: site mounted read-only from /dev/vda"
elif [ -b /dev/vda ] && tar -xf /dev/vda -C /www 2>/dev/null && [ -n "$(ls /www)" ]; then
  echo "chatiere: site unpacked from /dev/vda"
else
  echo "<!doctype html><title>Chatière</title><p>Bienvenue !</p>" > /www/index.html
fi
echo "chatiere: serving on port 80"
httpd -f -p 80 -h /www &
while true; do sleep 3600; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initrd.img.tmp"
# The versions taken, and the kernel's metapackage: a new kernel ABI is a new package name.
{
  for deb in linux-image-*.deb busybox-static_*.deb; do
    echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
  done
  apt-cache show --no-all-versions linux-image-cloud-amd64 | sed -n 's/^Version: /linux-image-cloud-amd64 /p'
} > "$out/packages.txt"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "build-image: $out/vmlinuz ($kver), $out/initrd.img"
