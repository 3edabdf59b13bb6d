#!/usr/bin/python3
"""A mail client for the system tests: sends over SMTP, reads over IMAP (Python's smtplib and imaplib).

  send --port N --to ADDR [--from ADDR] [--subject S] [--body B] [--size BYTES]
       [--user U --password-file F] [--starttls]
      prints one JSON object: {"accepted": bool, "code": N, "message": "..."} (the server's answer to
      the first refused command: RCPT or DATA), exit 0 either way; exit 2 when the server cannot be
      reached or greets with an error
  fetch --port N --user U --password-file F
      prints {"login": "ok"|"refused", "message": "...", "messages": [{"subject", "from", "to",
      "body", "size", "dkim_signature": bool, "raw_path"}]} (INBOX, in order; the subject and
      text body decoded); with --save DIR each raw message is written there (for DKIM checks)
"""
import argparse
import base64
import email
import email.policy
import imaplib
import json
import smtplib
import socket
import ssl
import sys
from email.message import EmailMessage


def password(path):
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\r\n")


def send(args):
    msg = EmailMessage()
    msg["From"] = args.sender
    msg["To"] = args.to
    msg["Subject"] = args.subject
    body = args.body
    if args.size:
        line = "Ceci est une ligne de remplissage pour le quota, avec des accents : é à ç ù.\n"
        body += "\n" + line * (args.size // len(line.encode("utf-8")) + 1)
    msg.set_content(body)
    try:
        with smtplib.SMTP("127.0.0.1", args.port, timeout=60) as smtp:
            smtp.ehlo("client.test")
            if args.starttls:
                smtp.starttls(context=ssl._create_unverified_context())
                smtp.ehlo("client.test")
            if args.user:
                # AUTH PLAIN in UTF-8 (smtplib's login() encodes as ASCII: no accented password).
                plain = ("\0%s\0%s" % (args.user, password(args.password_file))).encode("utf-8")
                code, message = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(plain).decode())
                if code != 235:
                    return {"accepted": False, "code": code, "message": message.decode(errors="replace")}
            try:
                refused = smtp.send_message(msg, from_addr=args.sender, to_addrs=[args.to])
            except smtplib.SMTPRecipientsRefused as e:
                code, message = list(e.recipients.values())[0]
                return {"accepted": False, "code": code, "message": message.decode(errors="replace")}
            except smtplib.SMTPSenderRefused as e:
                return {"accepted": False, "code": e.smtp_code, "message": e.smtp_error.decode(errors="replace")}
            except smtplib.SMTPDataError as e:
                return {"accepted": False, "code": e.smtp_code, "message": e.smtp_error.decode(errors="replace")}
            if refused:
                code, message = list(refused.values())[0]
                return {"accepted": False, "code": code, "message": message.decode(errors="replace")}
            return {"accepted": True, "code": 250, "message": ""}
    except smtplib.SMTPAuthenticationError as e:
        return {"accepted": False, "code": e.smtp_code, "message": e.smtp_error.decode(errors="replace")}
    except (OSError, smtplib.SMTPException) as e:
        print(json.dumps({"accepted": False, "code": 0, "message": str(e)}))
        sys.exit(2)


def text_of(message):
    part = message.get_body(preferencelist=("plain",))
    # Line ends as Python writes them: the message's CRLF are the wire's.
    return part.get_content().replace("\r\n", "\n") if part is not None else ""


def fetch(args):
    try:
        return read_inbox(args)
    except (OSError, imaplib.IMAP4.abort) as e:
        # Nothing behind the port, or a guest going down (QEMU accepts, then closes).
        print(json.dumps({"login": "unreachable", "message": str(e), "messages": []}))
        sys.exit(2)


def read_inbox(args):
    imap = imaplib.IMAP4("127.0.0.1", args.port, timeout=60)
    try:
        # AUTHENTICATE PLAIN in UTF-8 (imaplib's LOGIN encodes as ASCII: no accented password).
        secret = password(args.password_file)
        imap.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (args.user, secret)).encode("utf-8"))
    except imaplib.IMAP4.abort:
        raise  # the connection went away: unreachable, not refused
    except imaplib.IMAP4.error as e:
        return {"login": "refused", "message": str(e), "messages": []}
    out = []
    status, data = imap.select("INBOX", readonly=True)
    count = int(data[0]) if status == "OK" else 0
    for n in range(1, count + 1):
        status, parts = imap.fetch(str(n), "(RFC822)")
        raw = parts[0][1]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        entry = {"subject": str(message["Subject"] or ""), "from": str(message["From"] or ""),
                 "to": str(message["To"] or ""), "body": text_of(message), "size": len(raw),
                 "dkim_signature": message["DKIM-Signature"] is not None}
        if args.save:
            path = "%s/%06d.eml" % (args.save, n)
            with open(path, "wb") as f:
                f.write(raw)
            entry["raw_path"] = path
        out.append(entry)
    imap.logout()
    return {"login": "ok", "message": "", "messages": out}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("send")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--from", dest="sender", default="expediteur@dehors.test")
    s.add_argument("--subject", default="Bonjour")
    s.add_argument("--body", default="Bonjour !")
    s.add_argument("--size", type=int, default=0)
    s.add_argument("--user")
    s.add_argument("--password-file")
    s.add_argument("--starttls", action="store_true")
    f = sub.add_parser("fetch")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--user", required=True)
    f.add_argument("--password-file", required=True)
    f.add_argument("--save")
    args = parser.parse_args()
    result = send(args) if args.command == "send" else fetch(args)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
