# Sourced by the e2e runner and the benches: starts a real `chatiere serve` on free loopback ports
# with its own SQLite file, libvirt's test driver and a loopback SMTP server, and an admin account
# (admin@chatons.test, password "correct horse battery"). Stopped and removed on exit.
# Usage: source tests/support/daemon.sh; start_daemon CHATIERE_BINARY [--real-guests] [--proxy]
# --real-guests: services are real QEMU guests on the local libvirtd (qemu:///system, a storage
# pool of their own, the appliance images cached in /var/tmp/chatiere-test-images as the system
# tests do); stop_daemon destroys the guests and the pool it made.
# --proxy: Chatière's own nginx (proxy.mode = own) on free loopback ports, self-signed (no ACME),
# Chatière's pages at https://chatiere.lap.test:<port> (public.url) and the services at
# <service>.<association>.asso.test: names nobody resolves, so clients connect to 127.0.0.1 and
# send the name (curl --resolve NAME:PORT:127.0.0.1, wrk -s bench/loopback.lua). The daemon's own
# port still answers at daemon_url. stop_daemon stops that nginx (it outlives a daemon on purpose).
# Sets: daemon_url, daemon_port, daemon_dir, daemon_config, daemon_pid; with --proxy also
# daemon_public_url, daemon_public_host, daemon_public_domain, daemon_proxy_https_port,
# daemon_proxy_dir.

_daemon_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
daemon_pid=
_sink_pid=
_pool=
_domains_before=

_virsh() { virsh -q -c qemu:///system "$@"; }

stop_daemon() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  _stop_proxy
  [ -n "$_sink_pid" ] && kill "$_sink_pid" 2>/dev/null || true
  if [ -n "$_pool" ]; then
    # The guests this daemon made (not there before it started, and their disks in its data
    # folder: other daemons on this machine keep theirs), then its pool.
    local domain
    for domain in $(_virsh list --all --name 2>/dev/null | grep '^chatiere-' || true); do
      if ! grep -qx "$domain" <<<"$_domains_before" &&
         _virsh dumpxml "$domain" 2>/dev/null | grep -qF "$daemon_dir/"; then
        _virsh destroy "$domain" >/dev/null 2>&1 || true
        _virsh undefine "$domain" >/dev/null 2>&1 || true
      fi
    done
    _virsh pool-destroy "$_pool" >/dev/null 2>&1 || true
    _virsh pool-undefine "$_pool" >/dev/null 2>&1 || true
    _pool=
  fi
  [ -n "${daemon_dir:-}" ] && rm -rf "$daemon_dir"
  daemon_pid=
  _sink_pid=
  daemon_proxy_dir=
}

# The own proxy's nginx, by its pid file: a graceful stop, then (after 10 s) its process group, so
# that no worker keeps the ports.
_stop_proxy() {
  local pidfile=${daemon_proxy_dir:-/nonexistent}/run/nginx.pid master
  [ -f "$pidfile" ] || return 0
  master=$(cat "$pidfile")
  kill -QUIT "$master" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$master" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$master" 2>/dev/null || kill -KILL "$master" 2>/dev/null || true
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_daemon() {
  local bin=$1 real= proxy= arg
  shift
  for arg in "$@"; do
    case "$arg" in
      --real-guests) real=$arg ;;
      --proxy) proxy=$arg ;;
      *) echo "daemon.sh: unknown option '$arg' (--real-guests, --proxy)" >&2; return 64 ;;
    esac
  done
  daemon_dir=$(mktemp -d /tmp/chatiere-daemon-XXXXXX)
  daemon_port=$(free_port)
  daemon_url="http://127.0.0.1:$daemon_port"
  daemon_config="$daemon_dir/chatiere.properties"
  local smtp_port
  smtp_port=$(free_port)
  mkdir -p "$daemon_dir/mail"
  /usr/bin/python3 "$_daemon_src/tests/support/smtp_sink.py" --port "$smtp_port" --dir "$daemon_dir/mail" \
    >"$daemon_dir/smtp.log" 2>&1 &
  _sink_pid=$!
  cat >"$daemon_config" <<CONF
