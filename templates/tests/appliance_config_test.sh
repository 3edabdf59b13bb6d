#!/usr/bin/env bash
# The guest-side configuration scripts, on the host with a fake systemctl (no guest):
#  - the base's config-install: unchanged → start, changed → restart, without hooks as before (the
#    editor); with the image's hooks: config-check refuses → nothing saved, nothing (re)started;
#    a change while the application is active → config-reload, no restart; a failing reload → a
#    restart; the first configuration → a restart, never a reload;
#  - the mail appliance's mail-config check: a good configuration passes, each bad one is refused
#    with its reason (needs jq and openssl, as the guest has them).
set -euo pipefail
templates="$(cd "$(dirname "$0")/.." && pwd)"
install=$templates/debian-base/rootfs/usr/local/lib/chatiere/config-install
mailconfig=$templates/mail/rootfs/usr/local/lib/chatiere/mail-config
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
passed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
for tool in jq openssl awk; do
  command -v "$tool" >/dev/null || fail "$tool is needed (apt-get install $tool)"
done

# --- config-install ---------------------------------------------------------------------------------
mkdir -p "$tmp/bin" "$tmp/hooks"
cat >"$tmp/bin/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/systemctl.log"
case "\$*" in is-active*) [ -e "$tmp/active" ] ;; esac
EOF
chmod +x "$tmp/bin/systemctl"
export PATH="$tmp/bin:$PATH"
src=$tmp/run/config.json dst=$tmp/data/.chatiere/config.json
mkdir -p "$tmp/run"
calls() { cat "$tmp/systemctl.log" 2>/dev/null | grep -v '^is-active' | tr '\n' ';'; rm -f "$tmp/systemctl.log"; }
run_install() { CHATIERE_HOOKS=$1 sh "$install" "$src" "$dst" >"$tmp/out" 2>&1; }

echo '{"a": "1"}' >"$src"
run_install "$tmp/none" || fail "first configuration: $(cat "$tmp/out")"
[ "$(calls)" = "--no-block restart chatiere-app.target;" ] || fail "no hooks, first: restart"
cmp -s "$src" "$dst" && [ "$(stat -c %a "$dst")" = 600 ] || fail "saved 0600"
run_install "$tmp/none"
[ "$(calls)" = "--no-block start chatiere-app.target;" ] || fail "no hooks, unchanged: start"
touch "$tmp/active"
echo '{"a": "2"}' >"$src"
run_install "$tmp/none"
[ "$(calls)" = "--no-block restart chatiere-app.target;" ] || fail "no hooks, changed while active: restart"
ok "without hooks (the editor): restart on a change, start when unchanged"

# The image's hooks: config-check refuses values "bad"; config-reload logs, fails when told to.
cat >"$tmp/hooks/config-check" <<EOF
#!/bin/sh
! grep -q bad "\$1" || { echo "config-check: bad value" >&2; exit 1; }
EOF
cat >"$tmp/hooks/config-reload" <<EOF
#!/bin/sh
echo "reload \$1" >>"$tmp/systemctl.log"
[ ! -e "$tmp/reload-fails" ]
EOF
chmod +x "$tmp/hooks/config-check" "$tmp/hooks/config-reload"
echo '{"a": "bad"}' >"$src"
before=$(cat "$dst")
if run_install "$tmp/hooks"; then fail "a refused configuration exits non-zero"; fi
grep -q "config-check: bad value" "$tmp/out" && grep -q "the saved one is kept" "$tmp/out" || fail "the reason is said"
[ "$(cat "$dst")" = "$before" ] && [ -z "$(calls)" ] || fail "refused: nothing saved, nothing (re)started"
ok "config-check refuses: the saved configuration is kept, nothing restarts"
echo '{"a": "3"}' >"$src"
run_install "$tmp/hooks"
[ "$(calls)" = "reload $dst;" ] && cmp -s "$src" "$dst" || fail "changed while active: config-reload only"
ok "a change while the application is active: config-reload, no restart"
echo '{"a": "4"}' >"$src"
touch "$tmp/reload-fails"
run_install "$tmp/hooks"
[ "$(calls)" = "reload $dst;--no-block restart chatiere-app.target;" ] || fail "a failing reload restarts"
rm -f "$tmp/reload-fails" "$tmp/active"
ok "a failing config-reload: the application is restarted"
echo '{"a": "5"}' >"$src"
run_install "$tmp/hooks"
[ "$(calls)" = "--no-block restart chatiere-app.target;" ] || fail "changed while inactive: restart"
rm -rf "$tmp/data"; touch "$tmp/active"
run_install "$tmp/hooks"
[ "$(calls)" = "--no-block restart chatiere-app.target;" ] || fail "the first configuration: restart, not reload"
ok "inactive application or first configuration: a restart"

