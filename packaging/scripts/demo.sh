#!/usr/bin/env bash
# The README's main-job command: installs what is missing, starts libvirtd if needed, builds, and
# runs the daemon with its SQLite database and a demo: an admin, a plan, an approved demo
# association with its manager, and its website as a real QEMU guest (the appliance images are built
# first, outside the daemon, by `chatiere templates build`: a no-op when they are current). Prints the URLs and the accounts, then keeps the daemon in the foreground until Ctrl-C.
# Usage (as root on Debian 12): bash packaging/scripts/demo.sh
# Settings: CHATIERE_DEMO_DIR (default /var/lib/chatiere-demo), CHATIERE_DEMO_PORT (default 8470),
# CHATIERE_DEMO_HTTPS_PORT (default 8443) and CHATIERE_DEMO_HTTP_PORT (default 8480): the proxy's
# (Chatière's own nginx, self-signed: a demo has no public name, so no certificate from ACME).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=${CHATIERE_DEMO_DIR:-/var/lib/chatiere-demo}
port=${CHATIERE_DEMO_PORT:-8470}
https_port=${CHATIERE_DEMO_HTTPS_PORT:-8443}
http_port=${CHATIERE_DEMO_HTTP_PORT:-8480}
cd "$src"

bash packaging/scripts/deps.sh run
bash packaging/scripts/libvirtd.sh
cmake --preset default >/dev/null
cmake --build --preset default --target chatiere
bin="$src/build/manager/chatiere"
py=/usr/bin/python3

mkdir -p "$dir/mail"
conf="$dir/chatiere.properties"
if [ ! -f "$dir/smtp.port" ]; then
  echo 2525 > "$dir/smtp.port"
fi
smtp_port=$(cat "$dir/smtp.port")
cat > "$conf" <<CONF
# Written by packaging/scripts/demo.sh
http.address = 127.0.0.1
http.port = $port
db.path = $dir/chatiere.db
data.dir = $dir
web.dir = $src/web-admin
templates.dir = $src/templates
# QEMU guests without KVM: nested virtualisation is not available everywhere. Use kvm on a real host.
libvirt.domain_type = qemu
libvirt.pool = chatiere-demo
public.url = http://127.0.0.1:$port
smtp.host = 127.0.0.1
smtp.port = $smtp_port
smtp.tls = none
mail.from = Chatière démo <chatiere@localhost>
outbox.interval_seconds = 5
# The public addresses: the services at <service>.<association>.demo.test behind Chatière's own
# nginx on 127.0.0.1, self-signed (no ACME: these names are not public).
public.domain = demo.test
proxy.mode = own
proxy.address = 127.0.0.1
proxy.http_port = $http_port
proxy.https_port = $https_port
proxy.interval_seconds = 5
acme.directory_url =
CONF
# nginx's workers (nobody, when the demo runs as root) read the proxy's webroot and pages inside.
chmod 0711 "$dir"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # The proxy's nginx outlives the daemon on purpose (a restart adopts it); the demo stops it.
  if [ -f "$dir/proxy/run/nginx.pid" ]; then kill -QUIT "$(cat "$dir/proxy/run/nginx.pid")" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

# A loopback SMTP server that keeps the demo's mails as files, so that nothing leaves the machine.
"$py" "$src/tests/support/smtp_sink.py" --port "$smtp_port" --dir "$dir/mail" >"$dir/smtp.log" 2>&1 &
pids+=($!)

"$bin" migrate --config "$conf"
# The daemon never builds an image: a service whose image is missing waits for it.
"$bin" templates build --all --config "$conf"
creds="$dir/credentials"
if [ ! -f "$creds" ]; then
  admin_pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
  manager_pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
  printf 'admin_pw=%s\nmanager_pw=%s\n' "$admin_pw" "$manager_pw" > "$creds"
  chmod 600 "$creds"
  echo "$admin_pw" | "$bin" admin create --email admin@demo.chatiere.test --name "Admin démo" --config "$conf"
fi
. "$creds"

"$bin" serve --config "$conf" &
daemon=$!
pids+=($daemon)
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || { echo "demo: the daemon stopped; see above" >&2; exit 1; }
  sleep 0.2
done