db.path = $daemon_dir/chatiere.db
data.dir = $daemon_dir
web.dir = $_daemon_src/web-admin
templates.dir = $_daemon_src/templates
libvirt.domain_type = qemu
http.port = $daemon_port
smtp.port = $smtp_port
smtp.tls = none
outbox.interval_seconds = 1
CONF
  daemon_proxy_dir=
  if [ "$proxy" = --proxy ]; then
    daemon_proxy_https_port=$(free_port)
    daemon_public_host=chatiere.lap.test
    daemon_public_url="https://$daemon_public_host:$daemon_proxy_https_port"
    daemon_public_domain=asso.test
    daemon_proxy_dir=$daemon_dir/proxy
    # nginx's workers (nobody, when this runs as root) reach the proxy's pages and temp files.
    chmod 0711 "$daemon_dir"
    cat >>"$daemon_config" <<CONF
public.url = $daemon_public_url
public.domain = $daemon_public_domain
proxy.mode = own
proxy.address = 127.0.0.1
proxy.http_port = $(free_port)
proxy.https_port = $daemon_proxy_https_port
acme.directory_url =
CONF
  else
    echo "public.url = $daemon_url" >>"$daemon_config"
  fi
  if [ "$real" = --real-guests ]; then
    _virsh version >/dev/null 2>&1 || {
      echo "daemon.sh: no libvirtd answers on qemu:///system (packaging/scripts/libvirtd.sh starts one)" >&2
      return 1
    }
    _domains_before=$(_virsh list --all --name 2>/dev/null || true)
    _pool="chatiere-e2e-${daemon_dir##*-}"
    mkdir -p /var/tmp/chatiere-test-images
    ln -s /var/tmp/chatiere-test-images "$daemon_dir/images"
    # The daemon never builds: the images, built outside it (a no-op when packaging/scripts/test.sh
    # built them already).
    bash "$_daemon_src/templates/build.sh" --cache /var/tmp/chatiere-test-images --all >&2 || {
      echo "daemon.sh: building the appliance images failed" >&2
      return 1
    }
    cat >>"$daemon_config" <<CONF
libvirt.uri = qemu:///system
libvirt.pool = $_pool
ports.first = 22100
ports.last = 22199
provisioning.boot_timeout_seconds = 300
provisioning.reconcile_interval_seconds = 5
monitoring.interval_seconds = 10
CONF
  else
    # libvirt's test driver: no guest boots; a fake build of each template's image, in the layout of
    # templates/build.sh, stands for a built one.
    local manifest name
    for manifest in "$_daemon_src"/templates/*/template.json; do
      name=$(basename "$(dirname "$manifest")")
      mkdir -p "$daemon_dir/images/$name/0123456789abcdef"
      touch "$daemon_dir/images/$name/0123456789abcdef/"{vmlinuz,initrd.img,root.img}
      ln -s 0123456789abcdef "$daemon_dir/images/$name/current"
    done
    cat >>"$daemon_config" <<CONF
libvirt.uri = test:///default
ports.first = 22000
ports.last = 22099
CONF
  fi
  printf 'correct horse battery\n' | "$bin" admin create --email admin@chatons.test --config "$daemon_config" >/dev/null
  "$bin" serve --config "$daemon_config" >"$daemon_dir/daemon.log" 2>&1 &
  daemon_pid=$!
  local url=$daemon_url resolve=()
  if [ -n "$daemon_proxy_dir" ]; then
    # Through the proxy: its nginx is started by the daemon's first proxy pass.
    url=$daemon_public_url
    resolve=(-k --resolve "$daemon_public_host:$daemon_proxy_https_port:127.0.0.1")
  fi
  for _ in $(seq 1 300); do
    curl -fsS "${resolve[@]}" "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$daemon_dir/daemon.log" >&2; return 1; }
    sleep 0.1
  done
  echo "daemon.sh: the daemon did not answer on $url" >&2
  return 1
}