# --- mail-config check --------------------------------------------------------------------------------
key=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null)
small=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null)
hash='{SHA512-CRYPT}$6$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'
good() {
  jq -n --arg key "$key" --arg hash "$hash" '{
    mail_domain: "asso-test.example", hostname: "mail.example.net",
    mailboxes: ("contact@asso-test.example:" + $hash + ":100\nbureau.2@asso-test.example:" + $hash + ":0\n"),
    aliases: "info@asso-test.example contact@asso-test.example,ami@dehors.example\n",
    dkim_selector: "chatiere1", dkim_key: $key, doveadm_key: "0123456789abcdefABCDEF", relay_host: ""}'
}
good >"$tmp/mail.json"
out=$(sh "$mailconfig" check "$tmp/mail.json" 2>&1) || fail "a good configuration is refused: $out"
[[ "$out" == *"2 mailbox(es), 1 alias(es)"* ]] || fail "counts: $out"
ok "mail-config: a good configuration passes ($out)"
# Each: a jq edit of the good configuration, and words of the expected reason.
refused() {
  good | jq "$1" >"$tmp/bad.json"
  if out=$(sh "$mailconfig" check "$tmp/bad.json" 2>&1); then fail "accepted: $1"; fi
  [[ "$out" == *"$2"* ]] || fail "$1: expected '$2' in: $out"
  ok "mail-config refuses ${3:-$1}: $(echo "$out" | head -1)"
}
refused '.mail_domain = "pas un domaine"' "is not a domain name"
refused '.mail_domain = "asso-test.example\nx.example"' "must be one line"
refused '.hostname = ""' "is not a host name"
refused '.mailboxes = 42' "not a JSON object of strings"
refused '.mailboxes += "sans-deux-points\n"' "expected ADDRESS:HASH:QUOTA_MIB"
refused '.mailboxes += "x@ailleurs.example:{PLAIN}x:1\n"' "is not of the domain"
refused '.mailboxes += "a..b@asso-test.example:{PLAIN}x:1\n"' "the local part must be"
refused '.mailboxes += "avec espace@asso-test.example:{PLAIN}x:1\n"' "the local part must be"
refused '.mailboxes += ("x" * 65 + "@asso-test.example:{PLAIN}x:1\n")' "the local part must be"
refused '.mailboxes += "x@asso-test.example:pas-de-schema:1\n"' "the hash must be"
refused '.mailboxes += "x@asso-test.example:{PLAIN}x:beaucoup\n"' "QUOTA_MIB must be an integer"
refused '.mailboxes += "contact@asso-test.example:{PLAIN}x:1\n"' "is listed twice"
refused '.aliases += "contact@asso-test.example bureau.2@asso-test.example\n"' "is a mailbox"
refused '.aliases += "boucle@asso-test.example boucle@asso-test.example\n"' "cannot be its own destination"
refused '.aliases += "x@asso-test.example pas-une-adresse\n"' "is not an address"
refused '.aliases += "x@asso-test.example\n"' "expected \"ADDRESS DEST1,DEST2\""
refused '.dkim_key = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"' "OpenSSL cannot read the key"
refused '.dkim_key = "pas une clé"' "is not a PEM private key"
refused ".dkim_key = $(jq -n --arg k "$small" '$k')" "is not a 2048-bit RSA key" "a 1024-bit key"
refused '.dkim_selector = "Pas_Un_Label"' "is not a DNS label"
refused '.doveadm_key = "court"' "doveadm_key must be"
refused '.relay_host = "relais; rm -rf /"' "relay_host"
echo "$passed passed, 0 failed"
