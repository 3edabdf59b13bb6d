#!/usr/bin/env bash
# bench/web: requests per second and p99 latency of Chatière's own pages at 50 concurrent
# connections on loopback (wrk), as ratios to nginx serving a static file of the same size, measured
# in the same run:
#   web-dashboard        the association's dashboard page, on the daemon's HTTP port;
#   web-usage-api        GET /api/v1/associations/{id}/usage, on the daemon's HTTP port;
#   web-dashboard-https  the dashboard through Chatière's own proxy over HTTPS (nginx, proxy.mode =
#                        own, self-signed, at public.url's host), against nginx serving the file
#                        over HTTPS with the same certificate and TLS settings.
# (A hosted website through the proxy: bench/web-site.sh.) Last lines: RESULT web-dashboard ratio=
# <req/s / nginx's> …, RESULT web-usage-api …, RESULT web-dashboard-https … (figures as key=value).
# Usage (as root, after a build): bash bench/web.sh [SECONDS]   — installs wrk and nginx if
# missing (packaging/scripts/deps.sh bench).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-10}
source "$src/bench/web-common.sh"
web_prepare
trap web_stop EXIT
start_daemon "$web_bin" --proxy
web_association
for name in site blog; do
  api POST "/api/v1/associations/$association/services" "{\"template\": \"website\", \"name\": \"$name\"}" "$admin" >/dev/null
done

dashboard="/associations/$association"
# public.url is https:// (the proxy's): the session cookie has the __Host- prefix, on the daemon's
# own port too.
cookie="Cookie: __Host-chatiere_session=$token"
size=$(web_get "$daemon_url$dashboard" -H "$cookie" | wc -c)
https_size=$(web_get "$daemon_public_url$dashboard" -H "$cookie" | wc -c)
www=$daemon_dir/www
mkdir -p "$www"
web_file "$www" page.html "$size"
web_file "$www" page-https.html "$https_size"
certs=$daemon_proxy_dir/certs/$daemon_public_host
web_reference "$www" "$certs/fullchain.pem" "$certs/privkey.pem"

echo "bench/web: 50 connections, ${seconds} s each, 2 wrk threads, $(nproc) cores; dashboard $size bytes" \
  "($https_size through the proxy)"
# (Assignments, not `read < <(…)`, so that a failed measurement stops the bench.)
nginx=$(web_measure "$reference_http/page.html")
dash=$(web_measure "$daemon_url$dashboard" -H "$cookie")
usage=$(web_measure "$daemon_url/api/v1/associations/$association/usage" -H "Authorization: Bearer $token")
# The HTTPS reference names public.url's host too: the same server name, certificate and Host header.
nginx_tls=$(web_measure "https://$daemon_public_host:${reference_https##*:}/page-https.html")
dash_tls=$(web_measure "$daemon_public_url$dashboard" -H "$cookie")
read -r n_rps n_p99 <<<"$nginx"
read -r d_rps d_p99 <<<"$dash"
read -r u_rps u_p99 <<<"$usage"
read -r nt_rps nt_p99 <<<"$nginx_tls"
read -r dt_rps dt_p99 <<<"$dash_tls"
u_size=$(web_get "$daemon_url/api/v1/associations/$association/usage" -H "Authorization: Bearer $token" | wc -c)
web_table_head
web_table_row "nginx, static file (reference)" "$n_rps" "$n_p99"
web_table_row "dashboard page" "$d_rps" "$d_p99" "$n_rps" "$n_p99"
web_table_row "GET /api/v1/associations/{id}/usage" "$u_rps" "$u_p99" "$n_rps" "$n_p99"
web_table_row "nginx, static file, HTTPS (reference)" "$nt_rps" "$nt_p99"
web_table_row "dashboard page, HTTPS through the proxy" "$dt_rps" "$dt_p99" "$nt_rps" "$nt_p99"
web_result web-dashboard "$d_rps" "$d_p99" "$size" "$n_rps" "$n_p99"
web_result web-usage-api "$u_rps" "$u_p99" "$u_size" "$n_rps" "$n_p99"
web_result web-dashboard-https "$dt_rps" "$dt_p99" "$https_size" "$nt_rps" "$nt_p99"
