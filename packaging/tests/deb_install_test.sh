#!/usr/bin/env bash
# Builds the .deb, installs it, checks what it installed, then removes it (the machine is left as
# it was). Needs root and dpkg; skips (77) otherwise.
set -euo pipefail
build=${1:?usage: deb_install_test.sh BUILD_DIR}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v dpkg >/dev/null || { echo "SKIP: no dpkg"; exit 77; }

fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$build"
rm -f chatiere_*.deb
cpack -G DEB >cpack.log 2>&1 || { cat cpack.log; fail "cpack"; }
deb=$(ls chatiere_*.deb)
dpkg-deb --info "$deb" | grep 'Depends:.*libPoco\|Depends:.*libpoco' >/dev/null || fail "the package does not depend on Poco: $(dpkg-deb --info "$deb")"
dpkg-deb --contents "$deb" | grep './etc/chatiere/chatiere.properties' >/dev/null || fail "no default configuration"
dpkg-deb --info "$deb" conffiles 2>/dev/null | grep '/etc/chatiere/chatiere.properties' >/dev/null || fail "configuration is not a conffile"
for conffile in /etc/nginx/conf.d/chatiere.conf /etc/logrotate.d/chatiere; do
  dpkg-deb --info "$deb" conffiles 2>/dev/null | grep -x "$conffile" >/dev/null || fail "$conffile is not a conffile"
done
dpkg-deb --info "$deb" | grep 'Depends:.*nginx.*dehydrated' >/dev/null || fail "the package does not depend on nginx and dehydrated"

if dpkg -s chatiere >/dev/null 2>&1; then
  dpkg -P chatiere >/dev/null
fi
# nginx's default site (a default_server on 80) is disabled at the first install, back on purge.
default_site=no
[ -L /etc/nginx/sites-enabled/default ] && default_site=yes
nginx_test=
cleanup() {
  if [ -n "$nginx_test" ]; then
    kill "$(cat "$nginx_test/nginx.pid" 2>/dev/null)" 2>/dev/null || true
    rm -rf "$nginx_test"
  fi
  dpkg -P chatiere >/dev/null 2>&1 || true
  rm -rf /var/lib/chatiere-proxy /var/log/chatiere /run/chatiere-proxy
}
trap cleanup EXIT
dpkg -i "$deb" >dpkg.log 2>&1 || { cat dpkg.log; fail "dpkg -i"; }

out=$(/usr/bin/chatiere --version)
[[ "$out" == chatiere\ * ]] || fail "chatiere --version printed '$out'"
getent passwd chatiere >/dev/null || fail "no chatiere user"
[ "$(stat -c %U:%a /var/lib/chatiere)" = "chatiere:750" ] || fail "bad /var/lib/chatiere: $(stat -c %U:%a /var/lib/chatiere)"
[ -f /lib/systemd/system/chatiere.service ] || fail "no systemd unit"
[ -f /lib/systemd/system/chatiere-images.service ] || fail "no unit for the image builds"
[ -f /lib/systemd/system/chatiere-images.timer ] || fail "no timer for the image updates"
[ -f /usr/share/chatiere/templates/build.sh ] || fail "no image build driver"
[ ! -e /usr/share/chatiere/templates/tests ] || fail "the templates' tests were installed"
# The CLI finds the driver and the catalogue where the package put them.
/usr/bin/chatiere templates status --config /etc/chatiere/chatiere.properties >/dev/null 2>&1 ||
  fail "chatiere templates status: $(/usr/bin/chatiere templates status --config /etc/chatiere/chatiere.properties 2>&1)"
[ -f /usr/share/chatiere/web/mail/verify_email.fr.txt ] || fail "no mail templates"
[ -f /usr/share/chatiere/web/terms.fr.md ] || fail "no terms"
# The installed default configuration is valid: the installed binary migrates a database with it.
tmp=$(mktemp -d)
sed "s|^db.path = .*|db.path = $tmp/c.db|" /etc/chatiere/chatiere.properties > "$tmp/c.properties"
/usr/bin/chatiere migrate --config "$tmp/c.properties" >/dev/null || fail "the default configuration is refused"
rm -rf "$tmp"
# The units: any word of systemd-analyze about one of ours fails (libvirtd.service and nginx.service,
# named in After=, may be absent from a test machine).
units="chatiere.service chatiere-images.service chatiere-images.timer chatiere-proxy-reload.path chatiere-proxy-reload.service"
for unit in $units; do
  [ -f "/lib/systemd/system/$unit" ] || fail "no unit $unit"
done
if command -v systemd-analyze >/dev/null; then
  # shellcheck disable=SC2086,SC2015
  complaints=$(cd /lib/systemd/system && systemd-analyze verify $units 2>&1 |
    grep -v -i '\(libvirtd\|nginx\)\.service.*not found' || true)
  [ -z "$complaints" ] || fail "systemd-analyze verify complained: $complaints"
else
  echo "deb_install_test: no systemd-analyze, the units are not verified" >&2
fi

