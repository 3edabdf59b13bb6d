#!/usr/bin/env bash
# bench/provision: median time from `POST …/services` to a healthy guest, as a ratio to doing the
# same by hand in the same run (virsh define + virsh start of the same domain XML, then polling the
# same health check). Chatière's own overhead should be small next to the boot. Two templates:
#   website  the busybox appliance: by hand = the same XML on a copy of the site's volume.
#   editor   Etherpad on the Debian appliance: by hand = the same XML on a blank volume of the same
#            size (as Chatière's create: the guest makes its file system), and the same
#            configuration written through the guest agent (guest-file-open/write/close of
#            /run/chatiere/config.json, as Chatière's configure step) once the agent answers —
#            Etherpad does not start before it. Also measured on the by-hand guest: its boot (QEMU's
#            process start → the health check's first answer), its memory at rest (the QEMU
#            process's VmRSS, and the guest's own used memory from the balloon's statistics, ~30 s
#            after it is healthy) and its clean stop (`virsh shutdown --mode agent,acpi`, what
#            Chatière asks of a guest with an agent: start → QEMU gone).
# Each run ends before the next starts: Chatière's guest is deleted before its by-hand twin boots,
# so that the two never share the CPU.
# Last lines:
#   RESULT provision-website ratio=<Chatière / by hand> chatiere_s=… by_hand_s=… runs=…
#   RESULT provision-editor ratio=… chatiere_s=… by_hand_s=… boot_s=… rss_mib=… guest_used_mib=… stop_s=… runs=…
# (medians over the runs; an editor run takes 2–3 minutes under QEMU without KVM.)
# Usage (as root, after packaging/scripts/test.sh has built and libvirtd runs):
#   bash bench/provision.sh [WEBSITE_RUNS [EDITOR_RUNS]]     (defaults 5 and 2; 0 skips a template)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
website_runs=${1:-5}
editor_runs=${2:-2}
bin=$src/build/manager/chatiere
[ -x "$bin" ] || { echo "bench: build first (cmake --build --preset default)" >&2; exit 1; }
bash "$src/packaging/scripts/libvirtd.sh"
work=$(mktemp -d)
pool=chatiere-bench-$$
by_hand=bench-by-hand-$$
vsh() { virsh -q -c qemu:///system "$@"; }
cleanup() {
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  # Only this run's guests: Chatière's (its instance id) and the by-hand ones (this shell's pid).
  for d in $(vsh list --all --name | grep -E "^(chatiere-$instance-|$by_hand-)" || true); do
    vsh destroy "$d" >/dev/null 2>&1 || true
    vsh undefine "$d" >/dev/null 2>&1 || true
  done
  vsh pool-destroy "$pool" >/dev/null 2>&1 || true
  vsh pool-undefine "$pool" >/dev/null 2>&1 || true
  rm -rf "$work"
}
instance=none
trap cleanup EXIT
templates=()
[ "$website_runs" -gt 0 ] && templates+=(website)
[ "$editor_runs" -gt 0 ] && templates+=(editor)
[ ${#templates[@]} -gt 0 ] || { echo "bench: nothing to measure (0 runs of both)" >&2; exit 64; }
mkdir -p /var/tmp/chatiere-test-images && ln -s /var/tmp/chatiere-test-images "$work/images"
# The daemon never builds an image: built (or found current) first, outside the measure.
bash "$src/templates/build.sh" --cache /var/tmp/chatiere-test-images "${templates[@]}"
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
# An editor boots in minutes under QEMU without KVM, more on a machine others load too: 300 s (the
# system tests' bound) was passed once here at load 15.
provisioning.boot_timeout_seconds = 1200
provisioning.lease_seconds = 1800
CONF
echo "correct horse battery" | "$bin" admin create --email bench@chatons.test --config "$work/c.properties" >/dev/null
for template in "${templates[@]}"; do
  "$bin" templates build "$template" --config "$work/c.properties" >/dev/null 2>&1 || true
done
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
api POST /api/v1/plans '{"slug": "bench", "name": "Bench", "free": true, "prices": [],
  "templates": ["website", "editor"]}' >/dev/null
asso=$(api POST /api/v1/signup '{"association": {"name": "Bench", "kind": "other", "email": "b@b.test"},
  "manager": {"name": "B", "email": "b@b.test", "password": "correct horse battery"}, "plan": "bench",
  "accept_terms": true}' | json 'd["association"]["id"]')
api POST "/api/v1/associations/$asso/approve" >/dev/null
instance=$(sqlite3 "$work/c.db" "select id from instance")
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# The guest agent of a by-hand guest, through libvirt (as Chatière's calls): prints the reply.
agent() { vsh qemu-agent-command "$1" --timeout 5 "$2" 2>/dev/null; }
# When the QEMU process of a running guest started (seconds since the epoch).
qemu_pid() { cat "/run/libvirt/qemu/$1.pid"; }
qemu_started() {
  local ticks btime
  ticks=$(awk '{print $22}' "/proc/$(qemu_pid "$1")/stat")
  btime=$(awk '/^btime/ {print $2}' /proc/stat)
  echo "$btime + $ticks / $(getconf CLK_TCK)" | bc -l
}

# bench TEMPLATE RUNS: fills ours, byhand (and, for the editor, boot, rss, used, stop).
bench() {
  local template=$1 runs=$2 i svc state t0 t1 dom hp volume size cfg handle
  ours=(); byhand=(); boot=(); rss=(); used=(); stop=()
  for i in $(seq 1 "$runs"); do
    t0=$(now)
    svc=$(api POST "/api/v1/associations/$asso/services" "{\"template\": \"$template\", \"name\": \"$template$i\"}" |
      json 'd["id"]')
    while :; do
      state=$(api GET "/api/v1/services/$svc" | json 'd["state"]')
      [ "$state" = active ] && break
      [ "$state" = failed ] && { echo "bench: service failed: $(api GET "/api/v1/services/$svc")" >&2; exit 1; }
      sleep 0.05
    done
    t1=$(now); ours+=("$(echo "$t1 - $t0" | bc)")
    # The same guest by hand: its XML, renamed, on its own volume and port.
    dom=chatiere-$instance-$svc
    hp=$((22400 + i))
    vsh dumpxml "$dom" > "$work/by-hand.xml"
    volume=$(sed -n "s|.*<source file='\($work/volumes/[^']*\)'.*|\1|p" "$work/by-hand.xml" | head -1)
    if [ "$template" = website ]; then
      cp --sparse=always "$volume" "$work/by-hand-$i.img"
    else
      # Chatière's create gives the editor a blank volume; the configuration is the service's.
      size=$(stat -c %s "$volume")
      truncate -s "$size" "$work/by-hand-$i.img"
      cfg=$(sqlite3 -json "$work/c.db" "select a.name as association_name, s.name as service_name,
          s.id as service_id, k.value as api_key from services s join associations a on a.id = s.association_id
          join service_secrets k on k.service_id = s.id and k.name = 'api_key' where s.id = '$svc'" |
        "$py" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0], separators=(",", ":")))')
    fi
    if [ "$template" = editor ]; then
      api DELETE "/api/v1/services/$svc" >/dev/null  # not sharing the CPU with the by-hand twin
      while vsh domstate "$dom" >/dev/null 2>&1; do sleep 0.2; done
    fi
    # Without Chatière's metadata: its reconciler must not take the twin for one of its guests.
    sed -i -e "s|<name>$dom</name>|<name>$by_hand-$i</name>|" -e '/<uuid>/d' -e '/<metadata>/,/<\/metadata>/d' \
        -e "s|$volume|$work/by-hand-$i.img|" -e "s|hostfwd=tcp:127.0.0.1:[0-9]*-:|hostfwd=tcp:127.0.0.1:$hp-:|" \
        -e '/<mac address/d' -e '/<source mode=.bind. path=.*org.qemu.guest_agent.0/d' "$work/by-hand.xml"
    t0=$(now)
    vsh define "$work/by-hand.xml" >/dev/null
    vsh start "$by_hand-$i" >/dev/null
    if [ "$template" = editor ]; then
      until agent "$by_hand-$i" '{"execute":"guest-ping"}' >/dev/null; do sleep 0.2; done
      handle=$(agent "$by_hand-$i" '{"execute":"guest-file-open","arguments":{"path":"/run/chatiere/config.json","mode":"w"}}' |
        json 'd["return"]')
      agent "$by_hand-$i" "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$handle,\"buf-b64\":\"$(printf %s "$cfg" | base64 -w0)\"}}" >/dev/null
      agent "$by_hand-$i" "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$handle}}" >/dev/null
    fi
    until [ "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hp/" 2>/dev/null)" = 200 ]; do sleep 0.05; done
    t1=$(now); byhand+=("$(echo "$t1 - $t0" | bc)")
    if [ "$template" = editor ]; then
      boot+=("$(echo "$t1 - $(qemu_started "$by_hand-$i")" | bc)")
      vsh dommemstat "$by_hand-$i" --period 2 --live >/dev/null 2>&1 || true
      sleep 30
      rss+=("$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$(qemu_pid "$by_hand-$i")/status")")
      used+=("$(vsh dommemstat "$by_hand-$i" 2>/dev/null | awk '$1 == "available" {a = $2} $1 == "usable" {u = $2}
        END {if (a && u) printf "%.0f", (a - u) / 1024; else print "nan"}')")
      t0=$(now)
      vsh shutdown "$by_hand-$i" --mode agent,acpi >/dev/null
      while [ "$(vsh domstate "$by_hand-$i" 2>/dev/null)" != "shut off" ]; do
        [ "$(echo "$(now) - $t0 > 120" | bc)" = 1 ] && break
        sleep 0.1
      done
      stop+=("$(echo "$(now) - $t0" | bc)")
      printf 'provision: editor run %d: Chatière %.1f s, by hand %.1f s (boot %.1f s), QEMU RSS %s MiB, guest uses %s MiB, stop %.1f s\n' \
        "$i" "${ours[-1]}" "${byhand[-1]}" "${boot[-1]}" "${rss[-1]}" "${used[-1]}" "${stop[-1]}"
    fi
    vsh destroy "$by_hand-$i" >/dev/null 2>&1 || true
    vsh undefine "$by_hand-$i" >/dev/null
    rm -f "$work/by-hand-$i.img"
    [ "$template" = editor ] || api DELETE "/api/v1/services/$svc" >/dev/null
  done
}

results=()
for template in "${templates[@]}"; do
  runs=$website_runs
  [ "$template" = editor ] && runs=$editor_runs
  bench "$template" "$runs"
  m_ours=$(printf '%s\n' "${ours[@]}" | median)
  m_hand=$(printf '%s\n' "${byhand[@]}" | median)
  printf 'provision: %s, %d runs; median create→healthy %.2f s with Chatière, %.2f s by hand (virsh define+start, same XML)\n' \
    "$template" "$runs" "$m_ours" "$m_hand"
  ratio=$(echo "$m_ours / $m_hand" | bc -l)
  printf 'provision: %s ratio %.2f (Chatière / by hand)\n' "$template" "$ratio"
  line=$(printf 'RESULT provision-%s ratio=%.3f chatiere_s=%.2f by_hand_s=%.2f' "$template" "$ratio" "$m_ours" "$m_hand")
  if [ "$template" = editor ]; then
    m_used=nan
    printf '%s\n' "${used[@]}" | grep -qv nan && m_used=$(printf '%s\n' "${used[@]}" | grep -v nan | median)
    line+=$(printf ' boot_s=%.1f rss_mib=%.0f guest_used_mib=%s stop_s=%.1f' "$(printf '%s\n' "${boot[@]}" | median)" \
      "$(printf '%s\n' "${rss[@]}" | median)" "$m_used" "$(printf '%s\n' "${stop[@]}" | median)")
  fi
  results+=("$line runs=$runs")
done
printf '%s\n' "${results[@]}"
