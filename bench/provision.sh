#!/usr/bin/env bash
# bench/provision: median time from `POST …/services` to a healthy website guest, as a ratio to
# doing the same by hand in the same run (virsh define + virsh start of the same domain XML, then
# polling the same health check). Chatière's own overhead should be small next to the boot.
# Last line: RESULT provision-website ratio=<Chatière / by hand> chatiere_s=… by_hand_s=… runs=…
# Usage (as root, after packaging/scripts/test.sh has built and libvirtd runs): bash bench/provision.sh [RUNS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
bin=$src/build/manager/chatiere
[ -x "$bin" ] || { echo "bench: build first (cmake --build --preset default)" >&2; exit 1; }
bash "$src/packaging/scripts/libvirtd.sh"
work=$(mktemp -d)
pool=chatiere-bench-$$
cleanup() {
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  for d in $(virsh -q -c qemu:///system list --all --name | grep -E "^(chatiere-|bench-by-hand-)" || true); do
    case "$d" in *"$instance"*|bench-by-hand-*) virsh -q -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
      virsh -q -c qemu:///system undefine "$d" >/dev/null 2>&1 || true ;; esac
  done
  virsh -q -c qemu:///system pool-destroy "$pool" >/dev/null 2>&1 || true
  virsh -q -c qemu:///system pool-undefine "$pool" >/dev/null 2>&1 || true
  rm -rf "$work"
}
instance=none
trap cleanup EXIT
mkdir -p /var/tmp/chatiere-test-images && ln -s /var/tmp/chatiere-test-images "$work/images"
# The daemon never builds an image: built (or found current) first, outside the measure.
bash "$src/templates/build.sh" --cache /var/tmp/chatiere-test-images website
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/c.properties" <<CONF
http.port = $port
db.path = $work/c.db
data.dir = $work
web.dir = $src/web-admin
templates.dir = $src/templates
libvirt.domain_type = qemu
libvirt.pool = $pool
ports.first = 22300
ports.last = 22399
smtp.port = 1
CONF
echo "correct horse battery" | "$bin" admin create --email bench@chatons.test --config "$work/c.properties" >/dev/null
"$bin" templates build website --config "$work/c.properties" >/dev/null 2>&1 || true
"$bin" serve --config "$work/c.properties" > "$work/log" 2>&1 &
daemon=$!
url=http://127.0.0.1:$port
for _ in $(seq 1 100); do curl -fsS "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
py=/usr/bin/python3
json() { "$py" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
token=$(curl -sS -X POST "$url/api/v1/sessions" -H 'Content-Type: application/json' \
  -d '{"email": "bench@chatons.test", "password": "correct horse battery"}' | json 'd["token"]')
api() { curl -sS -X "$1" "$url$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+--data "$3"}; }
# Staff need a second factor before anything else: enrol the admin, the code from Debian's oathtool.
secret=$(api POST /api/v1/me/totp '{}' | json 'd["secret"]')
api POST /api/v1/me/totp/confirm "{\"code\": \"$(oathtool --totp -b "$secret")\"}" >/dev/null
api POST /api/v1/plans '{"slug": "bench", "name": "Bench", "free": true, "prices": []}' >/dev/null
asso=$(api POST /api/v1/signup '{"association": {"name": "Bench", "kind": "other", "email": "b@b.test"},
  "manager": {"name": "B", "email": "b@b.test", "password": "correct horse battery"}, "plan": "bench",
  "accept_terms": true}' | json 'd["association"]["id"]')
api POST "/api/v1/associations/$asso/approve" >/dev/null
instance=$(sqlite3 "$work/c.db" "select id from instance")
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ours=(); byhand=()
for i in $(seq 1 "$runs"); do
  t0=$(now)
  svc=$(api POST "/api/v1/associations/$asso/services" "{\"template\": \"website\", \"name\": \"s$i\"}" | json 'd["id"]')
  while :; do
    state=$(api GET "/api/v1/services/$svc" | json 'd["state"]')
    [ "$state" = active ] && break
    [ "$state" = failed ] && { echo "bench: service failed: $(api GET /api/v1/services/$svc)" >&2; exit 1; }
    sleep 0.05
  done
  t1=$(now); ours+=("$(echo "$t1 - $t0" | bc)")
  # The same guest by hand: its XML, renamed, on its own copy of the volume and port.
  dom=chatiere-$instance-$svc
  hp=$((22400 + i))
  virsh -q -c qemu:///system dumpxml "$dom" > "$work/by-hand.xml"
  cp --sparse=always "$work/volumes/$dom.img" "$work/by-hand-$i.img"
  sed -i -e "s|<name>$dom</name>|<name>bench-by-hand-$i</name>|" -e '/<uuid>/d' \
      -e "s|$work/volumes/$dom.img|$work/by-hand-$i.img|" -e "s|hostfwd=tcp:127.0.0.1:[0-9]*-:80|hostfwd=tcp:127.0.0.1:$hp-:80|" \
      -e '/<mac address/d' "$work/by-hand.xml"
  t0=$(now)
  virsh -q -c qemu:///system define "$work/by-hand.xml" >/dev/null
  virsh -q -c qemu:///system start "bench-by-hand-$i" >/dev/null
  until curl -fsS -m 2 "http://127.0.0.1:$hp/" >/dev/null 2>&1; do sleep 0.05; done
  t1=$(now); byhand+=("$(echo "$t1 - $t0" | bc)")
  virsh -q -c qemu:///system destroy "bench-by-hand-$i" >/dev/null
  virsh -q -c qemu:///system undefine "bench-by-hand-$i" >/dev/null
  api DELETE "/api/v1/services/$svc" >/dev/null
done
m_ours=$(printf '%s\n' "${ours[@]}" | median)
m_hand=$(printf '%s\n' "${byhand[@]}" | median)
printf 'provision: %d runs; median create→healthy %.2f s with Chatière, %.2f s by hand (virsh define+start, same XML)\n' \
  "$runs" "$m_ours" "$m_hand"
ratio=$(echo "$m_ours / $m_hand" | bc -l)
printf 'provision: ratio %.2f (Chatière / by hand)\n' "$ratio"
printf 'RESULT provision-website ratio=%.3f chatiere_s=%.2f by_hand_s=%.2f runs=%d\n' "$ratio" "$m_ours" "$m_hand" "$runs"
