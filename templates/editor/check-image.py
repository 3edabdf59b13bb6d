#!/usr/bin/env python3
"""Checks an editor image for real with plain QEMU (no libvirt, no Chatière), as the host will use it.

Usage: check-image.py IMAGE_DIR WORK_DIR   (IMAGE_DIR: what build-image.sh made)
Env: APPEND (more kernel arguments; e.g. systemd.journald.forward_to_console=1 shows the guest's
     journal, Etherpad's log included, in WORK_DIR/console.log), MEM (MiB, 512), TB (TCG translation cache MiB, 64; 0 = QEMU's default), PORT (host port, 19001),
     DISK (data volume size, 1G), ACCEL (tcg).

Boots the image on a blank sparse data volume with a guest agent socket and a QMP socket, writes
/run/chatiere/config.json through the agent (guest-sync, guest-file-open/write/close), checks that
the agent refuses guest-exec and guest-file-read, waits for Etherpad on the forwarded port, creates
a pad through the API with a French text, reads it back, checks that a pad name typed by hand is
not created (a socket.io CLIENT_READY on it is denied, while one on the created pad is granted),
times the pad page's scripts, then kills QEMU (a destroy) and boots again on the same volume: the
pad must still be there; then stops the guest through the agent's guest-shutdown (what Chatière
asks of it): QEMU must exit, Etherpad close its database and the data volume be left clean. Prints the measures (boot, Etherpad, memory, disk) as it goes; exits 1 at
the first failure. Takes ~6 minutes under TCG.
"""
import json
import os
import random
import re
import string
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from appliance_check import check, clean_stop, dumpe2fs, log, measure_rest, qemu_command, start, wait_console  # noqa: E402

img, work = sys.argv[1], sys.argv[2]
MEM = os.environ.get("MEM", "512")
TB = os.environ.get("TB", "64")
PORT = int(os.environ.get("PORT", "19001"))
DISK = os.environ.get("DISK", "1G")
BASE = f"http://127.0.0.1:{PORT}"
API_KEY = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(40))
CONFIG = {"association_name": "Les Amis du Fablab d'Évry", "service_name": "Nos pads",
          "service_id": "42", "api_key": API_KEY}
