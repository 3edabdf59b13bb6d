#!/usr/bin/python3
"""A real SMTP server on loopback for tests and the demo (Debian's python3-aiosmtpd).

Writes each message it accepts as DIR/NNNNNN.eml and, decoded, DIR/NNNNNN.json (atomic renames);
prints "PORT <n>" once ready.
  --port N        port on 127.0.0.1 (0: a free one)
  --dir DIR       where messages go
  --refuse CODE   answer every DATA with CODE (e.g. 451 temporary, 550 permanent) instead
  --watch-stdin   stop when standard input closes (tests: the sink dies with its test)
"""
import argparse
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.lock = threading.Lock()
        self.count = len([f for f in os.listdir(directory) if f.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return f"{self.refuse} refused by the test sink"
        with self.lock:
            self.count += 1
            name = os.path.join(self.directory, f"{self.count:06d}.eml")
        raw = envelope.original_content or envelope.content
        tmp = name + ".tmp"
        with open(tmp, "wb") as out:
            out.write(raw)
        os.rename(tmp, name)
        # Beside it, the decoded message as JSON, for tests in any language.
        message = email.message_from_bytes(raw, policy=email.policy.default)
        decoded = {
            "envelope_from": envelope.mail_from,
            "envelope_to": envelope.rcpt_tos,
            "from": str(message["From"] or ""),
            "to": str(message["To"] or ""),
            "subject": str(message["Subject"] or ""),
            "message_id": str(message["Message-ID"] or ""),
            "body": message.get_content() if not message.is_multipart() else "",
        }
        tmp = name[:-4] + ".json.tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(decoded, out, ensure_ascii=False)
        os.rename(tmp, name[:-4] + ".json")
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse", default="")
    parser.add_argument("--watch-stdin", action="store_true", help="stop when standard input closes")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    port = args.port or free_port()
    controller = Controller(Sink(args.dir, args.refuse), hostname="127.0.0.1", port=port,
                            decode_data=False, enable_SMTPUTF8=True)
    controller.start()
    print(f"PORT {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.watch_stdin:  # stop when the test process that started us dies and its pipe closes
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
