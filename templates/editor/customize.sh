#!/usr/bin/env bash
# The editor's customize hook (see ../debian-base/build-image.sh): `customize.sh ROOT_DIR`.
# Installs Etherpad 1.8.14 under /opt/etherpad with the layout its source tree has (it refuses to
# start from node_modules/ep_etherpad-lite: its base path must end in "src"):
#   /opt/etherpad/src                          the ep_etherpad-lite package
#   /opt/etherpad/node_modules                 its dependencies (npm ci from package-lock.json)
#   /opt/etherpad/node_modules/ep_etherpad-lite -> ../src
#   /opt/etherpad/var -> /run/etherpad/var     its minified-JavaScript cache, in memory
# package-lock.json lists ueberdb2's optional sqlite3 (a GitHub commit that npm cannot lock) by hand
# so that `npm ci` accepts it; --omit=optional leaves it out: Etherpad uses Debian's node-sqlite3
# (found on Debian's global module path, /usr/lib/x86_64-linux-gnu/nodejs).
set -euo pipefail
r=${1:?usage: customize.sh ROOT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cache=${NPM_CACHE:-/var/cache/chatiere-npm}
app=$r/opt/etherpad
start=$(date +%s)

mkdir -p "$app/install"
cp "$here/package.json" "$here/package-lock.json" "$app/install/"
(cd "$app/install" && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --prefer-offline \
   --cache "$cache" --loglevel=warn)
mv "$app/install/node_modules/ep_etherpad-lite" "$app/src"
mv "$app/install/node_modules" "$app/node_modules"
rm -rf "$app/install"
ln -s ../src "$app/node_modules/ep_etherpad-lite"
ln -s /run/etherpad/var "$app/var"
# Etherpad runs its plugins' init hooks once and marks each with this file; ep_etherpad-lite has
# none, and the root is read-only.
echo done > "$app/src/.ep_initialized"
echo "customize: Etherpad installed in $(( $(date +%s) - start )) s" >&2

# Etherpad runs `npm --version` and `npm ls` at each start (over a minute each under TCG). The
# image's plugins never change: list them now, with the npm Etherpad ships, and answer from that.
chroot "$r" sh -c 'cd /opt/etherpad && HOME=/tmp node node_modules/npm/bin/npm-cli.js ls --long --json --depth=0 --no-production 2>/dev/null' \
  > "$app/npm-ls.json" || true
grep -q '"ep_etherpad-lite"' "$app/npm-ls.json" \
  || { echo "customize: npm ls did not list ep_etherpad-lite" >&2; head -c 2000 "$app/npm-ls.json" >&2; exit 1; }
# Etherpad's run_cmd puts node_modules/.bin first on the PATH: its npm must be the stand-in too.
ln -sf /opt/etherpad/bin/npm "$app/node_modules/.bin/npm"
rm -f "$app/node_modules/.bin/npx"

# Debian's node-sqlite3 must be found by ueberdb2: Debian's node looks for its global modules
# relative to the requiring module's node_modules folder, so etherpad.service sets NODE_PATH.
if ! chroot "$r" sh -c 'cd /opt/etherpad/node_modules/ueberdb2 && NODE_PATH=/usr/lib/x86_64-linux-gnu/nodejs:/usr/share/nodejs node -e "require(\"sqlite3\"); console.log(\"sqlite3 module:\", require.resolve(\"sqlite3\"))"'; then
  chroot "$r" sh -c 'cd /opt/etherpad/node_modules/ueberdb2 && NODE_PATH=/usr/lib/x86_64-linux-gnu/nodejs:/usr/share/nodejs node -p "require.resolve.paths(\"sqlite3\")"; dpkg -l | grep -i "node-\|nodejs"; ls /usr/lib/x86_64-linux-gnu/nodejs' >&2 || true
  exit 1
fi

# The browser's JavaScript, minified now rather than by Etherpad in the guest (minify-static.js).
cp "$here/minify-static.js" "$r/tmp/minify-static.js"
chroot "$r" node /tmp/minify-static.js /opt/etherpad/src/static/js /opt/etherpad/src/static/skins
rm -f "$r/tmp/minify-static.js"

chroot "$r" useradd --system --user-group --home-dir /nonexistent --no-create-home \
  --shell /usr/sbin/nologin etherpad
# Etherpad asks its project's server for a newer version at each start; nothing to ask for.
echo "127.0.0.1 static.etherpad.org" >> "$r/etc/hosts"
chroot "$r" systemctl enable etherpad.service etherpad-warm.service
# The pad page's browser libraries are served by Minify.js from src/node_modules, as in
# Etherpad's source tree (its LIBRARY_WHITELIST): without them the page stops at 'The module at
# "security" does not exist'. Copies, not a link to ../node_modules: that would make a cycle
# (node_modules/ep_etherpad-lite -> ../src) that npm and any walk of the tree would follow.
mkdir -p "$app/src/node_modules"
for library in async js-cookie security split-grid tinycon underscore unorm; do
  if [ -d "$app/node_modules/$library" ]; then
    cp -a "$app/node_modules/$library" "$app/src/node_modules/"
  fi
done
