# Sourced by bench/web.sh and bench/web-site.sh: what the web benches share — the build and the
# packages, an association signed up on the daemon of tests/support/daemon.sh, curl and wrk
# reaching any name at 127.0.0.1 (bench/loopback.lua), the reference nginx serving static files over
# HTTP and HTTPS, and the figures printed as a table and as RESULT lines.
# The caller sets `src` (the repository) and `seconds` (per measurement), and calls web_stop on exit.

source "$src/tests/support/daemon.sh"
_web_reference_pid=

# The daemon's binary (built when missing) and what the benches run (deps.sh bench: wrk, nginx…).
web_prepare() {
  web_bin=$src/build/manager/chatiere
  if [ ! -x "$web_bin" ]; then
    (cd "$src" && cmake --preset default >/dev/null && cmake --build --preset default --target chatiere)
  fi
  bash "$src/packaging/scripts/deps.sh" bench >/dev/null
}

web_stop() {
  [ -n "$_web_reference_pid" ] && kill "$_web_reference_pid" 2>/dev/null && wait "$_web_reference_pid" 2>/dev/null || true
  _web_reference_pid=
  stop_daemon
}

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
api() {  # METHOD PATH [BODY] [TOKEN]
  curl -fsS -X "$1" "$daemon_url$2" -H 'Content-Type: application/json' ${4:+-H "Authorization: Bearer $4"} \
    ${3:+--data "$3"}
}

# web_association: the admin (with its second factor), a plan of websites, the association "Jardin
# partagé" signed up, approved and subscribed. Sets admin (the admin's token), association (its id)
# and token (its manager's session, also the session cookie's value).
web_association() {
  admin=$(api POST /api/v1/sessions '{"email": "admin@chatons.test", "password": "correct horse battery"}' | json "['token']")
  # Staff need a second factor before anything else: enrol the admin, the code from Debian's oathtool.
  local secret
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
  token=$(api POST /api/v1/sessions '{"email": "camille@jardin.test", "password": "correct horse battery"}' | json "['token']")
}

# web_get URL [CURL ARGS…]: the body of a 200 answer (anything else fails: a redirect to the sign-in
# page is no dashboard), the URL's host reached at 127.0.0.1 (self-signed: not verified).
web_get() {
  local url=$1 hostport body code
  shift
  hostport=$(sed -E 's#^[a-z]+://([^/]+).*#\1#' <<<"$url")
  body=$(mktemp)
  code=$(curl -sS -k --resolve "${hostport%:*}:${hostport##*:}:127.0.0.1" -o "$body" -w '%{http_code}' "$@" "$url") ||
    code=failed
  if [ "$code" = 200 ]; then
    cat "$body"
  else
    echo "bench/web: $url answered $code" >&2
  fi
  rm -f "$body"
  [ "$code" = 200 ]
}

# web_reference WWW CERT KEY: nginx serving the folder WWW over HTTP and over HTTPS (CERT and KEY,
# for any server name, with the TLS settings of Chatière's proxy: hosted/NginxConfig), on free
# loopback ports: reference_http (a URL), reference_https (a URL).
web_reference() {
  local www=$1 cert=$2 key=$3 dir http_port https_port
  dir=$(dirname "$www")
  http_port=$(free_port)
  https_port=$(free_port)
  chmod a+rx "$dir" "$www"  # nginx's workers run as www-data or nobody
  cat >"$dir/reference-nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $dir/reference-nginx.pid;
error_log $dir/reference-nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:reference_tls:1m;
  server {
    listen 127.0.0.1:$http_port;
    listen 127.0.0.1:$https_port ssl;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    root $www;
    location / { default_type text/html; }
  }
}
CONF
  nginx -c "$dir/reference-nginx.conf" &
  _web_reference_pid=$!
  reference_http=http://127.0.0.1:$http_port
  reference_https=https://127.0.0.1:$https_port
  for _ in $(seq 1 50); do curl -s -o /dev/null "$reference_http/" && break; sleep 0.1; done
}

# web_file WWW NAME SIZE: a file of SIZE bytes of text in WWW (what the reference serves in place of
# a page of that size).
web_file() {
  head -c "$3" /dev/urandom | base64 -w 100 | head -c "$3" >"$1/$2"
}

# web_measure URL [WRK ARGS…]: wrk's requests per second and 99th percentile (ms), 50 connections,
# `seconds` long, the URL's host reached at 127.0.0.1. Stops the bench when an answer is an error.
web_measure() {
  local url=$1 out rps p99
  shift
  out=$(wrk -t2 -c50 -d"${seconds}s" --latency -s "$src/bench/loopback.lua" "$@" "$url")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "bench/web: $url answered errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  # Timeouts and resets (a slow guest) are shown, not fatal: the figures count answered requests only.
  grep "Socket errors" <<<"$out" | sed "s#^ *#bench/web: $url: #" >&2 || true
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99"
}

web_ratio() { echo "scale=6; $1 / $2" | bc -l; }

web_table_head() {
  printf '%-46s %10s %10s %14s %12s\n' "" "req/s" "p99 (ms)" "req/s ratio" "p99 ratio"
}
# web_table_row LABEL RPS P99 [REFERENCE_RPS REFERENCE_P99]: a row (a reference's own without them).
web_table_row() {
  if [ $# -lt 5 ]; then
    printf '%-46s %10.0f %10.2f %14s %12s\n' "$1" "$2" "$3" 1 1
  else
    printf '%-46s %10.0f %10.2f %14.3f %12.1f\n' "$1" "$2" "$3" "$(web_ratio "$2" "$4")" "$(web_ratio "$3" "$5")"
  fi
}
# web_result NAME RPS P99 BYTES REFERENCE_RPS REFERENCE_P99 [KEY=VALUE…]: its RESULT line.
web_result() {
  local name=$1 rps=$2 p99=$3 bytes=$4 n_rps=$5 n_p99=$6
  shift 6
  printf 'RESULT %s ratio=%.4f rps=%.0f p99_ms=%.2f bytes=%d nginx_rps=%.0f nginx_p99_ms=%.2f %sconnections=50 seconds=%s\n' \
    "$name" "$(web_ratio "$rps" "$n_rps")" "$rps" "$p99" "$bytes" "$n_rps" "$n_p99" "${*:+$* }" "$seconds"
}