api() { # METHOD PATH [JSON] → prints the body; fails on HTTP >= 400
  curl -sS -f -X "$1" "$url$2" -H "Authorization: Bearer ${token:-}" -H 'Content-Type: application/json' \
       ${3:+--data "$3"}
}
json() { "$py" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The admin needs a second factor (TOTP): enrolled once through the API, its secret kept beside the
# password; the codes come from Debian's oathtool, as an authenticator app computes them.
admin_login() { # [CODE] → prints the session token
  api POST /api/v1/sessions "{\"email\": \"admin@demo.chatiere.test\", \"password\": \"$admin_pw\"${1:+, \"totp\": \"$1\"}}" |
    json 'd["token"]'
}
if [ -z "${admin_totp:-}" ]; then
  token=$(admin_login)
  enrolment=$(api POST /api/v1/me/totp '{}')
  admin_totp=$(echo "$enrolment" | json 'd["secret"]')
  admin_otpauth=$(echo "$enrolment" | json 'd["otpauth_uri"]')
  api POST /api/v1/me/totp/confirm "{\"code\": \"$(oathtool --totp -b "$admin_totp")\"}" >/dev/null
  printf 'admin_totp=%s\nadmin_otpauth=%q\n' "$admin_totp" "$admin_otpauth" >> "$creds"
else
  # A code is accepted once: when this step's was used (a run moments ago), the next step's.
  token=$(admin_login "$(oathtool --totp -b "$admin_totp")" 2>/dev/null) ||
    token=$(admin_login "$(oathtool --totp -b -N 'now + 30 seconds' "$admin_totp")")
fi
if ! api GET /api/v1/plans/asso-web >/dev/null 2>&1; then
  api POST /api/v1/plans '{"slug": "asso-web", "name": {"fr": "Site associatif", "en": "Association website"},
    "description": {"fr": "Un site web statique pour votre association", "en": "A static website for your association"},
    "templates": ["website", "editor", "mail"],
    "prices": [{"interval": "month", "kind": "association", "amount_cents": 300},
               {"interval": "year", "kind": "association", "amount_cents": 3000},
               {"interval": "year", "kind": "individual", "amount_cents": 2000}],
    "quotas": {"disk_gib": {"included": 2, "limit": 3}, "memory_mib": {"included": 1024, "limit": 1024},
               "vcpus": {"included": 3, "limit": 3}, "services": {"included": 3, "limit": 3},
               "mailboxes": {"included": 5, "limit": 5}, "mail_gib": {"included": 1, "limit": 1}}}' >/dev/null
fi
count=$(api GET /api/v1/associations | json 'len(d["associations"])')
if [ "$count" = 0 ]; then
  id=$(token="" api POST /api/v1/signup "{\"association\": {\"name\": \"Les Amis du Jardin Partagé\", \"kind\": \"association\",
      \"email\": \"bureau@jardin.demo.chatiere.test\", \"rna\": \"W353012345\",
      \"address\": {\"line1\": \"2 rue des Lilas\", \"postal_code\": \"35000\", \"city\": \"Rennes\"}},
      \"manager\": {\"name\": \"Camille Martin\", \"email\": \"camille@jardin.demo.chatiere.test\", \"password\": \"$manager_pw\"},
      \"plan\": \"asso-web\", \"accept_terms\": true}" | json 'd["association"]["id"]')
  api POST "/api/v1/associations/$id/approve" >/dev/null
fi
asso=$(api GET /api/v1/associations | json 'd["associations"][0]["id"]')
# Services need a subscription: the demo association subscribes (its first invoice is issued).
active=$(api GET "/api/v1/associations/$asso/subscriptions" |
         json 'len([x for x in d["subscriptions"] if x["status"] == "active"])')
if [ "$active" = 0 ]; then
  api POST "/api/v1/associations/$asso/subscriptions" '{"plan": "asso-web", "interval": "year"}' >/dev/null
fi
svc=$(api GET "/api/v1/associations/$asso/services" | json '(d["services"] or [{"id": ""}])[0]["id"]')
if [ -z "$svc" ]; then
  svc=$(api POST "/api/v1/associations/$asso/services" '{"template": "website", "name": "site"}' | json 'd["id"]')
fi
echo "demo: waiting for the website guest to boot (the first time, its appliance image is built first)…"
state=""
for _ in $(seq 1 300); do
  state=$(api GET "/api/v1/services/$svc" | json 'd["state"]')
  [ "$state" = active ] || [ "$state" = failed ] && break
  sleep 1
done
site=$(api GET "/api/v1/services/$svc" | json 'd["endpoint"] or ""')
public_site=$(api GET "/api/v1/services/$svc" | json 'd.get("public_url") or ""')
public_name=$(echo "$public_site" | sed -E 's#^https://([^:/]+).*#\1#')
if [ "$state" != active ]; then
  echo "demo: the website guest is '$state': $(api GET "/api/v1/services/$svc" | json 'd["last_error"]')" >&2
