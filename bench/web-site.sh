#!/usr/bin/env bash
# bench/web-site: requests per second and p99 latency of a hosted website's page at its public name,
# through Chatière's own proxy over HTTPS (nginx, proxy.mode = own, self-signed), at 50 concurrent
# connections on loopback (wrk), as a ratio to nginx serving the same bytes as a static file over
# HTTPS with the same certificate and TLS settings, in the same run. The site is a real website
# guest (the busybox appliance under QEMU, on the local libvirtd as bench/provision.sh and the
# system tests) serving the association's welcome page; the page is also measured on the guest's
# forwarded port without the proxy (guest_rps, guest_p99_ms: plain HTTP through QEMU's user
# networking, where most of the time goes).
# Last line: RESULT web-site-https ratio=<req/s / nginx's> rps=… p99_ms=… bytes=… nginx_rps=…
#   nginx_p99_ms=… guest_rps=… guest_p99_ms=… connections=50 seconds=…
# Usage (as root, after a build; starts libvirtd, builds the website image if missing):
#   bash bench/web-site.sh [SECONDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-10}
source "$src/bench/web-common.sh"
web_prepare
bash "$src/packaging/scripts/libvirtd.sh"
trap web_stop EXIT
start_daemon "$web_bin" --real-guests --proxy
web_association
service=$(api POST "/api/v1/associations/$association/services" '{"template": "website", "name": "site"}' "$admin" |
  json "['id']")
# The guest boots (tens of seconds under QEMU without KVM), then the proxy serves its name.
started=$(date +%s)
while :; do
  state=$(api GET "/api/v1/services/$service" "" "$admin" | json "['state']")
  [ "$state" = active ] && break
  if [ "$state" = failed ] || [ $(($(date +%s) - started)) -gt 900 ]; then
    echo "bench/web-site: the website is $state after $(($(date +%s) - started)) s:" \
      "$(api GET "/api/v1/services/$service" "" "$admin")" >&2
    exit 1
  fi
  sleep 1
done
booted=$(($(date +%s) - started))
site=$(api GET "/api/v1/services/$service" "" "$admin")
public_url=$(json "['public_url']" <<<"$site")
endpoint=$(json "['endpoint']" <<<"$site")
name=$(json "['default_name']" <<<"$site")
for _ in $(seq 1 120); do
  web_get "$public_url" >/dev/null 2>&1 && break
  sleep 1
done
www=$daemon_dir/www
mkdir -p "$www"
web_get "$public_url" >"$www/site.html"
grep -q "Jardin" "$www/site.html" || {
  echo "bench/web-site: $public_url does not answer the association's welcome page:" >&2
  cat "$www/site.html" >&2
  exit 1
}
size=$(wc -c <"$www/site.html")
web_reference "$www" "$daemon_proxy_dir/certs/$name/fullchain.pem" "$daemon_proxy_dir/certs/$name/privkey.pem"

echo "bench/web-site: 50 connections, ${seconds} s each, 2 wrk threads, $(nproc) cores; $public_url," \
  "$size bytes (guest active ${booted} s after its creation)"
# The reference at the site's name too: the same server name, certificate and Host header.
nginx_tls=$(web_measure "https://$name:${reference_https##*:}/site.html")
site_tls=$(web_measure "$public_url")
guest=$(web_measure "$endpoint")
read -r n_rps n_p99 <<<"$nginx_tls"
read -r s_rps s_p99 <<<"$site_tls"
read -r g_rps g_p99 <<<"$guest"
web_table_head
web_table_row "nginx, the page as a file, HTTPS (reference)" "$n_rps" "$n_p99"
web_table_row "website through the proxy, HTTPS" "$s_rps" "$s_p99" "$n_rps" "$n_p99"
web_table_row "the guest's port, HTTP (no proxy)" "$g_rps" "$g_p99" "$n_rps" "$n_p99"
web_result web-site-https "$s_rps" "$s_p99" "$size" "$n_rps" "$n_p99" \
  "$(printf 'guest_rps=%.0f guest_p99_ms=%.2f' "$g_rps" "$g_p99")"
