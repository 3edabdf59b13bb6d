#!/usr/bin/env bash
# bench/web: requests per second and p99 latency of the association's dashboard page and of
# GET /api/v1/associations/{id}/usage at 50 concurrent connections on loopback (wrk), as ratios to
# nginx serving a static file of the dashboard's size, measured in the same run.
# Last two lines: RESULT web-dashboard ratio=<req/s / nginx's> …, then RESULT web-usage-api ratio=…
# (figures as key=value).
# Usage (as root, after a build): bash bench/web.sh [SECONDS]   — installs wrk and nginx if
# missing (packaging/scripts/deps.sh bench).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-10}
bin=$src/build/manager/chatiere
if [ ! -x "$bin" ]; then
  (cd "$src" && cmake --preset default >/dev/null && cmake --build --preset default --target chatiere)
fi
bash "$src/packaging/scripts/deps.sh" bench >/dev/null

source "$src/tests/support/daemon.sh"
nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  stop_daemon
}
trap cleanup EXIT
start_daemon "$bin"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
api() {  # METHOD PATH [BODY] [TOKEN]
  curl -fsS -X "$1" "$daemon_url$2" -H 'Content-Type: application/json' ${4:+-H "Authorization: Bearer $4"} \
    ${3:+--data "$3"}
}
admin=$(api POST /api/v1/sessions '{"email": "admin@chatons.test", "password": "correct horse battery"}' | json "['token']")
# Staff need a second factor before anything else: enrol the admin, the code from Debian's oathtool.
secret=$(api POST /api/v1/me/totp '{}' "$admin" | json "['secret']")
api POST /api/v1/me/totp/confirm "{\"code\": \"$(oathtool --totp -b "$secret")\"}" "$admin" >/dev/null
api POST /api/v1/plans '{"slug": "asso-web", "name": {"fr": "Site web", "en": "Website"}, "templates": ["website"],
  "prices": [{"interval": "month", "kind": "association", "amount_cents": 500}],
  "quotas": {"services": {"included": 2, "limit": 3}, "disk_gib": {"included": 1, "limit": 5}}}' "$admin" >/dev/null
association=$(api POST /api/v1/signup '{"association": {"name": "Jardin partagé", "kind": "association",
  "email": "contact@jardin.test"}, "manager": {"name": "Camille", "email": "camille@jardin.test",
  "password": "correct horse battery"}, "plan": "asso-web", "accept_terms": true}' | json "['association']['id']")
api POST "/api/v1/associations/$association/approve" '{}' "$admin" >/dev/null
api POST "/api/v1/associations/$association/subscriptions" '{"plan": "asso-web", "interval": "month"}' "$admin" >/dev/null
for name in site blog; do
  api POST "/api/v1/associations/$association/services" "{\"template\": \"website\", \"name\": \"$name\"}" "$admin" >/dev/null
done
token=$(api POST /api/v1/sessions '{"email": "camille@jardin.test", "password": "correct horse battery"}' | json "['token']")

dashboard="/associations/$association"
size=$(curl -fsS -H "Cookie: chatiere_session=$token" "$daemon_url$dashboard" | wc -c)
www=$daemon_dir/www
mkdir -p "$www"
chmod a+rx "$daemon_dir" "$www"  # nginx's workers run as www-data
head -c "$size" /dev/urandom | base64 -w 100 | head -c "$size" >"$www/page.html"
nginx_port=$(free_port)
cat >"$daemon_dir/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $daemon_dir/nginx.pid;
error_log $daemon_dir/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    root $www;
    location / { default_type text/html; }
  }
}
CONF
nginx -c "$daemon_dir/nginx.conf" &
nginx_pid=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$nginx_port/page.html" >/dev/null 2>&1 && break; sleep 0.1; done

# wrk's requests per second and 99th percentile (in ms) for a URL and headers.
measure() {
  local url=$1; shift
  local out
  out=$(wrk -t2 -c50 -d"${seconds}s" --latency "$@" "$url")
  if echo "$out" | grep -q "Non-2xx"; then
    echo "bench/web: $url answered errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  local rps p99
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}')
  echo "$rps $p99"
}

echo "bench/web: 50 connections, ${seconds} s each, 2 wrk threads, $(nproc) cores; dashboard $size bytes"
# (Assignments, not `read < <(…)`, so that a failed measurement stops the bench.)
nginx=$(measure "http://127.0.0.1:$nginx_port/page.html")
dash=$(measure "$daemon_url$dashboard" -H "Cookie: chatiere_session=$token")
usage=$(measure "$daemon_url/api/v1/associations/$association/usage" -H "Authorization: Bearer $token")
read -r n_rps n_p99 <<<"$nginx"
read -r d_rps d_p99 <<<"$dash"
read -r u_rps u_p99 <<<"$usage"
u_size=$(curl -fsS -H "Authorization: Bearer $token" "$daemon_url/api/v1/associations/$association/usage" | wc -c)
ratio() { echo "scale=6; $1 / $2" | bc -l; }
printf '%-34s %10s %10s %14s %12s\n' "" "req/s" "p99 (ms)" "req/s ratio" "p99 ratio"
printf '%-34s %10.0f %10.2f %14s %12s\n' "nginx, static file (reference)" "$n_rps" "$n_p99" "1" "1"
printf '%-34s %10.0f %10.2f %14.3f %12.1f\n' "dashboard page" "$d_rps" "$d_p99" \
  "$(ratio "$d_rps" "$n_rps")" "$(ratio "$d_p99" "$n_p99")"
printf '%-34s %10.0f %10.2f %14.3f %12.1f\n' "GET /api/v1/associations/{id}/usage" "$u_rps" "$u_p99" \
  "$(ratio "$u_rps" "$n_rps")" "$(ratio "$u_p99" "$n_p99")"
common="nginx_rps=$(printf '%.0f' "$n_rps") nginx_p99_ms=$(printf '%.2f' "$n_p99") connections=50 seconds=$seconds"
printf 'RESULT web-dashboard ratio=%.4f rps=%.0f p99_ms=%.2f bytes=%d %s\n' \
  "$(ratio "$d_rps" "$n_rps")" "$d_rps" "$d_p99" "$size" "$common"
printf 'RESULT web-usage-api ratio=%.4f rps=%.0f p99_ms=%.2f bytes=%d %s\n' \
  "$(ratio "$u_rps" "$n_rps")" "$u_rps" "$u_p99" "$u_size" "$common"