# proxy.mode = system: the folders, the include in nginx's http {}, the transfer log's rotation.
[ "$(stat -c %U:%a /var/lib/chatiere-proxy)" = "chatiere:755" ] || fail "bad /var/lib/chatiere-proxy"
[ "$(stat -c %U:%G:%a /var/log/chatiere/proxy-transfer.log)" = "root:chatiere:660" ] || fail "bad transfer log"
[ -x /usr/lib/chatiere/proxy-reload ] || fail "no proxy reload helper"
grep -q '^include /var/lib/chatiere-proxy/sites/\*\.conf;' /etc/nginx/conf.d/chatiere.conf || fail "no nginx include"
grep -q '^/var/log/chatiere/proxy-transfer.log' /etc/logrotate.d/chatiere || fail "no logrotate file"
if [ "$default_site" = yes ]; then
  [ ! -e /etc/nginx/sites-enabled/default ] || fail "nginx's default site is still enabled"
fi
# Debian's whole configuration with the package's include is one nginx accepts.
/usr/sbin/nginx -t -q >/dev/null 2>&1 || fail "nginx -t refuses the system configuration: $(/usr/sbin/nginx -t 2>&1)"

# The root helper end to end, with the packaged paths (request, result, sites) and include: an nginx
# of the test (its own pid and logs, a free port, Debian's conf.d) stands for nginx.service, and a
# systemctl of the test sends it the reload (no systemd in a CI container).
nginx_test=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
  echo "pid $nginx_test/nginx.pid;"
  echo "error_log $nginx_test/error.log;"
  echo "events {}"
  echo "http { access_log off; include /etc/nginx/conf.d/*.conf; }"
} >"$nginx_test/nginx.conf"
{
  echo '#!/bin/sh'
  echo "exec /usr/sbin/nginx -e $nginx_test/error.log -p $nginx_test/ -c $nginx_test/nginx.conf \"\$@\""
} >"$nginx_test/nginx"
{
  echo '#!/bin/sh'
  echo "case \$1 in start) exec $nginx_test/nginx ;; try-reload-or-restart) kill -HUP \"\$(cat $nginx_test/nginx.pid)\" ;; *) exit 2 ;; esac"
} >"$nginx_test/systemctl"
chmod 755 "$nginx_test/nginx" "$nginx_test/systemctl"
helper() { # the request's words; prints the result
  echo "$1" >/var/lib/chatiere-proxy/reload-request.tmp
  mv /var/lib/chatiere-proxy/reload-request.tmp /var/lib/chatiere-proxy/reload-request
  CHATIERE_PROXY_NGINX=$nginx_test/nginx CHATIERE_PROXY_SYSTEMCTL=$nginx_test/systemctl \
    /usr/lib/chatiere/proxy-reload || fail "proxy-reload exited $?"
  cat /run/chatiere-proxy/reload-result
}
site() { # generation, what its server says (a set written like the daemon's, then swapped in)
  install -d -o chatiere -g chatiere "/var/lib/chatiere-proxy/sites.$1"
  printf 'server {\n    listen 127.0.0.1:%s;\n    %s\n}\n' "$port" "$2" >"/var/lib/chatiere-proxy/sites.$1/service-1.conf"
  ln -sfn "sites.$1" /var/lib/chatiere-proxy/sites.tmp
  mv -T /var/lib/chatiere-proxy/sites.tmp /var/lib/chatiere-proxy/sites
}
answers() { # what the test nginx answers, within 10 s
  got=
  for _ in $(seq 100); do
    got=$(curl -s --max-time 2 "http://127.0.0.1:$port/" || true)
    [ "$got" = "$1" ] && return 0
    sleep 0.1
  done
  fail "nginx answered '$got', not '$1'"
}
site 1 'return 200 "one\n";'
[ "$(helper 'start 1a')" = "1a ok" ] || fail "start: $(cat /run/chatiere-proxy/reload-result)"
answers one
site 2 'return 200 "two\n";'
[ "$(helper 'reload 2b')" = "2b ok" ] || fail "reload: $(cat /run/chatiere-proxy/reload-result)"
answers two
[ "$(stat -c %a /run/chatiere-proxy/reload-result)" = 644 ] || fail "the result is not readable by the daemon"
site 3 'no_such_directive on;'
result=$(helper 'reload 3c')
case $result in "3c error"*no_such_directive*) ;; *) fail "a broken set was not refused: $result" ;; esac
answers two
echo 'reload ../etc' >/var/lib/chatiere-proxy/reload-request
! /usr/lib/chatiere/proxy-reload 2>/dev/null || fail "proxy-reload took a bad request"
kill "$(cat "$nginx_test/nginx.pid")"
rm -rf "$nginx_test"
nginx_test=
rm -rf /var/lib/chatiere-proxy/sites /var/lib/chatiere-proxy/sites.* /var/lib/chatiere-proxy/reload-request

dpkg -P chatiere >/dev/null
[ ! -e /usr/bin/chatiere ] || fail "dpkg -P left the binary"
[ ! -e /etc/nginx/conf.d/chatiere.conf ] || fail "dpkg -P left the nginx include"
if [ "$default_site" = yes ]; then
  [ -L /etc/nginx/sites-enabled/default ] || fail "dpkg -P did not enable nginx's default site again"
fi
rm -rf /var/lib/chatiere-proxy /var/log/chatiere /run/chatiere-proxy
trap - EXIT
echo "deb_install_test: $deb installs, runs and removes cleanly"
