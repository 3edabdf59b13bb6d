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

if dpkg -s chatiere >/dev/null 2>&1; then
  dpkg -P chatiere >/dev/null
fi
trap 'dpkg -P chatiere >/dev/null 2>&1 || true' EXIT
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
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /lib/systemd/system/chatiere.service /lib/systemd/system/chatiere-images.service \
    /lib/systemd/system/chatiere-images.timer 2>&1 | grep -v -i 'libvirtd.service\|not found' \
    | grep . && fail "systemd-analyze verify complained"
fi

dpkg -P chatiere >/dev/null
[ ! -e /usr/bin/chatiere ] || fail "dpkg -P left the binary"
trap - EXIT
echo "deb_install_test: $deb installs, runs and removes cleanly"
