#!/usr/bin/env bash
# Installs, from Debian 12's packages, what building and testing Chatière needs and is missing.
# Usage: packaging/scripts/deps.sh [build|test|run|bench]   (default: test, which includes build)
# Safe to re-run: installs only what is missing.
set -euo pipefail
what=${1:-test}

build_pkgs=(build-essential cmake ninja-build pkg-config git ccache
            libpoco-dev libvirt-dev libssl-dev libsqlite3-dev libargon2-dev libcrypt-dev libqrencode-dev
            libgtest-dev libgmock-dev libhowardhinnant-date-dev tzdata
            libhpdf-dev fonts-dejavu-core libmstch-dev libidn2-dev libpsl-dev publicsuffix)
# Real parts the tests start: a loopback SMTP server, libvirt's test driver (in libvirt itself),
# mkfs.ext4 and debugfs (e2fsprogs: websites' data volumes); the system tests also need what the
# main job runs (libvirtd, QEMU, the appliance tools).
# The asan build (CMakePresets.json): clang, its sanitizer and libFuzzer runtimes, and llvm's
# llvm-symbolizer for readable reports.
# The public addresses (issue 18, manager/tests/proxy/): Debian's nginx on free ports of the tests'
# own, the ACME client dehydrated, and pebble (an ACME test server, with pebble-challtestsrv) on loopback.
# Mail (issue 19): dnsmasq serves a mail domain's records on loopback (MailDnsTest); python3-dkim
# verifies DKIM signatures.
test_pkgs=(python3 python3-aiosmtpd sqlite3 file adduser dpkg-dev prometheus poppler-utils chromium curl oathtool
           clang libclang-rt-14-dev llvm e2fsprogs nginx dehydrated pebble openssl
           dnsmasq-base python3-dkim)
# What the main job runs against: libvirtd with QEMU, and what the appliance recipes build with
# (templates/*/build-image.sh: mmdebstrap and e2fsprogs for the Debian base, npm for the editor).
run_pkgs=(curl cpio xz-utils bc sqlite3 python3 python3-aiosmtpd oathtool libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
          fonts-dejavu-core mmdebstrap e2fsprogs nginx dehydrated)
# What bench/web.sh measures with and against (bench/run.sh).
bench_pkgs=(wrk nginx curl bc python3 oathtool)

case "$what" in
  build) want=("${build_pkgs[@]}") ;;
  test)  want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${run_pkgs[@]}")
         # The e2e tests' and the editor recipe's npm packages: Debian's nodejs and npm, unless a
         # Node with npm is there already (installing Debian's npm beside another Node conflicts).
         command -v npm >/dev/null 2>&1 || want+=(nodejs npm) ;;
  run)   want=("${build_pkgs[@]}" "${run_pkgs[@]}")
         command -v npm >/dev/null 2>&1 || want+=(nodejs npm) ;;
  bench) want=("${bench_pkgs[@]}") ;;
  *) echo "deps.sh: unknown set '$what' (build, test, run or bench)" >&2; exit 64 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}; run as root (or install them) first" >&2
  exit 77
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# nginx's postinst starts the packaged default instance on port 80 where it can. The tests never
# use it (their own instances on free ports): stop what this run just installed, not one that was there.
if [[ " ${missing[*]} " == *" nginx "* ]] && [ -x /etc/init.d/nginx ]; then
  /etc/init.d/nginx stop >/dev/null 2>&1 || true
fi