fi

# The collaborative editor: only once its appliance image is built (minutes: Debian + Etherpad,
# `chatiere templates build editor`), never from here. Then a first pad, and its address.
pad=""
if [ -e "$dir/images/editor/current" ]; then
  editor=$(api GET "/api/v1/associations/$asso/services" |
           json '([s["id"] for s in d["services"] if s["template"] == "editor"] or [""])[0]')
  if [ -z "$editor" ]; then
    editor=$(api POST "/api/v1/associations/$asso/services" '{"template": "editor", "name": "pads"}' |
             json 'd.get("id", "")') || editor=""
  fi
  if [ -n "$editor" ]; then
    echo "demo: waiting for the editor guest and Etherpad (about two minutes)…"
    for _ in $(seq 1 600); do
      pads=$(api GET "/api/v1/services/$editor/pads" 2>/dev/null) && break
      sleep 1
    done
    pad=$(echo "${pads:-}" | json '(d["pads"][0]["url"] if d["pads"] else "")' 2>/dev/null) || pad=""
    if [ -z "$pad" ]; then
      pad=$(api POST "/api/v1/services/$editor/pads" \
              '{"name": "bienvenue", "text": "Bienvenue sur le pad des Amis du Jardin Partagé !"}' |
            json 'd["url"]' 2>/dev/null) || pad=""
    fi
  fi
else
  echo "demo: no editor: its image is not built (chatiere templates build editor --config $conf)"
fi

# Mail: only once its appliance image is built (`chatiere templates build mail`), never from here.
# A mail service for the association's domain and a first mailbox, read over IMAP on the guest's
# forwarded port (the front on port 25 and TLS come later: docs/mail.md).
mail_line="none: its image is not built (chatiere templates build mail --config $conf)"
if [ -e "$dir/images/mail/current" ]; then
  mail=$(api GET "/api/v1/associations/$asso/services" |
         json '([s["id"] for s in d["services"] if s["template"] == "mail"] or [""])[0]')
  if [ -z "$mail" ]; then
    mail=$(api POST "/api/v1/associations/$asso/services" \
             '{"template": "mail", "name": "courrier", "mail_domain": "jardin.demo.chatiere.test"}' |
           json 'd.get("id", "")') || mail=""
  fi
  if [ -n "$mail" ]; then
    if ! grep -q '^mailbox_pw=' "$creds"; then
      mailbox_pw=$(api POST "/api/v1/services/$mail/mailboxes" \
                     '{"local_part": "contact", "name": "Accueil", "quota_mib": 256}' | json 'd["password"]') &&
        printf 'mailbox_pw=%s\n' "$mailbox_pw" >> "$creds"
    fi
    mailbox_pw=$(sed -n 's/^mailbox_pw=//p' "$creds")
    ports=$(api GET "/api/v1/services/$mail" | json '" ".join("%s=%s" % (p["name"], p["host_port"]) for p in d["ports"])')
    mail_line="contact@jardin.demo.chatiere.test / $mailbox_pw (the guest boots in about a minute)
            on 127.0.0.1, ports: $ports (IMAP and SMTP without TLS until the front exists)"
  fi
fi

cat <<MSG

  Chatière runs at $url   — open it in a browser (French; English from the header's switch)
  (the association's space: $url/space, the admin's sign-ups: $url/admin/signups,
   health: $url/healthz, API: $url/api/v1/plans)
  The demo association's website (a QEMU guest): ${site:-not running, see above}
  … and at its public name, through the proxy (HTTPS, self-signed): ${public_site:-none, see above}
      curl -k --resolve $public_name:$https_port:127.0.0.1 $public_site
      (in a browser: add "127.0.0.1 $public_name" to /etc/hosts, accept the certificate)
  Its collaborative editor's first pad (Etherpad): ${pad:-none, see above}
  Its mail: $mail_line

  Admin:    admin@demo.chatiere.test / $admin_pw
            second factor (TOTP): secret $admin_totp
            (add it to an authenticator app, or: oathtool --totp -b $admin_totp)
            $admin_otpauth
  Manager:  camille@jardin.demo.chatiere.test / $manager_pw   (association "Les Amis du Jardin Partagé")

  Data in $dir; the demo's mails are saved in $dir/mail. Ctrl-C stops the daemon.
MSG
wait "$daemon"
