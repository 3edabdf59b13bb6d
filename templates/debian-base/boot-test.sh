#!/usr/bin/env bash
# Boots an image made by build-image.sh (the base; templates/editor/check-image.py checks the editor) with plain QEMU (no libvirt), TCG, and
# reports the time to multi-user (the console's CHATIERE-READY line) and to the guest agent's first
# answer, and QEMU's RSS at rest. Usage: boot-test.sh IMAGE_DIR WORK_DIR [extra qemu args...]
# Env: APPEND (more kernel arguments, e.g. quiet), MEM (MiB, 512), TB (TCG translation-cache MiB, QEMU's default if unset), DATA (a data volume to attach as vdb).
set -euo pipefail
img=${1:?usage: boot-test.sh IMAGE_DIR WORK_DIR}; w=${2:?}; shift 2
mkdir -p "$w"; rm -f "$w/qga.sock" "$w/console.log"
accel=tcg; [ -n "${TB:-}" ] && accel="tcg,tb-size=$TB"
data=(); [ -n "${DATA:-}" ] && data=(-drive "file=$DATA,if=virtio,format=raw,discard=unmap")
t0=$(date +%s.%N)
qemu-system-x86_64 -machine q35 -accel "$accel" -smp 1 -m "${MEM:-512}" -nographic -no-reboot \
  -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "root=/dev/vda ro console=ttyS0 ${APPEND:-}" \
  -drive "file=$img/root.img,if=virtio,format=raw,readonly=on" "${data[@]}" \
  -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
  -chardev "socket,path=$w/qga.sock,server=on,wait=off,id=qga0" \
  -device virtio-serial -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
  "$@" > "$w/console.log" 2>&1 &
echo $! > "$w/qemu.pid"
since() { echo "$(date +%s.%N) - $t0" | bc; }
ready=; for _ in $(seq 1 600); do grep -q CHATIERE-READY "$w/console.log" && { ready=$(since); break; }; sleep 0.2; done
echo "multi-user (console line) after ${ready:-never} s"
# The agent: a persistent connection (a client that half-closes its socket, like `socat -` at EOF,
# is disconnected by QEMU before the answer), guest-sync to flush stale answers, then guest-ping.
python3 - "$w/qga.sock" "$t0" <<'PY'
import json, socket, sys, time, random
t0 = float(sys.argv[2])
while True:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(2); f = s.makefile("rwb")
        sid = random.randint(1, 1 << 30)
        f.write((json.dumps({"execute": "guest-sync", "arguments": {"id": sid}}) + "\n").encode()); f.flush()
        while json.loads(f.readline()).get("return") != sid: pass
        f.write(b'{"execute":"guest-ping"}\n'); f.flush()
        print("guest-ping answered", f.readline().decode().strip(), "after %.1f s" % (time.time() - t0)); break
    except (OSError, ValueError):
        time.sleep(0.2)
        if time.time() - t0 > 300: print("guest agent: no answer in 300 s"); sys.exit(1)
PY
sleep 20
echo "QEMU RSS at rest (20 s after the agent answered): $(( $(ps -o rss= -p "$(cat "$w/qemu.pid")") / 1024 )) MiB"
echo "QEMU pid $(cat "$w/qemu.pid"); console: $w/console.log; agent: $w/qga.sock"