TEXT = "Compte rendu de la réunion : café, crème brûlée, « guillemets » et œufs à 3 €.\nÀ bientôt !\n"
PAD = "reunion-2026"
def http(path, data=None, headers=None, timeout=60):
    req = urllib.request.Request(BASE + path, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read(), dict(r.headers)


def api(fn, **params):
    params["apikey"] = API_KEY
    body = urllib.parse.urlencode(params).encode()
    _, out, _ = http(f"/api/1.2.15/{fn}", data=body)
    return json.loads(out)


def client_ready(pad):
    """Etherpad's socket.io 2 (engine.io 3, XHR polling) handshake and a CLIENT_READY for pad;
    returns the first answer Etherpad sends to it (CLIENT_VARS, or {"accessStatus": "deny"})."""
    q = f"/socket.io/?EIO=3&transport=polling&b64=1&t={random.randint(0, 1 << 30)}"
    _, hs, _ = http(q)
    sid = json.loads(hs.decode()[hs.decode().index("{"):].split("}", 1)[0] + "}")["sid"]
    msg = {"component": "pad", "type": "CLIENT_READY", "padId": pad, "sessionID": None,
           "password": None, "token": "t." + "".join(random.choice(string.ascii_lowercase) for _ in range(20)),
           "protocolVersion": 2}
    pkt = "42" + json.dumps(["message", msg])
    http(f"{q}&sid={sid}", data=f"{len(pkt)}:{pkt}".encode(), headers={"Content-Type": "text/plain;charset=UTF-8"})
    deadline = time.time() + 60
    while time.time() < deadline:
        _, body, _ = http(f"{q}&sid={sid}")
        for m in re.finditer(r'42(\["message",.*?\])(?=\d+:|$)', body.decode()):
            try:
                return json.loads(m.group(1))[1]
            except ValueError:
                continue
    return None


def boot(n):
    cmd = qemu_command(img, work, f"user,id=n0,hostfwd=tcp:127.0.0.1:{PORT}-:9001", MEM, TB)
    return start(work, cmd, n, CONFIG)


def wait_etherpad(t0, n):
    deadline = t0 + 400
    while time.time() < deadline:
        try:
            status, _, _ = http("/", timeout=5)
            if status == 200:
                log(f"boot {n}: Etherpad answers after {time.time() - t0:.1f} s")
                return
        except OSError:
            pass
        time.sleep(1)
    check(False, f"boot {n}: Etherpad answers on 127.0.0.1:{PORT}")


def pad_scripts():
    """Fetches the pad page's scripts as a browser does (gzip); returns (total seconds, bytes)."""
    _, page, _ = http("/p/" + PAD)
    urls = [u.replace("&amp;", "&") for u in re.findall(r'<script[^>]*src="\.\./([^"]+)"', page.decode())]
    v = re.search(r"require-kernel\.js\?v=(\w+)", page.decode()).group(1)
    urls.append(f"javascripts/lib/ep_etherpad-lite/static/js/ace2_inner.js?callback=require.define&v={v}")
    start, size = time.time(), 0
    for u in urls:
        _, body, _ = http("/" + u, headers={"Accept-Encoding": "gzip"}, timeout=120)
        size += len(body)
    return time.time() - start, size


def main():
    os.makedirs(work, exist_ok=True)
    if os.path.exists(f"{work}/data.img"):
        os.unlink(f"{work}/data.img")
    subprocess.run(["truncate", "-s", DISK, f"{work}/data.img"], check=True)
    log(f"image: {img}; root.img {os.path.getsize(img + '/root.img') >> 20} MiB apparent, "
        f"{os.stat(img + '/root.img').st_blocks * 512 >> 20} MiB allocated; blank data volume {DISK}")

    qemu, agent, t0 = boot(1)
    try:
        for rpc, args in (("guest-exec", {"path": "/bin/true"}), ("guest-file-read", {"handle": 1}),
                          ("guest-set-user-password", {"username": "root", "password": "eA==", "crypted": False})):
            r = agent.call(rpc, **args)
            check("error" in r and "disabled" in json.dumps(r).lower(), f"the agent refuses {rpc} ({r})")
        check("return" in agent.call("guest-ping"), "the agent answers guest-ping")
        wait_etherpad(t0, 1)
        warm = wait_console(work, "etherpad-warm: pad scripts ready", t0, t0 + 400)
        log(f"boot 1: pad scripts minified (etherpad-warm done) after {warm:.1f} s" if warm else
            "boot 1: etherpad-warm did not report")
        _, root_page, _ = http("/")
        check(b"Pads de Les Amis du Fablab" in root_page or b"Amis du Fablab" in root_page,
              "the home page names the association")
        _, body, _ = http("/api/")
        check(b"1.2.15" in body, f"API version ({body.decode().strip()})")
        r = api("createPad", padID=PAD, text=TEXT)
        check(r.get("code") == 0, f"createPad with the key ({r})")
        r = api("getText", padID=PAD)
        # createPad splices the text in before the pad's final "\n": a text ending in "\n" comes
        # back with one more.
        check(r.get("code") == 0 and r["data"]["text"] == TEXT + "\n",
              f"getText returns the French text (sent by POST) unchanged, plus Etherpad's final newline ({r!r})")
        try:
            http("/api/1.2.15/getText?apikey=wrong&padID=" + PAD)
            check(False, "a wrong API key is refused")
        except urllib.error.HTTPError as e:
            bad = json.loads(e.read())
            check(e.code == 401 and bad.get("code") == 4, f"a wrong API key is refused (HTTP {e.code}, {bad})")
        r = api("createPad", padID="defaut")
        check(r.get("code") == 0 and "Bienvenue" in api("getText", padID="defaut")["data"]["text"]
              and "Fablab d'Évry" in api("getText", padID="defaut")["data"]["text"],
              "a pad without text gets the French default text naming the association")
        check(client_ready(PAD).get("type") == "CLIENT_VARS", "a browser joining the created pad is let in")
        typed = "tape-a-la-main"
        check(client_ready(typed) == {"accessStatus": "deny"}, "a pad name typed by hand is denied (editOnly)")
        r = api("getText", padID=typed)
        check(r.get("code") == 1, f"... and no pad was created ({r})")
        secs, size = pad_scripts()
        log(f"boot 1: the pad page's scripts: {size >> 10} KiB (gzip) in {secs:.2f} s")
        check(secs < 20, "the pad page's scripts come from the warm cache")
        try:
            http("/admin/", timeout=10)
            check(False, "/admin is off")
        except urllib.error.HTTPError as e:
            check(e.code in (401, 403, 404), f"/admin is off ({e.code})")
        time.sleep(20)
        measure_rest(work, qemu, 1)
        r = agent.call("guest-fstrim")
        check("return" in r, "guest-fstrim works")
        data = os.stat(f"{work}/data.img")
        log(f"data volume after boot 1: {data.st_size >> 20} MiB apparent, {data.st_blocks * 512 >> 20} MiB allocated")
        time.sleep(3)  # ueberDB writes its buffer every 100 ms; sqlite then has it
    finally:
        qemu.kill()
        qemu.wait()
    fs = dumpe2fs(f"{work}/data.img")
    check(fs.get("Filesystem volume name") == "chatiere-data", f"the guest made the data volume ext4, label {fs.get('Filesystem volume name')}")
    size = os.path.getsize(f"{work}/data.img")
    os.truncate(f"{work}/data.img", size * 3 // 2)
    log("QEMU killed (a destroy); booting again on the same data volume, grown by half (as a resize does)")

    qemu, agent, t0 = boot(2)
    try:
        wait_etherpad(t0, 2)
        r = api("getText", padID=PAD)
        check(r.get("code") == 0 and r["data"]["text"] == TEXT + "\n", "after the restart the pad's text is still there")
        with open(f"{work}/console.log", errors="replace") as f:
            c = f.read()
        check("configuration unchanged" in c, "the unchanged configuration did not restart Etherpad")
        # The host's clean stop: systemd stops Etherpad (SIGTERM: it closes its database) and
        # unmounts the data volume before the power goes off. No reply on success.
        clean_stop(work, agent, qemu, 2, 90)
    finally:
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
    fs = dumpe2fs(f"{work}/data.img")
    fs_bytes = int(fs["Block count"]) * int(fs["Block size"])
    check(fs_bytes == os.path.getsize(f"{work}/data.img"),
          f"the guest grew the filesystem to the volume ({fs_bytes >> 20} MiB)")
    log("all checks passed")


if __name__ == "__main__":
    main()
