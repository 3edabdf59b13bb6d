#!/usr/bin/env bash
# Starts virtlogd and libvirtd when they are not running (on machines without systemd as PID 1,
# as CI's), after the setup the QEMU driver needs. With systemd, starts libvirtd.service.
# Decides by whether something answers on their sockets, not by process names nor by the socket
# files alone: a daemon killed without cleaning up leaves its socket file behind. Idempotent.
set -euo pipefail
logd_sock=/run/libvirt/virtlogd-sock

# Exit status 0 when a process accepts connections on the unix socket $1.
answers() {
  [ -S "$1" ] && python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])' "$1" 2>/dev/null
}
libvirtd_answers() { virsh -c qemu:///system version >/dev/null 2>&1; }
# Waits up to 10 s for the check "$@" to pass.
wait_for() {
  for _ in $(seq 1 100); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

if answers "$logd_sock" && libvirtd_answers; then
  exit 0
fi
if [ -d /run/systemd/system ]; then
  systemctl start virtlogd.socket libvirtd.service
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
if ! answers "$logd_sock"; then
  rm -f "$logd_sock" /run/libvirt/virtlogd-admin-sock  # left by a virtlogd that was killed
  virtlogd -d
  wait_for answers "$logd_sock" || {
    echo "libvirtd.sh: virtlogd did not answer on $logd_sock; see /var/log/libvirt" >&2
    exit 1
  }
fi
if ! libvirtd_answers; then
  libvirtd -d
  wait_for libvirtd_answers || {
    echo "libvirtd.sh: libvirtd did not answer on qemu:///system; see /var/log/libvirt" >&2
    exit 1
  }
fi
