#!/usr/bin/env bash
# The e2e tests: a real `chatiere serve` (its own SQLite file, libvirt's test driver, a loopback
# SMTP server) driven by Debian's Chromium through playwright-core. Installs the npm packages
# pinned in package-lock.json when missing. Screenshots go to ARTIFACTS (default: build/e2e-artifacts).
# Usage: tests/e2e/run.sh CHATIERE_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${1:?usage: run.sh CHATIERE_BINARY}
artifacts=${ARTIFACTS:-$src/build/e2e-artifacts}
mkdir -p "$artifacts"
[ -x /usr/bin/chromium ] || { echo "e2e: /usr/bin/chromium is missing (packaging/scripts/deps.sh test installs it)" >&2; exit 1; }
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp=$(mktemp -d /tmp/chatiere-e2e-XXXXXX)
daemon=
sink=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  [ -n "$sink" ] && kill "$sink" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
smtp_port=$(free_port)
mkdir -p "$tmp/mail"
python3 "$src/tests/support/smtp_sink.py" --port "$smtp_port" --dir "$tmp/mail" >"$tmp/smtp.log" 2>&1 &
sink=$!

mkdir -p "$tmp/images/website"
cat >"$tmp/chatiere.properties" <<CONF
db.path = $tmp/chatiere.db
data.dir = $tmp
web.dir = $src/web-admin
templates.dir = $src/templates
libvirt.uri = test:///default
libvirt.domain_type = qemu
http.port = $port
smtp.port = $smtp_port
smtp.tls = none
outbox.interval_seconds = 1
public.url = http://127.0.0.1:$port
ports.first = 22000
ports.last = 22099
CONF
printf 'correct horse battery\n' | "$bin" admin create --email admin@e2e.test --config "$tmp/chatiere.properties" >/dev/null
"$bin" serve --config "$tmp/chatiere.properties" >"$tmp/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || { cat "$tmp/daemon.log" >&2; exit 1; }
  sleep 0.1
done

status=0
CHATIERE_URL="http://127.0.0.1:$port" ADMIN_EMAIL=admin@e2e.test ADMIN_PASSWORD='correct horse battery' \
  ARTIFACTS="$artifacts" node --test --test-concurrency=1 "$here"/*.test.js || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- daemon log" >&2
  tail -50 "$tmp/daemon.log" >&2
fi
exit "$status"
