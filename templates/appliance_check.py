"""What the image checks of the Debian appliances share (editor/check-image.py, mail/check-image.py):
plain QEMU as the host runs a guest, its agent and QMP sockets, and the measures they print.
Imported by path (the checks put this folder on sys.path); no dependency beyond Python's own."""
import base64
import json
import os
import random
import re
import socket
import subprocess
import time


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def check(ok, what):
    """Prints the check; the first failure ends the run with status 1."""
    log(("ok   " if ok else "FAIL ") + what)
    if not ok:
        raise SystemExit(1)


class Agent:
    """A QEMU guest agent client that keeps its connection (QEMU drops half-closed clients)."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                self.s.settimeout(3)
                self.f = self.s.makefile("rwb")
                self.sync()
                return
            except (OSError, ValueError):
                self.s.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def sync(self):
        sid = random.randint(1, 1 << 30)
        self.send({"execute": "guest-sync", "arguments": {"id": sid}})
        while True:
            line = self.f.readline()
            if not line:
                raise OSError("agent closed")
            if json.loads(line).get("return") == sid:
                return

    def send(self, cmd):
        self.f.write((json.dumps(cmd) + "\n").encode())
        self.f.flush()

    def call(self, name, **args):
        self.send({"execute": name, "arguments": args} if args else {"execute": name})
        return json.loads(self.f.readline())

    def write_file(self, path, data):
        r = self.call("guest-file-open", path=path, mode="w")
        if "error" in r:
            return r
        h = r["return"]
        w = self.call("guest-file-write", handle=h, **{"buf-b64": base64.b64encode(data).decode()})
        self.call("guest-file-close", handle=h)
        return w


def qmp(path, *cmds):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rwb")
    f.readline()
    out = []
    for c in ({"execute": "qmp_capabilities"},) + cmds:
        f.write((json.dumps(c) + "\n").encode())
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" not in r:
                break
        out.append(r)
    s.close()
    return out[1:]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) // 1024


def console(work):
    with open(f"{work}/console.log", errors="replace") as f:
        return f.read()


def wait_console(work, pattern, t0, deadline, start=0):
    """Seconds from t0 until pattern shows on the console (after offset start), or None."""
    while time.time() < deadline:
        if re.search(pattern, console(work)[start:]):
            return time.time() - t0
        time.sleep(0.3)
    return None


def dumpe2fs(image):
    out = subprocess.run(["dumpe2fs", "-h", image], capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def qemu_command(img, work, netdev, mem, tb):
    """QEMU as the host runs a Debian appliance: direct boot, the shared root read-only, the data
    volume WORK/data.img, the agent (WORK/qga.sock), QMP (WORK/qmp.sock) and the balloon.
    Env: APPEND (more kernel arguments), ACCEL (tcg, with tb-size=TB unless TB is 0)."""
    for s in ("qga.sock", "qmp.sock"):
        if os.path.exists(f"{work}/{s}"):
            os.unlink(f"{work}/{s}")
    accel = "tcg" if tb == "0" else f"tcg,tb-size={tb}"
    return ["qemu-system-x86_64", "-machine", "q35", "-accel", os.environ.get("ACCEL", accel),
            "-smp", "1", "-m", mem, "-nographic", "-no-reboot",
            "-kernel", f"{img}/vmlinuz", "-initrd", f"{img}/initrd.img",
            "-append", "root=/dev/vda ro console=ttyS0 quiet " + os.environ.get("APPEND", ""),
            "-drive", f"file={img}/root.img,if=virtio,format=raw,readonly=on",
            "-drive", f"file={work}/data.img,if=virtio,format=raw,discard=unmap",
            "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,addr=0x9",
            "-chardev", f"socket,path={work}/qga.sock,server=on,wait=off,id=qga0",
            "-device", "virtio-serial", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-device", "virtio-balloon-pci,id=balloon0",
            "-qmp", f"unix:{work}/qmp.sock,server=on,wait=off"]


def measure_rest(work, qemu, n):
    """Prints QEMU's RSS and the guest's memory from the balloon's statistics."""
    qmp(f"{work}/qmp.sock",
        {"execute": "qom-set", "arguments": {"path": "/machine/peripheral/balloon0",
                                             "property": "guest-stats-polling-interval", "value": 2}})
    time.sleep(5)
    r = qmp(f"{work}/qmp.sock", {"execute": "qom-get", "arguments": {"path": "/machine/peripheral/balloon0",
                                                                     "property": "guest-stats"}})
    stats = r[0].get("return", {}).get("stats", {})
    total, avail = stats.get("stat-total-memory", 0), stats.get("stat-available-memory", 0)
    log(f"boot {n}: at rest: QEMU RSS {rss_mib(qemu.pid)} MiB; guest memory total {total >> 20} MiB, "
        f"available {avail >> 20} MiB, used {(total - avail) >> 20} MiB")


def clean_stop(work, agent, qemu, n, timeout):
    """The host's clean stop, guest-shutdown through the agent (no reply on success): QEMU must exit
    (systemd stops the application, unmounts the data volume, powers off) and the volume be clean."""
    t1 = time.time()
    agent.send({"execute": "guest-shutdown"})
    try:
        qemu.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    check(qemu.poll() is not None, "guest-shutdown powers the guest off")
    log(f"boot {n}: guest-shutdown → QEMU gone in {time.time() - t1:.1f} s")
    fs = dumpe2fs(f"{work}/data.img")
    check("needs_recovery" not in fs.get("Filesystem features", ""),
          f"the data volume was unmounted cleanly, its journal empty ({fs.get('Filesystem features')})")


def start(work, cmd, n, config):
    """Starts QEMU (its console in WORK/console.log), waits for the agent, writes the configuration
    (a dict) through it as the host does, and waits for CHATIERE-READY; returns (qemu, agent, t0)."""
    t0 = time.time()
    out = open(f"{work}/console.log", "w")
    qemu = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log(f"boot {n}: QEMU pid {qemu.pid}")
    agent = Agent(f"{work}/qga.sock", t0 + 300)
    log(f"boot {n}: guest agent answers after {time.time() - t0:.1f} s")
    w = agent.write_file("/run/chatiere/config.json", json.dumps(config, ensure_ascii=False).encode())
    check("return" in w, f"boot {n}: configuration written through the agent ({w})")
    up = wait_console(work, "CHATIERE-READY", t0, t0 + 300)
    log(f"boot {n}: CHATIERE-READY (multi-user) after {up:.1f} s" if up else f"boot {n}: no CHATIERE-READY on the console")
    return qemu, agent, t0
