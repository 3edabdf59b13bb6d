#!/usr/bin/env bash
# Starts virtlogd and libvirtd when they are not running (on machines without systemd as PID 1,
# as CI's), after the setup the QEMU driver needs. With systemd, starts libvirtd.service.
# Decides by their sockets, not by process names. Idempotent.
set -euo pipefail
if [ -S /run/libvirt/libvirt-sock ] && virsh -c qemu:///system version >/dev/null 2>&1; then
  exit 0
fi
if [ -d /run/systemd/system ]; then
  systemctl start libvirtd.service
  exit 0
fi
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -s /usr/sbin/nologin libvirt-qemu
getent group kvm >/dev/null || groupadd -r kvm
# Guests run as root here: no systemd to hand devices over to libvirt-qemu.
conf=/etc/libvirt/qemu.conf
grep -q '^user = "root"' "$conf" 2>/dev/null || echo 'user = "root"' >> "$conf"
grep -q '^group = "root"' "$conf" 2>/dev/null || echo 'group = "root"' >> "$conf"
mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt /run/libvirt
[ -S /run/libvirt/virtlogd-sock ] || virtlogd -d
libvirtd -d
for _ in $(seq 1 100); do
  virsh -c qemu:///system version >/dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "libvirtd.sh: libvirtd did not answer on qemu:///system; see /var/log/libvirt" >&2
exit 1
