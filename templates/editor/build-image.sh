#!/usr/bin/env bash
# Builds the `editor` appliance: the Debian appliance base (../debian-base/build-image.sh) with
# Debian's nodejs, node-sqlite3 and jq, and Etherpad 1.8.14 from the npm registry installed with
# `npm ci` from the package-lock.json next to this script (docs/appliances.md).
# Usage: build-image.sh OUTPUT_DIR → OUTPUT_DIR/vmlinuz, initrd.img, root.img, packages.txt
# Needs root, mmdebstrap and npm on the builder (`apt-get install npm`: only its `npm ci` runs here,
# no package's install script runs); npm's cache is kept in NPM_CACHE
# (/var/cache/chatiere-npm) so that a rebuild downloads nothing new.
# image-inputs: ../debian-base
set -euo pipefail
out=${1:?usage: build-image.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null || apt-get install -y -q --no-install-recommends npm >/dev/null
export EXTRA_PACKAGES="nodejs node-sqlite3 jq curl"
export EXTRA_FILES="$here/rootfs"
export CUSTOMIZE_HOOKS="$here/customize.sh"
exec "$here/../debian-base/build-image.sh" "$out"
