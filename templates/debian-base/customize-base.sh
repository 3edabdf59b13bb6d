#!/usr/bin/env bash
# mmdebstrap's customize hook for the Debian appliance base (build-image.sh): run on the host as
# `customize-base.sh ROOT_DIR` once the packages are installed. Copies rootfs/ (units, scripts,
# network and journal settings) over the root and wires it up.
set -euo pipefail
r=${1:?usage: customize-base.sh ROOT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cp -a --no-preserve=ownership "$here/rootfs/." "$r/"

cat > "$r/etc/initramfs-tools/modules" <<MODS
virtio_pci
virtio_blk
virtio_net
virtio_console
ext4
MODS
chroot "$r" update-initramfs -u -k all
echo chatiere > "$r/etc/hostname"
printf "nameserver 10.0.2.3\n" > "$r/etc/resolv.conf"
cat > "$r/etc/fstab" <<FSTAB
# Read-only root shared by the guests of a template; what changes lives in memory or on the data volume.
tmpfs /tmp     tmpfs nosuid,nodev,mode=1777 0 0
tmpfs /var/tmp tmpfs nosuid,nodev,mode=1777 0 0
tmpfs /var/log tmpfs nosuid,nodev,mode=0755 0 0
# The service's data volume: formatted (when blank) and checked by chatiere-data-format.service before
# it is mounted, grown by chatiere-data-grow.service after. nofail: the base boots without one;
# services that need it say RequiresMountsFor=/srv/data. No short x-systemd.device-timeout: under
# TCG udev announces vdb seconds after boot.
/dev/vdb /srv/data ext4 discard,nofail,nodev,nosuid,x-systemd.requires=chatiere-data-format.service 0 0
FSTAB
mkdir -p "$r/srv/data"

# The guest agent answers only what the host uses (docs/appliances.md): Debian 12's qemu-ga 7.2
# has --block-rpcs (no allow list yet, that came with QEMU 8.0), so every other RPC it knows is
# blocked — the list is taken from this very binary, so a new RPC in an update is blocked too.
# guest-shutdown is the host's clean stop (libvirt's agent mode): the minimal system has no logind,
# so an ACPI power button does nothing and a stop would otherwise wait its timeout and be forced.
allowed='guest-sync guest-sync-delimited guest-ping guest-info guest-file-open guest-file-write guest-file-close guest-fstrim guest-shutdown'
all=$(chroot "$r" /usr/sbin/qemu-ga --block-rpcs='?' 2>&1 | tr -s ' \n' '\n\n' | grep '^guest-' | sort -u)
[ -n "$all" ] || { echo "customize-base: cannot list qemu-ga's RPCs" >&2; exit 1; }
blocked=$(for c in $all; do case " $allowed " in *" $c "*) ;; *) echo "$c" ;; esac; done | paste -sd, -)
mkdir -p "$r/etc/systemd/system/qemu-guest-agent.service.d"
cat > "$r/etc/systemd/system/qemu-guest-agent.service.d/chatiere.conf" <<UNIT
# Chatière: only $allowed.
[Service]
ExecStart=
ExecStart=-/usr/sbin/qemu-ga --block-rpcs=$blocked
UNIT

# qemu-ga's guest-shutdown runs `/sbin/shutdown -h -P +0 "hypervisor initiated shutdown"`; systemd's
# shutdown hands a timed request ("+0" is one) to logind, which this system does not run (no D-Bus),
# and fails: qemu-ga answers "child process has failed to shutdown" (checked). The wrapper starts
# the target in systemd directly, as systemctl does when logind is not there: units stopped (the
# application first), file systems unmounted, then the power off. Anything else goes to systemd's.
chroot "$r" dpkg-divert --quiet --local --rename --divert /sbin/shutdown.systemd --add /sbin/shutdown
rm -f "$r/sbin/shutdown"
cat > "$r/sbin/shutdown" <<'SHUTDOWN'
#!/bin/sh
# Chatière (templates/debian-base/customize-base.sh): qemu-ga's guest-shutdown without logind.
case " $* " in
  *" -c "* | *" -k "* | *" --show "*) exec /sbin/shutdown.systemd "$@" ;;
  *" -r "*) target=reboot.target ;;
  *" -H "*) target=halt.target ;;
  *) target=poweroff.target ;;
esac
exec /bin/systemctl start --no-block --job-mode=replace-irreversibly "$target"
SHUTDOWN
chmod 0755 "$r/sbin/shutdown"

chroot "$r" systemctl enable systemd-networkd.service chatiere-config.path chatiere-data-grow.service \
  chatiere-ready.service
chroot "$r" systemctl add-wants multi-user.target chatiere-app.target
# No VGA console is used (console=ttyS0): only the serial getty is kept.
chroot "$r" systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service \
  getty-static.service getty@tty1.service 2>/dev/null || true
truncate -s0 "$r/etc/machine-id"
